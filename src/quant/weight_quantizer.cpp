// Per-channel symmetric weight quantization and the scalar rounding rule shared with activations.
#include <algorithm>
#include <cmath>

#include "yoloq/error.hpp"
#include "yoloq/qdq_writer.hpp"

namespace yoloq {

float symmetric_scale(float amax) {
  // Below this the scale would underflow float precision for the dequantized values; such a
  // tensor is all zeros in practice.
  constexpr float kMinAmax = 1e-12f;
  return std::max(amax, kMinAmax) / 127.0f;
}

std::int8_t quantize_symmetric(float x, float scale) {
  float q = std::nearbyint(x / scale);  // half to even in the default rounding mode
  return static_cast<std::int8_t>(std::clamp(q, -127.0f, 127.0f));
}

PerChannelWeights quantize_per_channel(const Tensor& weight, int axis) {
  if (weight.dtype != DType::Float32) throw Error("per-channel quantization needs a float32 weight");
  if (axis < 0 || axis >= static_cast<int>(weight.shape.size()))
    throw Error("per-channel axis " + std::to_string(axis) + " is out of range for shape " + shape_string(weight.shape));
  const auto w = weight.values<float>();
  const std::size_t channels = static_cast<std::size_t>(weight.shape[axis]);
  std::size_t inner = 1;
  for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < weight.shape.size(); ++d) inner *= static_cast<std::size_t>(weight.shape[d]);
  auto channel_of = [&](std::size_t i) { return (i / inner) % channels; };

  PerChannelWeights out{Tensor(DType::Int8, weight.shape), std::vector<float>(channels, 0.0f)};
  std::vector<float> amax(channels, 0.0f);
  for (std::size_t i = 0; i < w.size(); ++i) amax[channel_of(i)] = std::max(amax[channel_of(i)], std::fabs(w[i]));
  for (std::size_t c = 0; c < channels; ++c) out.scales[c] = symmetric_scale(amax[c]);
  auto q = out.values.values<std::int8_t>();
  for (std::size_t i = 0; i < w.size(); ++i) q[i] = quantize_symmetric(w[i], out.scales[channel_of(i)]);
  return out;
}

}  // namespace yoloq
