// Verify's mask and keypoint agreement on the real segment and pose models: a sound first-layer
// quantization agrees almost fully, one with its scales 100x too large (activations crushed to a
// few levels) much less; the box agreement is reported beside them as before.
#include <gtest/gtest.h>

#include <filesystem>

#include "qdq_test_model.hpp"
#include "test_support.hpp"
#include "yoloq/data/batch_source.hpp"
#include "yoloq/verify/report.hpp"
#include "yoloq/verify/verify.hpp"

namespace fs = std::filesystem;

namespace yoloq {
namespace {

struct TaskAgreement {
  MapPair boxes;
  std::optional<MapPair> masks, keypoints;
  nlohmann::json json;
  std::string markdown;
};

TaskAgreement verify_first_conv(const fs::path& model_path, float scale_factor) {
  const Model float_model = load_model(model_path);
  const Model quant_model = testing::quantize_first_conv(float_model, 1.0f / 127, scale_factor);
  SourceOptions source;
  source.path = testing::coco128_images();
  source.max_samples = 12;
  auto held_out = make_calibration_source(float_model, source);
  VerifyOptions options;
  options.speed_runs = 0;
  options.quiet = true;
  const auto r = verify_models(float_model, quant_model, *held_out, options);
  return {r.detections.agreement, r.detections.mask_agreement, r.detections.keypoint_agreement, to_json(r),
          markdown_report(r)};
}

class VerifyTasksRealData : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(seg_model()) || !fs::exists(pose_model()) || !fs::is_directory(testing::coco128_images()))
      GTEST_SKIP() << "no shared data at " << testing::data_dir();
  }
  static fs::path seg_model() { return testing::data_dir() / "models" / "yolov8n-seg-coco-320.onnx"; }
  static fs::path pose_model() { return testing::data_dir() / "models" / "yolo11n-pose-coco-640.onnx"; }
};

TEST_F(VerifyTasksRealData, SegmentModelReportsMaskAgreement) {
  const auto sound = verify_first_conv(seg_model(), 1.0f), broken = verify_first_conv(seg_model(), 100.0f);
  ASSERT_TRUE(sound.masks && broken.masks);
  EXPECT_FALSE(sound.keypoints);
  EXPECT_GT(sound.masks->map50_95, 0.85);
  EXPECT_LT(broken.masks->map50_95, sound.masks->map50_95 - 0.2);
  // Masks are harder to match than boxes: their agreement does not exceed the boxes' by much.
  EXPECT_LT(sound.masks->map50_95, sound.boxes.map50_95 + 0.02);
  EXPECT_DOUBLE_EQ(sound.json["detections"]["mask_agreement"]["map50_95"].get<double>(), sound.masks->map50_95);
  EXPECT_NE(sound.markdown.find("| INT8 vs float masks |"), std::string::npos);
}

TEST_F(VerifyTasksRealData, PoseModelReportsKeypointAgreement) {
  const auto sound = verify_first_conv(pose_model(), 1.0f), broken = verify_first_conv(pose_model(), 100.0f);
  ASSERT_TRUE(sound.keypoints && broken.keypoints);
  EXPECT_FALSE(sound.masks);
  EXPECT_GT(sound.keypoints->map50_95, 0.85);
  EXPECT_LT(broken.keypoints->map50_95, sound.keypoints->map50_95 - 0.2);
  EXPECT_DOUBLE_EQ(sound.json["detections"]["keypoint_agreement"]["map50"].get<double>(), sound.keypoints->map50);
  EXPECT_NE(sound.markdown.find("| INT8 vs float keypoints (OKS) |"), std::string::npos);
}

}  // namespace
}  // namespace yoloq
