#include "yoloq/tune/fallback.hpp"

#include <algorithm>
#include <cstdio>

#include "yoloq/onnx/model_summary.hpp"
#include "yoloq/plan/plan_edits.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/interrupt.hpp"

namespace yoloq {

namespace {

// Measured ops that recovered something first, best first; then every other op by local SQNR.
std::vector<const OpSensitivity*> candidates(const SensitivityResult& sensitivity) {
  std::vector<const OpSensitivity*> measured, rest;
  for (const auto& s : sensitivity.ops) {
    if (s.metric_all_but && *s.metric_all_but > sensitivity.quantized_value)
      measured.push_back(&s);
    else if (!s.metric_all_but)
      rest.push_back(&s);
  }
  std::stable_sort(measured.begin(), measured.end(),
                   [](const OpSensitivity* a, const OpSensitivity* b) { return *a->metric_all_but > *b->metric_all_but; });
  measured.insert(measured.end(), rest.begin(), rest.end());
  return measured;
}

// How many of the model's Conv/ConvTranspose/Gemm/MatMul may be float, and how many the plan
// already keeps float (the head preset's, the user's): the budget is the model's, so that the
// model keeps min_quantized_fraction of all of them quantized, as the summary counts them.
std::pair<std::size_t, std::size_t> float_budget(const GraphIndex& index, const QuantPlan& plan,
                                                 double min_quantized_fraction) {
  std::size_t total = 0, already_float = 0;
  for (std::size_t i = 0; i < index.node_count(); ++i) total += is_weighted_op(index.node(i).op_type());
  for (const auto& f : plan.float_nodes) already_float += is_weighted_op(f.op_type);
  const auto budget =
      static_cast<std::size_t>(static_cast<double>(total) * (1 - min_quantized_fraction) + 1e-9);
  return {budget, already_float};
}

std::string points(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", v);
  return buffer;
}

}  // namespace

void check_max_drop(double max_drop) {
  if (!(max_drop >= 0 && max_drop <= 100))
    throw Error("--max_drop must be in [0, 100] mAP points, not " + points(max_drop));
}

FallbackResult fallback_to_max_drop(const Model& float_model, const QuantPlan& plan, const Ranges& ranges,
                                    const HeldOutMetric& metric, const FallbackOptions& options) {
  check_max_drop(options.max_drop);
  if (!metric.detect_model())
    throw Error("--max_drop needs a detect model: the drop is in mAP points of its detections");
  FallbackResult result;
  result.plan = plan;
  result.metric_name = metric.name();
  result.max_drop = options.max_drop;
  result.samples = metric.samples();
  result.float_value = metric.float_value();
  result.weighted_ops = plan.weight_nodes().size();
  auto current = metric.measure_in_detail(write_qdq_model(float_model, plan, ranges, options.sensitivity.write));
  result.initial_value = result.final_value = current.value;
  const bool by_snr = metric.has_class_scores();
  result.steered_by = by_snr ? "class-score SNR" : metric.name();
  auto within = [&] { return result.final_drop() <= options.max_drop; };
  if (within()) {
    result.reached = true;
    result.stop_reason = "the drop is within --max_drop without any fallback";
    return result;
  }

  const GraphIndex index(float_model.graph());
  // Steered by the SNR, the local SQNR orders the candidates; the end metric of a top K would
  // only cost time.
  SensitivityOptions sensitivity_options = options.sensitivity;
  if (by_snr) sensitivity_options.top_k = 0;
  const auto sensitivity = analyze_sensitivity(float_model, plan, ranges, metric, sensitivity_options);
  const auto [max_float, already_float] = float_budget(index, plan, options.min_quantized_fraction);
  result.stop_reason = "no candidate left";
  for (const auto* candidate : candidates(sensitivity)) {
    if (already_float + result.steps.size() >= max_float) {
      result.stop_reason = "returning one more op would leave fewer than " +
                           points(100 * options.min_quantized_fraction) + "% of the weighted ops quantized";
      break;
    }
    if (result.trials >= options.max_trials) {
      result.stop_reason = "tried " + std::to_string(options.max_trials) + " candidates";
      break;
    }
    check_interrupted();
    ++result.trials;
    auto trial = with_nodes_float(result.plan, index, {candidate->node}, "accuracy.fallback");
    const auto m = metric.measure_in_detail(write_qdq_model(float_model, trial, ranges, options.sensitivity.write));
    const bool better = by_snr ? *m.class_score_snr_db > *current.class_score_snr_db : m.value > current.value;
    if (!better) continue;  // it stays quantized
    current = m;
    result.plan = std::move(trial);
    result.final_value = m.value;
    result.steps.push_back({candidate->node, candidate->op_type, m.value, m.class_score_snr_db});
    if (within()) {
      result.stop_reason = "the drop is within --max_drop";
      break;
    }
  }
  result.reached = within();
  return result;
}

}  // namespace yoloq
