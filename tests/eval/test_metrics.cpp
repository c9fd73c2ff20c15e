#include <gtest/gtest.h>

#include "yoloq/eval/detection_metrics.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq {
namespace {

// Expected values computed with the reference formulas (Ultralytics' compute_ap, pycocotools'
// accumulate) in numpy.
TEST(ApCurves, PerfectDetection) {
  EXPECT_NEAR(ultralytics_ap({1.0}, {1.0}), 0.995, 1e-12);  // the last recall point is always 0
  EXPECT_NEAR(coco_ap({1.0}, {1.0}), 1.0, 1e-12);
}

TEST(ApCurves, TruePositiveFalsePositiveTruePositive) {
  // Two objects; detections in score order TP, FP, TP.
  const std::vector<double> recall{0.5, 0.5, 1.0}, precision{1.0, 0.5, 2.0 / 3.0};
  EXPECT_NEAR(ultralytics_ap(recall, precision), 0.8283333333333331, 1e-12);
  EXPECT_NEAR(coco_ap(recall, precision), 0.8349834983498351, 1e-12);
}

TEST(ApCurves, HalfTheObjectsFoundAtPrecisionOne) {
  // Ultralytics interpolates between recall 0.5 and its appended (1.0, 0.0); COCO gives 0 there.
  EXPECT_NEAR(ultralytics_ap({0.5}, {1.0}), 0.75, 1e-12);
  EXPECT_NEAR(coco_ap({0.5}, {1.0}), 0.504950495049505, 1e-12);
}

TEST(ApCurves, CollapsedScoresAreOverCreditedByUltralytics) {
  // Precision 0.5 throughout: Ultralytics' envelope starts at 1.0 at recall 0.
  EXPECT_NEAR(ultralytics_ap({0.25, 0.5}, {0.5, 0.5}), 0.4375, 1e-12);
  EXPECT_NEAR(coco_ap({0.25, 0.5}, {0.5, 0.5}), 0.2524752475247525, 1e-12);
}

TEST(ApCurves, FalsePositiveFirst) {
  const std::vector<double> recall{0.0, 1.0 / 3, 2.0 / 3}, precision{0.0, 0.5, 2.0 / 3};
  EXPECT_NEAR(ultralytics_ap(recall, precision), 0.5555333333333334, 1e-12);
  EXPECT_NEAR(coco_ap(recall, precision), 0.4422442244224422, 1e-12);
}

TEST(NumpyInterp, DuplicatesExactHitsAndEnds) {
  const std::vector<double> xp{0.0, 0.5, 0.5, 1.0}, fp{1.0, 0.8, 0.4, 0.0};
  EXPECT_DOUBLE_EQ(numpy_interp(0.5, xp, fp, 9, 9), 0.4);  // the last of equal xp
  EXPECT_DOUBLE_EQ(numpy_interp(0.25, xp, fp, 9, 9), 0.9);
  EXPECT_DOUBLE_EQ(numpy_interp(0.75, xp, fp, 9, 9), 0.2);
  EXPECT_DOUBLE_EQ(numpy_interp(-1, xp, fp, 7, 9), 7);
  EXPECT_DOUBLE_EQ(numpy_interp(2, xp, fp, 7, 9), 9);
  EXPECT_DOUBLE_EQ(numpy_interp(1.0, xp, fp, 7, 9), 0.0);
}

TEST(IouThresholds, AsNumpyLinspace) {
  const auto t = iou_thresholds();
  ASSERT_EQ(t.size(), 10u);
  EXPECT_EQ(t[0], 0.5);
  EXPECT_EQ(t[8], 0.8999999999999999);  // not 0.9: numpy's i * step + start
  EXPECT_EQ(t[9], 0.95);
}

GroundTruth gt(double x1, double y1, double x2, double y2, int cls) {
  return {{x1, y1, x2, y2}, cls, {}, {}};
}
Detection dt(double x1, double y1, double x2, double y2, float score, int cls) {
  return {{x1, y1, x2, y2}, score, cls, -1, {}, {}};
}

TEST(DatasetMetrics, PerfectDetectionsScoreOneAndPointNineNineFive) {
  std::vector<ImageDetections> images{{1,
                                       {gt(0, 0, 10, 10, 0), gt(20, 20, 40, 40, 1)},
                                       {dt(0, 0, 10, 10, 0.9f, 0), dt(20, 20, 40, 40, 0.8f, 1)}},
                                      {2, {gt(5, 5, 50, 50, 0)}, {dt(5, 5, 50, 50, 0.7f, 0)}}};
  const auto u = ultralytics_metrics(images);
  EXPECT_NEAR(u.map50_95, 0.995, 1e-9);
  EXPECT_NEAR(u.map50, 0.995, 1e-9);
  EXPECT_NEAR(u.precision, 1.0, 1e-6);
  EXPECT_NEAR(u.recall, 1.0, 1e-6);
  EXPECT_EQ(u.instances, 3u);
  ASSERT_EQ(u.per_class.size(), 2u);
  EXPECT_EQ(u.per_class[0].images, 2u);
  const auto c = coco_metrics(images);
  EXPECT_NEAR(c.map50_95, 1.0, 1e-12);
  EXPECT_NEAR(c.coco_ar100, 1.0, 1e-12);
}

TEST(DatasetMetrics, IouBetweenThresholdsCountsForSomeThresholdsOnly) {
  // IoU 0.72 (box shifted): a true positive at 0.50..0.70, a false positive at 0.75..0.95.
  std::vector<ImageDetections> images{{1, {gt(0, 0, 100, 100, 0)}, {dt(0, 0, 100, 72, 0.9f, 0)}}};
  const auto c = coco_metrics(images);
  EXPECT_NEAR(c.map50, 1.0, 1e-12);
  EXPECT_NEAR(c.map50_95, 0.5, 1e-12);  // 5 of 10 thresholds
  const auto u = ultralytics_metrics(images);
  EXPECT_NEAR(u.map50_95, 0.5 * 0.995 + 0.5 * 0.0, 1e-6);
}

TEST(DatasetMetrics, ClassesWithoutLabelsAreLeftOutAndWrongClassesDoNotMatch) {
  // Class 1 has no labels: its detection neither counts as a class nor matches class 0's object.
  std::vector<ImageDetections> images{{1, {gt(0, 0, 10, 10, 0)}, {dt(0, 0, 10, 10, 0.9f, 1)}}};
  const auto c = coco_metrics(images);
  ASSERT_EQ(c.per_class.size(), 1u);
  EXPECT_EQ(c.per_class[0].class_id, 0);
  EXPECT_DOUBLE_EQ(c.map50_95, 0.0);
  EXPECT_DOUBLE_EQ(ultralytics_metrics(images).map50_95, 0.0);
}

TEST(DatasetMetrics, CocoKeepsOnlyOneHundredDetectionsPerImageAndClass) {
  // 101 detections of one object: the best-scoring one is a hit only in the 300-detection
  // Ultralytics flavour when it is ranked 101st.
  ImageDetections image{1, {gt(0, 0, 10, 10, 0)}, {}};
  for (int i = 0; i < 100; ++i)
    image.detections.push_back(dt(100 + i * 20, 0, 110 + i * 20, 10, 0.9f, 0));
  image.detections.push_back(dt(0, 0, 10, 10, 0.1f, 0));
  EXPECT_DOUBLE_EQ(coco_metrics({image}).map50_95, 0.0);
  EXPECT_GT(ultralytics_metrics({image}).map50_95, 0.0);
}

TEST(DatasetMetrics, OneDetectionMatchesOneObject) {
  // Two identical objects, one detection: recall 1/2 at precision 1.
  std::vector<ImageDetections> images{
      {1, {gt(0, 0, 10, 10, 0), gt(0, 0, 10, 10, 0)}, {dt(0, 0, 10, 10, 0.9f, 0)}}};
  EXPECT_NEAR(coco_metrics(images).map50_95, 0.504950495049505, 1e-12);
  EXPECT_NEAR(ultralytics_metrics(images).map50_95, 0.75, 1e-6);
}

TEST(DatasetMetrics, CocoAreaRanges) {
  // A 20x20 object found, a 50x50 object missed; no object above 96x96.
  std::vector<ImageDetections> images{
      {1, {gt(0, 0, 20, 20, 0), gt(100, 100, 150, 150, 0)}, {dt(0, 0, 20, 20, 0.9f, 0)}}};
  const auto c = coco_metrics(images);
  EXPECT_NEAR(c.coco_ap_small, 1.0, 1e-12);
  EXPECT_NEAR(c.coco_ap_medium, 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(c.coco_ap_large, -1.0);
  EXPECT_NEAR(c.map50_95, 0.504950495049505, 1e-12);  // recall 1/2 at precision 1 over all areas
  EXPECT_DOUBLE_EQ(ultralytics_metrics(images).coco_ap_small, -1.0);
}

TEST(Metric, ParsesNames) {
  EXPECT_EQ(parse_ap_metric("coco"), ApMetric::Coco);
  EXPECT_EQ(parse_ap_metric("ultralytics"), ApMetric::Ultralytics);
  EXPECT_THROW(parse_ap_metric("voc"), Error);
}

}  // namespace
}  // namespace yoloq
