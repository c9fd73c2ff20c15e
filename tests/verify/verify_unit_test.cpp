// Verification without the shared data: its structure and numeric checks on small graphs built
// here, with exact expected values.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "test_support.hpp"
#include "verify/numerics.hpp"
#include "yoloq/data/batch_source.hpp"
#include "yoloq/plan/quant_plan.hpp"
#include "yoloq/synth/graph_builder.hpp"
#include "yoloq/verify/verdict.hpp"
#include "yoloq/verify/verify.hpp"
#include "yoloq/write/qdq_writer.hpp"

namespace yoloq {
namespace {

using verify_detail::OutputComparison;

// x [1, 2, 4, 4] -> Conv 1x1 (3 channels) -> y.
Model one_conv() {
  GraphBuilder g;
  g.input("x", {1, 2, 4, 4});
  g.conv("conv", "x", "y", 3, 2);
  g.output("y", {1, 3, 4, 4});
  return g.model();
}

// The same model written with Q/DQ on the Conv's input and weight.
Model one_conv_quantized(const Model& model) {
  PlanOptions options;
  const auto plan = plan_quantization(model, options).plan;
  Ranges ranges;
  for (const auto& t : plan.activation_tensors()) ranges.tensors[t] = {0.0f, 1.0f, 1.0f};
  return write_qdq_model(model, plan, ranges);
}

TEST(VerifyNumerics, IdenticalOutputsHaveCosineOneAndInfiniteSnr) {
  OutputComparison c("y", std::nullopt);
  const Tensor t = float_tensor({1, 4}, {1, -2, 3, 4});
  c.add(t, t);
  const auto n = c.finish();
  EXPECT_DOUBLE_EQ(n.cosine, 1.0);
  EXPECT_EQ(n.snr_db, std::numeric_limits<double>::infinity());
  EXPECT_DOUBLE_EQ(n.max_abs_error, 0.0);
}

TEST(VerifyNumerics, SnrAndMaxErrorAreExact) {
  OutputComparison c("y", std::nullopt);
  // Signal energy 1 + 4 + 9 + 16 = 30, error energy 0.25 + 0.25 = 0.5: 10 log10(60) dB.
  c.add(float_tensor({1, 4}, {1, 2, 3, 4}), float_tensor({1, 4}, {1.5f, 2, 3, 3.5f}));
  const auto n = c.finish();
  EXPECT_NEAR(n.snr_db, 10 * std::log10(60.0), 1e-9);
  EXPECT_DOUBLE_EQ(n.max_abs_error, 0.5);
  // Sums run over samples: a second, identical-error sample leaves the ratio unchanged.
  c.add(float_tensor({1, 4}, {1, 2, 3, 4}), float_tensor({1, 4}, {1.5f, 2, 3, 3.5f}));
  EXPECT_NEAR(c.finish().snr_db, 10 * std::log10(60.0), 1e-9);
}

TEST(VerifyNumerics, DetectOutputsScoreTheClassChannelsAlone) {
  // [1, 4 + 1, 6]: boxes are exact, the one class row is off by 0.1 at four of six anchors.
  OutputComparison c("output0", BoxOutputLayout{"detect", 1, 0, false});
  std::vector<float> boxes(4 * 6, 10.0f);
  std::vector<float> ref_values = boxes, quant_values = boxes;
  for (float v : {0.5f, 0.6f, 0.7f, 0.5f, 0.6f, 0.7f}) ref_values.push_back(v);
  for (int i = 0; i < 6; ++i) quant_values.push_back(0.6f);
  c.add(float_tensor({1, 5, 6}, ref_values), float_tensor({1, 5, 6}, quant_values));
  const auto n = c.finish();
  // Class scores: signal 2 x (0.25 + 0.36 + 0.49) = 2.2, error 4 x 0.01 = 0.04.
  EXPECT_NEAR(n.class_score_snr_db, 10 * std::log10(2.2 / 0.04), 1e-5);
  EXPECT_EQ(n.distinct_class_scores_float, 3u);  // 0.5, 0.6, 0.7
  EXPECT_EQ(n.distinct_class_scores_quant, 1u);  // collapsed to 0.6
  EXPECT_GT(n.snr_db, n.class_score_snr_db);     // the boxes hide the score error in the whole
}

TEST(VerifyNumerics, PoseOutputsScoreBoxesScoresAndKeypointsApart) {
  // [1, 4 + 1 + 2, 8]: one class, one keypoint (x, y), 8 anchors. Boxes (all 10) off by 1 at one
  // value, scores exact, keypoints (all 4) off by 2 at two values.
  OutputComparison c("output0", BoxOutputLayout{"pose", 1, 2, false});
  std::vector<float> ref(7 * 8, 10.0f);
  for (int a = 0; a < 8; ++a) ref[4 * 8 + a] = 0.1f * static_cast<float>(a + 1);
  for (int i = 5 * 8; i < 7 * 8; ++i) ref[i] = 4;
  auto quant = ref;
  quant[3] += 1;
  quant[5 * 8] += 2;
  quant[6 * 8 + 7] -= 2;
  c.add(float_tensor({1, 7, 8}, ref), float_tensor({1, 7, 8}, quant));
  const auto n = c.finish();
  EXPECT_EQ(n.task_channels, "keypoints");
  EXPECT_NEAR(n.box_snr_db, 10 * std::log10(3200.0 / 1.0), 1e-9);
  EXPECT_TRUE(std::isinf(n.class_score_snr_db));  // identical scores
  EXPECT_NEAR(n.task_channels_snr_db, 10 * std::log10(256.0 / 8.0), 1e-9);
  EXPECT_EQ(n.distinct_class_scores_float, 8u);
}

TEST(VerifyNumerics, EndToEndRowsAreNotComparedElementByElement) {
  // [1, 2, 6]: the same two detections in swapped rows; elementwise they differ completely.
  OutputComparison c("output0", BoxOutputLayout{"detect", 0, 0, true});
  c.mark_end_to_end();
  c.add(float_tensor({1, 2, 6}, {0, 0, 9, 9, 0.9f, 1, 5, 5, 20, 20, 0.6f, 2}),
        float_tensor({1, 2, 6}, {5, 5, 20, 20, 0.6f, 2, 0, 0, 9, 9, 0.9f, 1}));
  const auto n = c.finish();
  EXPECT_TRUE(n.end_to_end);
  EXPECT_TRUE(std::isnan(n.snr_db));
  EXPECT_TRUE(std::isnan(n.cosine));
  EXPECT_EQ(n.distinct_class_scores_float, 2u);  // the score column only: 0.6, 0.9
  EXPECT_EQ(n.distinct_class_scores_quant, 2u);
  VerifyResult r;
  r.numerics.push_back(n);
  EXPECT_EQ(verdict_line(judge(r, {}, true)).find("SNR"), std::string::npos);  // no SNR to judge
}

TEST(VerifyNumerics, ShapeMismatchIsAnError) {
  OutputComparison c("y", std::nullopt);
  EXPECT_EQ(testing::error_message([&] { c.add(float_tensor({1, 2}, {1, 2}), float_tensor({2, 1}, {1, 2})); }),
            "output 'y': float shape [1x2] but quantized shape [2x1]");
}

TEST(VerifyStructure, CountsQdqNodesAndTheQuantizedConv) {
  const Model model = one_conv();
  const auto report = compare_structure(model, one_conv_quantized(model));
  EXPECT_TRUE(report.interface_differences.empty());
  EXPECT_EQ(report.quantize_linear, 1u);    // the Conv's activation input
  EXPECT_EQ(report.dequantize_linear, 2u);  // that input and the INT8 weight
  EXPECT_EQ(report.dequantized_inputs_by_op.at("Conv"), 2u);
  EXPECT_EQ(report.weighted_ops.at("Conv").total, 1u);
  EXPECT_EQ(report.weighted_ops.at("Conv").quantized, 1u);
  EXPECT_EQ(report.int8_weight_bytes, 3u * 2u + 3u);  // the [3, 2, 1, 1] weight and its 3 zero points
  // The float model has no Q/DQ: nothing is quantized.
  const auto same = compare_structure(model, model);
  EXPECT_EQ(same.weighted_ops.at("Conv").quantized, 0u);
  EXPECT_EQ(same.quantize_linear + same.dequantize_linear, 0u);
}

TEST(VerifyStructure, InterfaceDifferencesAreListed) {
  const Model model = one_conv();
  Model renamed = model;
  renamed.graph().mutable_output(0)->set_name("z");
  const auto report = compare_structure(model, renamed);
  ASSERT_EQ(report.interface_differences.size(), 1u);
  EXPECT_EQ(report.interface_differences[0], "output 0: float y float32 [1x3x4x4], quantized z float32 [1x3x4x4]");
}

TEST(VerifyModels, RandomHeldOutSamplesOnASmallGraph) {
  const Model model = one_conv(), quantized = one_conv_quantized(model);
  SourceOptions source;
  source.max_samples = 3;
  source.seed = 1;
  auto held_out = make_calibration_source(model, source);
  VerifyOptions options;
  options.speed_runs = 0;
  options.speed_note = "not timed here";
  options.quiet = true;
  const auto result = verify_models(model, quantized, *held_out, options);
  EXPECT_EQ(result.samples, 3u);
  EXPECT_EQ(result.structure.weighted_ops.at("Conv").quantized, 1u);
  ASSERT_EQ(result.numerics.size(), 1u);
  EXPECT_EQ(result.numerics[0].name, "y");
  // Inputs in [0, 1) and the range [0, 1]: the INT8 model is close but not exact.
  EXPECT_GT(result.numerics[0].cosine, 0.999);
  EXPECT_LT(result.numerics[0].cosine, 1.0);
  EXPECT_FALSE(result.detections.evaluated);
  EXPECT_THAT(result.detections.note, ::testing::HasSubstr("is neither a detect head's"));
  EXPECT_EQ(result.speed.note, "not timed here");
  // Against itself, exact.
  held_out->rewind();
  EXPECT_EQ(verify_models(model, model, *held_out, options).numerics[0].snr_db,
            std::numeric_limits<double>::infinity());
}

}  // namespace
}  // namespace yoloq

namespace yoloq {
namespace {

// A detect model's verification as the thresholds see it.
VerifyResult detect_result(double class_snr, std::size_t distinct_quant, double agreement, std::size_t images) {
  VerifyResult r;
  OutputNumerics n;
  n.name = "output0";
  n.detect_output = true;
  n.class_score_snr_db = class_snr;
  n.distinct_class_scores_float = 1000;
  n.distinct_class_scores_quant = distinct_quant;
  r.numerics.push_back(n);
  r.detections.evaluated = true;
  r.detections.images = images;
  r.detections.reference_objects = 50;
  r.detections.agreement.map50_95 = agreement;
  return r;
}

TEST(Verdict, SoundModelPasses) {
  const auto v = judge(detect_result(13.9, 950, 0.967, 15), {}, true);
  EXPECT_EQ(v.level, VerdictLevel::Pass);
  EXPECT_EQ(verdict_line(v), "PASS: class-score SNR 13.9 dB >= 8 dB; agreement 0.967 >= 0.90");
}

TEST(Verdict, CollapsedScoresFailWhateverElseSays) {
  // --yolo_head int8 on ort-cpu, measured: 37 distinct class scores where float has 40301.
  const auto v = judge(detect_result(13.1, 37, 0.95, 64), {}, true);
  EXPECT_EQ(v.level, VerdictLevel::Fail);
  EXPECT_EQ(verdict_line(v), "FAIL: class scores collapsed to 37 distinct values (float 1000)");
}

TEST(Verdict, LabelledDropAboveMaxDropFails) {
  auto r = detect_result(11.6, 900, 0.93, 64);
  r.detections.with_labels = true;
  r.detections.drop_points_coco = 3.38;
  VerdictThresholds t;
  EXPECT_EQ(verdict_line(judge(r, t, true)), "FAIL: mAP drop 3.38 > 2 points");
  t.max_drop = 4;
  EXPECT_EQ(judge(r, t, true).level, VerdictLevel::Pass);
}

TEST(Verdict, ADropTheImagesDoNotResolveWarnsAndAResolvedOneFails) {
  // YOLO26n's default trt model before the float head: 2.12 points on the 15 held-out images,
  // 1.62 on all 126 coco128 images.
  auto r = detect_result(11.6, 900, 0.95, 15);
  r.detections.with_labels = true;
  r.detections.drop_points_coco = 2.12;
  r.detections.drop_interval_coco = {0.43, 3.80, 0.9, 200};
  EXPECT_EQ(verdict_line(judge(r, {}, true)),
            "WARN: mAP drop 2.12 > 2 points, but 15 images do not resolve it (90% interval 0.43 to 3.80); verify on "
            "more labelled images");
  r.detections.drop_interval_coco = {2.01, 3.80, 0.9, 200};  // resolved: every resampling is above the bound
  EXPECT_EQ(verdict_line(judge(r, {}, true)), "FAIL: mAP drop 2.12 > 2 points");
  r.detections.drop_points_coco = 1.5;  // within the bound, however wide the interval
  r.detections.drop_interval_coco = {-2.0, 4.0, 0.9, 200};
  EXPECT_EQ(verdict_line(judge(r, {}, true)),
            "PASS: class-score SNR 11.6 dB >= 8 dB; agreement 0.950 >= 0.90; mAP drop 1.50 <= 2 points");
}

TEST(Verdict, RandomDataAndTooFewSamplesWarn) {
  const auto random = judge(detect_result(40.0, 1000, 0.99, 4), {}, false);
  EXPECT_EQ(random.level, VerdictLevel::Warn);
  EXPECT_THAT(verdict_line(random), ::testing::StartsWith("WARN: not validated on real data"));
  const auto few = judge(detect_result(13.9, 950, 1.0, 4), {}, true);
  EXPECT_EQ(few.level, VerdictLevel::Warn);
  EXPECT_EQ(verdict_line(few), "WARN: too few held-out samples (4 < 10) to judge detections");
  EXPECT_EQ(to_json(few)["level"], "WARN");
  const auto reused = judge(detect_result(13.9, 950, 0.97, 32), {}, true, false);
  EXPECT_EQ(verdict_line(reused), "WARN: checked on the calibration samples themselves (none were left to hold out)");
  EXPECT_EQ(to_json(few)["thresholds"]["min_samples"], 10);
  EXPECT_EQ(to_json(few)["thresholds"]["min_reference_objects"], 30);
  // Few float detections: a low agreement is a caveat, a high one still passes.
  auto sparse = detect_result(11.7, 950, 0.881, 15);
  sparse.detections.reference_objects = 16;
  EXPECT_EQ(verdict_line(judge(sparse, {}, true)),
            "WARN: agreement 0.881 < 0.90 on only 16 float detections (fewer than 30 are too few to fail on); verify "
            "on more images");
  sparse.detections.agreement.map50_95 = 0.95;
  EXPECT_EQ(verdict_line(judge(sparse, {}, true)), "PASS: class-score SNR 11.7 dB >= 8 dB; agreement 0.950 >= 0.90");
  sparse.detections.reference_objects = 30;
  sparse.detections.agreement.map50_95 = 0.881;
  EXPECT_EQ(verdict_line(judge(sparse, {}, true)), "FAIL: agreement 0.881 < 0.90");
  auto seen = detect_result(13.9, 950, 0.97, 32);
  seen.samples = 32;
  seen.calibration_samples_seen = 5;
  EXPECT_EQ(verdict_line(judge(seen, {}, true)),
            "WARN: 5 of the 32 samples are ones the model was calibrated on; verify on data it has not seen");
}

}  // namespace
}  // namespace yoloq
