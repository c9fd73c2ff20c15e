// Per-channel weight ranges, straight from the initializer: nothing runs.
#include <cmath>

#include "yoloq/calib/calibrate.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq {

std::vector<float> weight_channel_amax(const Tensor& weight, int axis, const std::string& what) {
  if (weight.dtype != DType::Float32)
    throw Error(what + ": weight is " + dtype_name(weight.dtype) + ", expected float32");
  const int rank = static_cast<int>(weight.shape.size());
  if (axis < 0 || axis >= rank)
    throw Error(what + ": channel axis " + std::to_string(axis) + " is outside a weight of shape " +
                shape_string(weight.shape));
  std::size_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= static_cast<std::size_t>(weight.shape[d]);
  for (int d = axis + 1; d < rank; ++d) inner *= static_cast<std::size_t>(weight.shape[d]);
  const auto channels = static_cast<std::size_t>(weight.shape[axis]);
  std::vector<float> amax(channels, 0.0f);
  const auto values = weight.values<float>();
  for (std::size_t o = 0; o < outer; ++o)
    for (std::size_t c = 0; c < channels; ++c) {
      const float* block = values.data() + (o * channels + c) * inner;
      for (std::size_t i = 0; i < inner; ++i) {
        if (!std::isfinite(block[i]))
          throw Error(what + ": weight holds NaN or Inf (channel " + std::to_string(c) + ")");
        amax[c] = std::max(amax[c], std::fabs(block[i]));
      }
    }
  return amax;
}

}  // namespace yoloq
