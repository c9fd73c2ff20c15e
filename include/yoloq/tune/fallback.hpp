#pragma once
// Accuracy-driven fallback (`quantize --max_drop D`): while the end metric on the held-out samples
// has dropped by more than D, return the most sensitive weighted op to float (its activation
// input and its weight), re-measuring after each. An op is kept float only if it helps, judged by
// the SNR of the Detect head's class probabilities when the head is found (a continuous signal
// over every anchor and class), else by the end metric itself; candidates are tried in order of
// local SQNR (sensitivity.hpp) or, without the head, in order of what the end metric measured
// for the top K first. A few dozen held-out images measure mAP too coarsely to choose ops by it:
// on coco128's 15, choosing by mAP kept ops whose gain did not carry over to the other images.
// It stops when the drop is within D, when one more op would leave fewer than
// `min_quantized_fraction` of the model's weighted ops quantized (those the plan keeps float
// already, such as the head's output convolutions, count), or after `max_trials` candidates. The
// result is a plan: the writer sees nothing else.
#include <optional>
#include <string>
#include <vector>

#include "yoloq/tune/sensitivity.hpp"

namespace yoloq {

struct FallbackOptions {
  double max_drop = 0;  // points of the metric (held_out_metric.hpp)
  double min_quantized_fraction = 0.9;
  std::size_t max_trials = 24;
  SensitivityOptions sensitivity;
};

struct FallbackStep {
  std::string node, op_type;
  double metric = 0;  // after returning it to float
  std::optional<double> class_score_snr_db;
};

struct FallbackResult {
  QuantPlan plan;  // the input plan with the steps' ops float (rule "accuracy.fallback")
  std::string metric_name;
  std::string steered_by;  // "class-score SNR" or the metric's name
  double max_drop = 0;
  std::size_t samples = 0;  // held-out samples measured on
  double float_value = 0, initial_value = 0, final_value = 0;
  std::vector<FallbackStep> steps;  // the ops returned to float, in order
  std::size_t trials = 0;           // candidates measured
  std::size_t weighted_ops = 0;     // weighted ops the input plan quantizes
  bool reached = false;             // final drop within max_drop
  std::string stop_reason;
  double initial_drop() const { return float_value - initial_value; }
  double final_drop() const { return float_value - final_value; }
};

// Throws Error for a max_drop outside [0, 100] mAP points.
void check_max_drop(double max_drop);

// Throws Error for a model the metric cannot score as detections (the drop is in mAP points) or a
// max_drop outside [0, 100].
FallbackResult fallback_to_max_drop(const Model& float_model, const QuantPlan& plan, const Ranges& ranges,
                                    const HeldOutMetric& metric, const FallbackOptions& options);

}  // namespace yoloq
