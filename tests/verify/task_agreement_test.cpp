// Verify's agreement for OBB and classify models, on outputs built here with known answers.
#include <gtest/gtest.h>

#include "verify/task_agreement.hpp"
#include "yoloq/eval/detection_metrics.hpp"
#include "yoloq/verify/verdict.hpp"

namespace yoloq {
namespace {

using verify_detail::TaskAgreement;

Model model_with_task(const std::string& task, const std::string& names) {
  Model model;
  for (auto [key, value] : {std::pair<std::string, std::string>{"task", task}, {"names", names}}) {
    auto* prop = model.proto.add_metadata_props();
    prop->set_key(key);
    prop->set_value(value);
  }
  return model;
}

// [1, 4 + 1 + 1, 8]: one class, anchors given as cx, cy, w, h, score, angle; the rest empty.
Tensor obb_output(const std::vector<std::array<float, 6>>& anchors) {
  Tensor t(DType::Float32, {1, 6, 8});
  auto v = t.values<float>();
  for (std::size_t a = 0; a < anchors.size(); ++a)
    for (std::size_t c = 0; c < 6; ++c) v[c * 8 + a] = anchors[a][c];
  return t;
}

TEST(TaskAgreement, OnlyObbAndClassifyModels) {
  EXPECT_EQ(TaskAgreement::for_model(model_with_task("detect", "{0: 'a'}")), nullptr);
  EXPECT_EQ(TaskAgreement::for_model(Model{}), nullptr);
  EXPECT_NE(TaskAgreement::for_model(model_with_task("obb", "{0: 'plane'}")), nullptr);
}

TEST(TaskAgreement, ObbIdenticalThenOneBoxLost) {
  const auto float_out = obb_output({{100, 100, 40, 20, 0.9f, 0.3f}, {300, 200, 30, 30, 0.8f, 1.0f}});
  // The INT8 model keeps the first box and misses the second (its score falls below 0.001).
  const auto quant_out = obb_output({{100, 100, 40, 20, 0.9f, 0.3f}, {300, 200, 30, 30, 0.0f, 1.0f}});
  auto agreement = TaskAgreement::for_model(model_with_task("obb", "{0: 'plane'}"));
  agreement->add(float_out, float_out, 0);
  VerifyResult same;
  agreement->finish(same);
  EXPECT_TRUE(same.detections.evaluated);
  EXPECT_EQ(same.detections.reference_objects, 2u);
  EXPECT_DOUBLE_EQ(same.detections.agreement.map50_95, 1.0);

  auto lossy = TaskAgreement::for_model(model_with_task("obb", "{0: 'plane'}"));
  lossy->add(float_out, quant_out, 0);
  VerifyResult half;
  lossy->finish(half);
  // Recall 0.5 at precision 1: COCO's integral has precision 1 at the 51 recall points 0..0.5 of
  // 101 and 0 beyond, at every threshold.
  EXPECT_NEAR(half.detections.agreement.map50_95, coco_ap({0.5}, {1.0}), 1e-12);
  EXPECT_NEAR(half.detections.agreement.map50_95, 51.0 / 101, 1e-12);
}

TEST(TaskAgreement, ClassifyTopOneAgreementAndVerdict) {
  Tensor f(DType::Float32, {2, 6}), q(DType::Float32, {2, 6});
  const float fv[] = {0.1f, 0.5f, 0.1f, 0.1f, 0.1f, 0.1f, 0.6f, 0.1f, 0.1f, 0.1f, 0.05f, 0.05f};
  const float qv[] = {0.1f, 0.5f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.6f, 0.1f, 0.1f, 0.05f, 0.05f};
  std::copy(std::begin(fv), std::end(fv), f.values<float>().begin());
  std::copy(std::begin(qv), std::end(qv), q.values<float>().begin());
  auto agreement = TaskAgreement::for_model(model_with_task("classify", "{0: 'a', 1: 'b', 2: 'c', 3: 'd', 4: 'e', 5: 'f'}"));
  agreement->add(f, q, 0);
  agreement->add(f, q, 1);
  VerifyResult result;
  agreement->finish(result);
  ASSERT_TRUE(result.classification.has_value());
  EXPECT_EQ(result.classification->images, 2u);
  EXPECT_DOUBLE_EQ(result.classification->top1, 0.5);
  // Image 2: float's top-5 {0, 1, 2, 3, 4}, INT8's {1, 0, 2, 3, 4}: all shared.
  EXPECT_DOUBLE_EQ(result.classification->top5_overlap, 1.0);
  VerdictThresholds t;
  t.min_samples = 2;
  const auto verdict = judge(result, t, true);
  EXPECT_EQ(verdict.level, VerdictLevel::Fail);
  EXPECT_EQ(verdict_line(verdict), "FAIL: top-1 agreement 0.500 < 0.90");
}

}  // namespace
}  // namespace yoloq
