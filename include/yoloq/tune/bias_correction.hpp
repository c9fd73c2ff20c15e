#pragma once
// Empirical bias correction (`quantize --bias_correction on`): quantizing a Conv, ConvTranspose or
// Gemm (its weight, and the Q/DQ pair on its input) shifts the mean of each output channel. The
// shift is measured where it arises: beside every corrected op the quantized model gets a float
// copy of it (a "shadow") reading the same input before quantization, so error and corrections
// upstream do not count twice. Averaged over calibration samples, the shift is subtracted from the
// float model's bias; the writer then quantizes the corrected model with the same plan.
#include <string>
#include <vector>

#include "yoloq/calib/ranges.hpp"
#include "yoloq/data/batch_source.hpp"
#include "yoloq/plan/quant_plan.hpp"
#include "yoloq/write/qdq_writer.hpp"

namespace yoloq {

struct BiasShift {
  std::string node, bias;     // the op and its bias initializer
  std::vector<double> shift;  // per output channel: mean of quantized minus float output
};

struct BiasCorrectionOptions {
  std::size_t max_samples = 64;  // a channel's mean over this many samples is already steady
  WriteOptions write;
};

// Ops corrected: every Conv, ConvTranspose and Gemm whose weight `plan` quantizes and that has a
// float bias initializer.
std::vector<BiasShift> measure_bias_shifts(const Model& float_model, const QuantPlan& plan, const Ranges& ranges,
                                           BatchSource& samples, const BiasCorrectionOptions& options);
// The measurement itself, for a given quantized model (`nodes` named as in both models).
std::vector<BiasShift> measure_bias_shifts(const Model& float_model, const Model& quantized,
                                           const std::vector<std::string>& nodes, BatchSource& samples,
                                           std::size_t max_samples);

// `float_model` with each shift subtracted from its op's bias.
Model with_corrected_biases(const Model& float_model, const std::vector<BiasShift>& shifts);

}  // namespace yoloq
