#pragma once
// Stage 4, write: a transform that applies a QuantPlan and calibrated Ranges to a float model.
// Activations: symmetric INT8 (zero point 0, scale = amax / 127) or asymmetric UINT8, as the plan
// says; one Q/DQ pair per tensor.
// Weights: per-channel symmetric INT8, round half to even, stored as INT8 initializers feeding a
// DequantizeLinear (ModelOpt's --dq_only), or float weights with a Q/DQ pair. It knows nothing
// of calibration and decides nothing: all decisions are in the plan.
#include <cstdint>
#include <vector>

#include "yoloq/calib/ranges.hpp"
#include "yoloq/onnx/model.hpp"
#include "yoloq/plan/quant_plan.hpp"
#include "yoloq/scales/scales.hpp"
#include "yoloq/tensor/tensor.hpp"

namespace yoloq {

struct WriteOptions {
  bool weights_qdq = false;  // keep float weights behind a Q/DQ pair instead of INT8 initializers
  // What stays in high precision is FP16 instead of FP32 (--high_precision_dtype fp16); graph
  // inputs and outputs stay FP32. TensorRT target only: ONNX Runtime's CPU kernels compute in
  // FP32 and its INT32 biases need FP32 scales.
  bool high_precision_fp16 = false;
};

// QuantizeLinear/DequantizeLinear take FP16 scales from opset 19.
constexpr std::int64_t kMinOpsetForFp16 = 19;

// Converts the float parts of a (quantized) model to FP16 behind FP32 inputs and outputs; throws
// Error for a model below opset 19 or one that computes a tensor an op needs in FP32.
void convert_high_precision_to_fp16(Model& model);
// IEEE binary16 bits of `value`: round half to even, saturating at +-65504.
std::uint16_t float_to_half(float value);

// Throws Error for options this plan and model cannot have (fp16 with ort-cpu, or below opset
// 19); quantize() calls it before calibrating, write_qdq_model() again.
void check_write_options(const Model& float_model, const QuantPlan& plan, const WriteOptions& options);

// Throws Error when the plan needs a range that `ranges` lacks.
Model write_qdq_model(const Model& float_model, const QuantPlan& plan, const Ranges& ranges,
                      const WriteOptions& options = {});

// Scale and zero point of one activation tensor.
struct ActivationQParams {
  float scale = 1;
  std::int32_t zero_point = 0;  // int8: always 0; uint8: in [0, 255]
};
// The parameters each planned activation is written with, from its own range or its scale
// group's union. INT8: scale = amax / 127. UINT8: the observed [min, max] clipped to the
// method's threshold [-amax, amax] and widened to include 0; scale = (hi - lo) / 255.
std::map<std::string, ActivationQParams> activation_qparams(const QuantPlan& plan, const Ranges& ranges);

}  // namespace yoloq
