// The held-out end metric of OBB and classify models: agreement with the float model's own
// rotated boxes or best class, in points, where other non-detect models get an output SNR.
#include <gtest/gtest.h>

#include <cstring>

#include "test_support.hpp"
#include "yoloq/data/batch_source.hpp"
#include "yoloq/synth/yolo_synth.hpp"
#include "yoloq/tune/held_out_metric.hpp"

namespace yoloq {
namespace {

Model synth(const std::string& arch) {
  SynthOptions options;
  options.arch = arch;
  options.imgsz = 64;
  options.num_classes = 3;
  return synthesize_yolo(options);
}

// A perturbed copy: every Conv bias shifted, so its outputs differ from the float model's.
Model with_shifted_biases(Model model, float shift) {
  for (auto& init : *model.graph().mutable_initializer())
    if (init.name().find("bias") != std::string::npos && init.data_type() == onnx::TensorProto::FLOAT)
      for (std::size_t i = 0; i + 4 <= init.raw_data().size(); i += 4) {
        float v;
        std::memcpy(&v, init.raw_data().data() + i, 4);
        v += shift;
        std::memcpy(init.mutable_raw_data()->data() + i, &v, 4);
      }
  return model;
}

TEST(HeldOutTaskMetric, ObbAgreementOfRotatedBoxes) {
  // Random inputs give a synth OBB model no box at score >= 0.25; coco128 images give a few.
  if (!std::filesystem::is_directory(testing::coco128_images())) GTEST_SKIP() << "needs the shared coco128 images";
  const Model model = synth("yolo11n-obb");
  SourceOptions source;
  source.path = testing::coco128_images();  // 15 of them held out
  auto data = make_calibration_data(model, source, true);
  const HeldOutMetric metric(model, *data.held_out, {});
  EXPECT_EQ(metric.name(), "agreement mAP50-95 (rotated boxes)");
  EXPECT_EQ(metric.unit(), "points");
  EXPECT_FALSE(metric.detect_model());  // --max_drop stays a detect-model feature
  EXPECT_DOUBLE_EQ(metric.float_value(), 100.0);
  EXPECT_LT(metric.measure(with_shifted_biases(model, 0.5f)), 100.0);
}

TEST(HeldOutTaskMetric, ClassifyTopOneAgreement) {
  const Model model = synth("yolo11n-cls");
  SourceOptions source;  // random samples, 4 held out
  auto data = make_calibration_data(model, source, true);
  const HeldOutMetric metric(model, *data.held_out, {});
  EXPECT_EQ(metric.name(), "top-1 agreement");
  EXPECT_DOUBLE_EQ(metric.float_value(), 100.0);
  EXPECT_DOUBLE_EQ(metric.measure(model), 100.0);
}

}  // namespace
}  // namespace yoloq
