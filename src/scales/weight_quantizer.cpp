// Per-channel symmetric weight quantization, the per-channel ranges it starts from, and the scalar
// rounding rule shared with activations.
#include <algorithm>
#include <cmath>

#include "yoloq/scales/scales.hpp"
#include "yoloq/support/error.hpp"

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

namespace {

// Flat element offsets of one channel's weights in the reduction order of ONNX Runtime's x86
// u8s8 kernels (see quantize_per_channel in the header).
std::vector<std::size_t> reduction_order(const std::vector<std::int64_t>& shape, int axis, std::size_t channel) {
  std::vector<std::size_t> out;
  if (shape.size() == 2) {
    const auto rows = static_cast<std::size_t>(shape[0]), cols = static_cast<std::size_t>(shape[1]);
    if (axis == 0)
      for (std::size_t k = 0; k < cols; ++k) out.push_back(channel * cols + k);
    else
      for (std::size_t k = 0; k < rows; ++k) out.push_back(k * cols + channel);
    return out;
  }
  if (axis != 0 || shape.size() < 3)
    throw Error("u8s8 pair-safe quantization needs a 2-D weight or a convolution weight with axis 0, got shape " +
                shape_string(shape) + " axis " + std::to_string(axis));
  const auto in_channels = static_cast<std::size_t>(shape[1]);
  std::size_t spatial = 1;
  for (std::size_t d = 2; d < shape.size(); ++d) spatial *= static_cast<std::size_t>(shape[d]);
  for (std::size_t s = 0; s < spatial; ++s)
    for (std::size_t c = 0; c < in_channels; ++c) out.push_back((channel * in_channels + c) * spatial + s);
  return out;
}

}  // namespace

std::vector<float> channel_amax(const Tensor& weight, int axis, const std::string& what) {
  if (weight.dtype != DType::Float32) throw Error(what + ": weight is " + dtype_name(weight.dtype) + ", expected float32");
  const int rank = static_cast<int>(weight.shape.size());
  if (axis < 0 || axis >= rank)
    throw Error(what + ": channel axis " + std::to_string(axis) + " is outside a weight of shape " +
                shape_string(weight.shape));
  std::size_t inner = 1;
  for (int d = axis + 1; d < rank; ++d) inner *= static_cast<std::size_t>(weight.shape[d]);
  const auto channels = static_cast<std::size_t>(weight.shape[axis]);
  std::vector<float> amax(channels, 0.0f);
  const auto values = weight.values<float>();
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::size_t c = (i / inner) % channels;
    if (!std::isfinite(values[i]))
      throw Error(what + ": weight holds " + (std::isnan(values[i]) ? "NaN" : "Inf") + " (channel " +
                  std::to_string(c) + "); quantizing it is undefined");
    amax[c] = std::max(amax[c], std::fabs(values[i]));
  }
  return amax;
}

PerChannelWeights quantize_per_channel(const Tensor& weight, int axis, bool u8s8_pair_safe, const std::string& what) {
  const std::vector<float> amax = channel_amax(weight, axis, what);
  const auto w = weight.values<float>();
  const std::size_t channels = amax.size();
  std::size_t inner = 1;
  for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < weight.shape.size(); ++d) inner *= static_cast<std::size_t>(weight.shape[d]);
  auto channel_of = [&](std::size_t i) { return (i / inner) % channels; };

  PerChannelWeights out{Tensor(DType::Int8, weight.shape), std::vector<float>(channels, 0.0f)};
  for (std::size_t c = 0; c < channels; ++c) out.scales[c] = symmetric_scale(amax[c]);
  auto q = out.values.values<std::int8_t>();
  if (!u8s8_pair_safe) {
    for (std::size_t i = 0; i < w.size(); ++i) q[i] = quantize_symmetric(w[i], out.scales[channel_of(i)]);
    return out;
  }
  constexpr float kPairLimit = 128.0f;  // 255 x 128 = 32640 <= 32767
  for (std::size_t c = 0; c < channels; ++c) {
    const auto order = reduction_order(weight.shape, axis, c);
    float pair_max = 0.0f;
    for (std::size_t j = 0; j + 1 < order.size(); j += 2) {
      const float a = w[order[j]], b = w[order[j + 1]];
      if ((a > 0) == (b > 0)) pair_max = std::max(pair_max, std::fabs(a) + std::fabs(b));
    }
    float& scale = out.scales[c];
    scale = std::max(scale, pair_max / kPairLimit);
    for (std::size_t i : order) q[i] = quantize_symmetric(w[i], scale);
    // Rounding both halves of a pair up can overshoot by one step: take it off the larger one.
    for (std::size_t j = 0; j + 1 < order.size(); j += 2) {
      std::int8_t &a = q[order[j]], &b = q[order[j + 1]];
      const int sum = a + b;
      if (std::abs(sum) <= static_cast<int>(kPairLimit)) continue;
      std::int8_t& larger = std::abs(a) >= std::abs(b) ? a : b;
      larger = static_cast<std::int8_t>(larger - (sum > 0 ? 1 : -1) * (std::abs(sum) - static_cast<int>(kPairLimit)));
    }
  }
  return out;
}

}  // namespace yoloq
