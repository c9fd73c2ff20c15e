#pragma once
// Scale arithmetic, in one place: symmetric INT8 scales and rounding, per-channel weight ranges
// and weight quantization. The writer quantizes with it; the TensorRT calibration cache and the
// report state scales with it.
#include <cstdint>
#include <string>
#include <vector>

#include "yoloq/tensor/tensor.hpp"

namespace yoloq {

// Scale of a symmetric INT8 range; a zero range gets a tiny positive scale (ONNX requires > 0).
float symmetric_scale(float amax);
// x / scale rounded half to even and saturated to [-127, 127], as QuantizeLinear computes it.
std::int8_t quantize_symmetric(float x, float scale);

struct PerChannelWeights {
  Tensor values;              // int8, same shape as the float weight
  std::vector<float> scales;  // one per channel along the axis: channel amax / 127 (see below)
};
// With u8s8_pair_safe, a channel's scale is also at least (|a| + |b|) / 128 for every pair of
// same-sign weights a, b that are neighbours (positions 2j and 2j+1) in the reduction order of
// ONNX Runtime's x86 u8s8 GEMM: for a convolution weight [M, C/g, kH, kW] that is kH, kW, C/g
// (its NHWC im2col order); for a 2-D weight the axis that is not `axis`.
// `what` names the weight in errors (a NaN or Inf value, a non-float32 weight, a bad axis).
PerChannelWeights quantize_per_channel(const Tensor& weight, int axis, bool u8s8_pair_safe = false,
                                       const std::string& what = "weight");

// The per-channel |max| of a float32 weight along `axis` (the output channel: Conv 0,
// ConvTranspose 1, ...). Throws Error naming `what` for a NaN or Inf value (whose rounding would
// be undefined), a weight that is not float32, or an axis outside its rank.
std::vector<float> channel_amax(const Tensor& weight, int axis, const std::string& what);

}  // namespace yoloq
