#pragma once
// Which parts of the network quantization hurts, and by how much (`yoloq sensitivity`). The unit
// is a weighted op (Conv, ConvTranspose, Gemm, MatMul with a quantized weight): its name is what a
// user passes to --nodes_to_exclude, and returning it to float is what the accuracy fallback does.
//
// Two measurements, on held-out samples:
// 1. Local errors, from one pass of the float model: per op, the noise-to-signal ratio of its
//    activation input after the Q/DQ pair the plan gives it, and of its weight after per-channel
//    quantization (no data needed), as SQNRs; "both" adds the two (independent errors add). One
//    pass of the quantized model beside it gives the SQNR at each op's output, where the noise of
//    everything upstream has accumulated.
// 2. For the K ops with the lowest local SQNR, the end metric (held_out_metric.hpp) with only that
//    op quantized and with every op but it quantized.
#include <optional>
#include <string>
#include <vector>

#include "yoloq/calib/ranges.hpp"
#include "yoloq/plan/quant_plan.hpp"
#include "yoloq/tune/held_out_metric.hpp"
#include "yoloq/write/qdq_writer.hpp"

namespace yoloq {

struct OpSensitivity {
  std::string node, op_type;
  // dB; lower hurts more. Capped at kMaxLocalSqnrDb where quantization adds no noise (an input
  // the plan leaves float).
  double local_sqnr_activations = 0, local_sqnr_weights = 0, local_sqnr_both = 0;
  double output_sqnr = 0;  // at its output with everything quantized: the noise accumulated so far
  // The end metric for the top K: only this op quantized, and all ops but this one.
  std::optional<double> metric_only, metric_all_but;
};

inline constexpr double kMaxLocalSqnrDb = 120;

struct SensitivityOptions {
  std::size_t top_k = 8;
  WriteOptions write;
  bool quiet = false;  // no progress line
};

struct SensitivityResult {
  std::string metric_name, metric_unit;
  double float_value = 0, quantized_value = 0;  // the end metric: float model, everything quantized
  std::size_t samples = 0;
  std::string data;
  // Most sensitive first: the measured top K by what returning the op to float recovers, then the
  // rest by local SQNR.
  std::vector<OpSensitivity> ops;
};

SensitivityResult analyze_sensitivity(const Model& float_model, const QuantPlan& plan, const Ranges& ranges,
                                      const HeldOutMetric& metric, const SensitivityOptions& options);

}  // namespace yoloq
