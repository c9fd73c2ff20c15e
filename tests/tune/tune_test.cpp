// Accuracy tuning on a small detect-shaped graph built here: plan edits, the held-out metric,
// sensitivity ranking and the --max_drop fallback, with one layer given a deliberately bad range.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_models.hpp"
#include "yoloq/calib/calibrate.hpp"
#include "yoloq/plan/plan_edits.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/tune/fallback.hpp"

namespace yoloq {
namespace {

using testing::ScratchDir;
using testing::error_message;
using testing::small_detector;
using testing::write_detector_samples;

struct Setup {
  Model model = small_detector();
  QuantPlan plan;
  Ranges ranges;
  CalibrationData data;
};

// Calibrated with max, then c2's input range shrunk 50 times: most of it is clipped.
Setup ill_ranged_setup(const ScratchDir& dir) {
  Setup s;
  s.plan = plan_quantization(s.model, {}).plan;
  SourceOptions source;
  source.path = dir / "samples.npy";
  write_detector_samples(source.path);
  s.data = make_calibration_data(s.model, source, true);
  CalibrationOptions calibration;
  calibration.method = CalibrationMethod::Max;
  calibration.quiet = true;
  s.ranges = calibrate(s.model, s.plan.activation_tensors(), *s.data.calibration, calibration);
  auto& bad = s.ranges.tensors.at("a1");
  bad.amax /= 50, bad.max /= 50;
  return s;
}

std::vector<std::string> consumers_of(const QuantPlan& plan, const std::string& tensor) {
  for (const auto& a : plan.activations)
    if (a.tensor == tensor) return a.consumers;
  return {};
}

TEST(PlanEdits, NodesFloatDropTheirInputsAndWeightsOnly) {
  const Model model = small_detector();
  const GraphIndex index(model.graph());
  const auto plan = plan_quantization(model, {}).plan;
  ASSERT_EQ(consumers_of(plan, "a1"), std::vector<std::string>{"c2"});
  const auto edited = with_nodes_float(plan, index, {"c2"}, "accuracy.fallback");
  EXPECT_TRUE(consumers_of(edited, "a1").empty());                        // read by c2 alone: dropped
  EXPECT_EQ(consumers_of(edited, "a2"), std::vector<std::string>{"c3"});  // untouched
  EXPECT_EQ(edited.weights.size(), plan.weights.size() - 1);
  ASSERT_EQ(edited.float_nodes.size(), plan.float_nodes.size() + 1);
  EXPECT_EQ(edited.float_nodes.back().node, "c2");
  EXPECT_EQ(edited.float_nodes.back().op_type, "Conv");
  EXPECT_EQ(edited.float_nodes.back().rule, "accuracy.fallback");
  // Twice is once.
  EXPECT_EQ(with_nodes_float(edited, index, {"c2"}, "again").float_nodes.size(), edited.float_nodes.size());

  const auto only = with_only_nodes_quantized(plan, {"c2"});
  ASSERT_EQ(only.activations.size(), 1u);
  EXPECT_EQ(only.activations[0].tensor, "a1");
  ASSERT_EQ(only.weights.size(), 1u);
  EXPECT_EQ(only.weights[0].node, "c2");
  EXPECT_TRUE(activations_only(plan).weights.empty());
  EXPECT_TRUE(weights_only(plan).activations.empty());
}

TEST(HeldOutMetric, AgreementOfTheFloatModelIsAHundredAndMapNeedsLabels) {
  ScratchDir dir;
  auto s = ill_ranged_setup(dir);
  const HeldOutMetric metric(s.model, *s.data.held_out, {});
  EXPECT_TRUE(metric.detect_model());
  EXPECT_EQ(metric.samples(), 5u);
  EXPECT_DOUBLE_EQ(metric.float_value(), 100.0);
  EXPECT_DOUBLE_EQ(metric.measure(s.model), 100.0);
  HeldOutMetricOptions map;
  map.metric = DropMetric::Map;
  EXPECT_EQ(error_message([&] { HeldOutMetric(s.model, *s.data.held_out, map); }),
            "--drop_metric map needs --labels (a folder of YOLO labels for the images)");
  map.labels = dir.path();
  EXPECT_THAT(error_message([&] { HeldOutMetric(s.model, *s.data.held_out, map); }),
              ::testing::HasSubstr("--drop_metric map needs images"));
}

TEST(Sensitivity, RanksTheIllRangedLayerFirst) {
  ScratchDir dir;
  auto s = ill_ranged_setup(dir);
  const HeldOutMetric metric(s.model, *s.data.held_out, {});
  SensitivityOptions options;
  options.quiet = true;
  const auto result = analyze_sensitivity(s.model, s.plan, s.ranges, metric, options);
  ASSERT_EQ(result.ops.size(), 3u);
  EXPECT_EQ(result.ops[0].node, "c2");
  for (const auto& op : result.ops) {
    ASSERT_TRUE(op.metric_all_but) << op.node;  // top K = 8 covers all three
    ASSERT_TRUE(op.metric_only) << op.node;
    if (op.node != "c2") {
      EXPECT_GT(op.local_sqnr_activations, result.ops[0].local_sqnr_activations) << op.node;
    }
  }
  EXPECT_LT(result.quantized_value, *result.ops[0].metric_all_but);
  EXPECT_LT(*result.ops[0].metric_only, result.float_value);  // c2 alone already loses
}

TEST(Fallback, ReturnsExactlyTheIllRangedLayerAndStops) {
  ScratchDir dir;
  auto s = ill_ranged_setup(dir);
  const HeldOutMetric metric(s.model, *s.data.held_out, {});
  const GraphIndex index(s.model.graph());
  const double c2_float =
      metric.measure(write_qdq_model(s.model, with_nodes_float(s.plan, index, {"c2"}, "t"), s.ranges));
  FallbackOptions options;
  options.sensitivity.quiet = true;
  options.max_drop = metric.float_value() - c2_float + 1e-9;
  options.min_quantized_fraction = 0.5;  // 3 ops: one may go float
  const auto result = fallback_to_max_drop(s.model, s.plan, s.ranges, metric, options);
  ASSERT_EQ(result.steps.size(), 1u);
  EXPECT_EQ(result.steps[0].node, "c2");
  EXPECT_TRUE(result.reached);
  EXPECT_EQ(result.stop_reason, "the drop is within --max_drop");
  EXPECT_GT(result.initial_drop(), options.max_drop);
  EXPECT_DOUBLE_EQ(result.final_value, c2_float);
  EXPECT_EQ(result.plan.float_nodes.back().rule, "accuracy.fallback");

  // Within the bound already: nothing changes.
  options.max_drop = 100;
  const auto untouched = fallback_to_max_drop(s.model, s.plan, s.ranges, metric, options);
  EXPECT_TRUE(untouched.steps.empty());
  EXPECT_EQ(untouched.plan.weights.size(), s.plan.weights.size());
  // At least 90% of 3 ops quantized: none may go float.
  options.max_drop = 0;
  options.min_quantized_fraction = 0.9;
  const auto capped = fallback_to_max_drop(s.model, s.plan, s.ranges, metric, options);
  EXPECT_TRUE(capped.steps.empty());
  EXPECT_FALSE(capped.reached);
  EXPECT_THAT(capped.stop_reason, ::testing::HasSubstr("fewer than 90.00% of the weighted ops quantized"));
  options.max_drop = -1;
  EXPECT_EQ(error_message([&] { fallback_to_max_drop(s.model, s.plan, s.ranges, metric, options); }),
            "--max_drop must be in [0, 100] mAP points, not -1.00");
}

}  // namespace
}  // namespace yoloq
