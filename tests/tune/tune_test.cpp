// Accuracy tuning on a small detect-shaped graph built here: plan edits, the held-out metric,
// sensitivity ranking and the --max_drop fallback, with one layer given a deliberately bad range.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_models.hpp"
#include "yoloq/calib/calibrate.hpp"
#include "yoloq/plan/plan_edits.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/tune/bias_correction.hpp"
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
  // The budget is the model's: an op the plan keeps float already (here c1, as the head preset
  // keeps the head's) uses it up, so c2 may not follow.
  options.min_quantized_fraction = 0.5;
  const auto c1_float = with_nodes_float(s.plan, index, {"c1"}, "user.nodes_to_exclude");
  const auto spent = fallback_to_max_drop(s.model, c1_float, s.ranges, metric, options);
  EXPECT_TRUE(spent.steps.empty());
  EXPECT_THAT(spent.stop_reason, ::testing::HasSubstr("fewer than 50.00% of the weighted ops quantized"));
  options.max_drop = -1;
  EXPECT_EQ(error_message([&] { fallback_to_max_drop(s.model, s.plan, s.ranges, metric, options); }),
            "--max_drop must be in [0, 100] mAP points, not -1.00");
}

TEST(BiasCorrection, MeasuresAPlantedPerChannelShiftAndRemovesIt) {
  ScratchDir dir;
  const Model model = small_detector();
  // The "quantized" model: c2's bias moved by 0.1 x (channel + 1); nothing else differs.
  Model shifted = model;
  std::vector<double> planted;
  for (auto& init : *shifted.graph().mutable_initializer()) {
    if (init.name() != "c2.bias") continue;
    Tensor bias = to_tensor(init);
    auto v = bias.values<float>();
    for (std::size_t c = 0; c < v.size(); ++c) {
      planted.push_back(0.1 * static_cast<double>(c + 1));
      v[c] += static_cast<float>(planted.back());
    }
    init = to_proto(bias, "c2.bias");
  }
  ASSERT_EQ(planted.size(), 8u);
  SourceOptions source;
  source.path = dir / "samples.npy";
  write_detector_samples(source.path);
  auto data = make_calibration_data(model, source, false);
  const auto shifts = measure_bias_shifts(model, shifted, {"c2", "c3"}, *data.calibration, 64);
  ASSERT_EQ(shifts.size(), 2u);
  EXPECT_EQ(shifts[0].bias, "c2.bias");
  ASSERT_EQ(shifts[0].shift.size(), 8u);
  for (std::size_t c = 0; c < 8; ++c) EXPECT_NEAR(shifts[0].shift[c], planted[c], 1e-4) << c;
  // c3 reads c2's shifted output, but its shadow reads the same input: no shift of its own.
  for (const double s : shifts[1].shift) EXPECT_NEAR(s, 0.0, 1e-4);

  const Model corrected = with_corrected_biases(shifted, shifts);
  const GraphIndex original(model.graph()), fixed(corrected.graph());
  const auto before = to_tensor(*original.initializer("c2.bias")), after = to_tensor(*fixed.initializer("c2.bias"));
  for (std::size_t c = 0; c < 8; ++c) EXPECT_NEAR(after.values<float>()[c], before.values<float>()[c], 1e-4) << c;
}

// A two-level head whose class branch the analysis finds (a Sigmoid over the joined class
// convolutions): level 0 reads a0, level 1 reads a1; boxes are |conv| + 1.
Model detector_with_head() {
  GraphBuilder g;
  g.input("x", {1, 3, 8, 8});
  g.conv("c0", "x", "c0_out", 8, 3, 3);
  g.node("Relu", "r0", {"c0_out"}, {"a0"});
  g.conv("c1", "a0", "c1_out", 8, 8, 3);
  g.node("Relu", "r1", {"c1_out"}, {"a1"});
  g.initializer("box_shape", int64_vector({1, 4, 64}));
  g.initializer("class_shape", int64_vector({1, 2, 64}));
  for (const std::string level : {"0", "1"}) {
    g.conv("b" + level, "a" + level, "b" + level + "_out", 4, 8, 1);
    g.node("Reshape", "b" + level + "_flat", {"b" + level + "_out", "box_shape"}, {"b" + level + "_flat"});
    g.conv("k" + level, "a" + level, "k" + level + "_out", 2, 8, 1);
    g.node("Reshape", "k" + level + "_flat", {"k" + level + "_out", "class_shape"}, {"k" + level + "_flat"});
  }
  g.node("Concat", "box_cat", {"b0_flat", "b1_flat"}, {"box_raw"}, {{"axis", 2}});
  g.node("Abs", "box_abs", {"box_raw"}, {"box_abs"});
  g.initializer("one", float_tensor({1}, {1.0f}));
  g.node("Add", "box_add", {"box_abs", "one"}, {"boxes"});
  g.node("Concat", "class_cat", {"k0_flat", "k1_flat"}, {"logits"}, {{"axis", 2}});
  g.node("Sigmoid", "class_sigmoid", {"logits"}, {"scores"});
  g.node("Concat", "final_cat", {"boxes", "scores"}, {"output0"}, {{"axis", 1}});
  g.output("output0", {1, 6, 128});
  Model m = std::move(g.model());
  m.path = "detector_with_head.onnx";
  return m;
}

TEST(Fallback, WithAHeadTheClassScoreSnrChoosesAndABoxOnlyOpIsNotKept) {
  ScratchDir dir;
  Model model = detector_with_head();
  PlanOptions head_quantized;  // b0 and k0 are the head's output convolutions: float by default
  head_quantized.yolo_head = YoloHeadMode::FloatDfl;
  const auto plan = plan_quantization(model, head_quantized).plan;
  SourceOptions source;
  source.path = dir / "samples.npy";
  write_detector_samples(source.path);
  auto data = make_calibration_data(model, source, true);
  CalibrationOptions calibration;
  calibration.method = CalibrationMethod::Max;
  calibration.quiet = true;
  Ranges ranges = calibrate(model, plan.activation_tensors(), *data.calibration, calibration);
  auto& bad = ranges.tensors.at("a0");  // read by b0 and k0 alone
  bad.amax /= 50, bad.max /= 50;
  const HeldOutMetric metric(model, *data.held_out, {});
  ASSERT_TRUE(metric.has_class_scores());
  const GraphIndex index(model.graph());
  const double k0_float =
      metric.measure(write_qdq_model(model, with_nodes_float(plan, index, {"b0", "k0"}, "t"), ranges));
  FallbackOptions options;
  options.sensitivity.quiet = true;
  options.min_quantized_fraction = 0.5;
  options.max_drop = std::max(0.0, metric.float_value() - k0_float) + 1e-9;
  const auto result = fallback_to_max_drop(model, plan, ranges, metric, options);
  EXPECT_EQ(result.steered_by, "class-score SNR");
  // b0 and k0 share the ill-ranged input and so its local SQNR; b0 comes first (by name) but
  // changes no class score, so only k0 is kept float.
  ASSERT_FALSE(result.steps.empty());
  EXPECT_EQ(result.steps[0].node, "k0");
  ASSERT_TRUE(result.steps[0].class_score_snr_db);
  for (const auto& step : result.steps) EXPECT_NE(step.node, "b0");
  EXPECT_GE(result.trials, 2u);
}

}  // namespace
}  // namespace yoloq
