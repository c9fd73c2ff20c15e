#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "yoloq/eval/detection.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq {
namespace {

Detection det(double x1, double y1, double x2, double y2, float score, int cls) {
  return {{x1, y1, x2, y2}, score, cls, -1, {}, {}};
}

TEST(Iou, KnownOverlaps) {
  const Box a{0, 0, 10, 10};
  EXPECT_DOUBLE_EQ(iou(a, a), 1.0);
  EXPECT_DOUBLE_EQ(iou(a, {5, 0, 15, 10}), 50.0 / 150.0);
  EXPECT_DOUBLE_EQ(iou(a, {0, 0, 10, 7}), 0.7);
  EXPECT_DOUBLE_EQ(iou(a, {2, 2, 4, 4}), 4.0 / 100.0);  // contained
  EXPECT_DOUBLE_EQ(iou(a, {10, 0, 20, 10}), 0.0);       // touching edges
  EXPECT_DOUBLE_EQ(iou(a, {20, 20, 30, 30}), 0.0);
  EXPECT_DOUBLE_EQ(iou({0, 0, 0, 0}, {0, 0, 0, 0}), 0.0);  // empty union, no division by zero
}

TEST(Nms, SuppressesOverlapsWithinAClassKeepsTheHigherScore) {
  const auto kept =
      non_max_suppression({det(0, 0, 10, 10, 0.6f, 0), det(1, 0, 11, 10, 0.9f, 0)}, {});
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_FLOAT_EQ(kept[0].score, 0.9f);
  EXPECT_DOUBLE_EQ(kept[0].box.x1, 1.0);
}

TEST(Nms, NeverSuppressesAcrossClasses) {
  const auto kept =
      non_max_suppression({det(0, 0, 10, 10, 0.9f, 0), det(0, 0, 10, 10, 0.8f, 1)}, {});
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].class_id, 0);
  EXPECT_EQ(kept[1].class_id, 1);
}

TEST(Nms, IouExactlyAtTheThresholdIsKept) {
  // IoU 0.7 is not above 0.7; 0.71 is.
  EXPECT_EQ(non_max_suppression({det(0, 0, 10, 10, 0.9f, 0), det(0, 0, 10, 7, 0.8f, 0)}, {}).size(),
            2u);
  EXPECT_EQ(
      non_max_suppression({det(0, 0, 10, 10, 0.9f, 0), det(0, 0, 10, 7.1, 0.8f, 0)}, {}).size(),
      1u);
}

TEST(Nms, EqualScoresKeepTheEarlierCandidate) {
  // IoU 95/105.
  const auto kept =
      non_max_suppression({det(0, 0, 10, 10, 0.5f, 3), det(0.5, 0, 10.5, 10, 0.5f, 3)}, {});
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_DOUBLE_EQ(kept[0].box.x1, 0.0);
  const auto swapped =
      non_max_suppression({det(0.5, 0, 10.5, 10, 0.5f, 3), det(0, 0, 10, 10, 0.5f, 3)}, {});
  ASSERT_EQ(swapped.size(), 1u);
  EXPECT_DOUBLE_EQ(swapped[0].box.x1, 0.5);
}

TEST(Nms, KeepsAtMostMaxDetBestScores) {
  std::vector<Detection> candidates;
  for (int i = 0; i < 400; ++i)
    candidates.push_back(det(i * 20, 0, i * 20 + 10, 10, 0.001f * (i + 1), i % 5));
  const auto kept = non_max_suppression(candidates, {});
  ASSERT_EQ(kept.size(), 300u);
  EXPECT_FLOAT_EQ(kept.front().score, 0.4f);
  EXPECT_FLOAT_EQ(kept.back().score, 0.101f);
  NmsOptions five;
  five.max_det = 5;
  EXPECT_EQ(non_max_suppression(candidates, five).size(), 5u);
}

TEST(Decode, ThresholdBestClassAndMultiLabel) {
  // [1, 4+2, 8]: anchor 0 a 20x10 box at (50, 40) with scores 0.8 / 0.3; anchor 1 below the
  // threshold; the rest zero.
  Tensor out(DType::Float32, {1, 6, 8});
  auto v = out.values<float>();
  auto set = [&](int c, int a, float x) { v[static_cast<std::size_t>(c * 8 + a)] = x; };
  set(0, 0, 50), set(1, 0, 40), set(2, 0, 20), set(3, 0, 10), set(4, 0, 0.8f), set(5, 0, 0.3f);
  set(0, 1, 5), set(1, 1, 5), set(2, 1, 2), set(3, 1, 2), set(5, 1, 0.0005f);
  auto best = decode_detections(out, 0, {});
  ASSERT_EQ(best.size(), 1u);
  EXPECT_EQ(best[0].class_id, 0);
  EXPECT_FLOAT_EQ(best[0].score, 0.8f);
  EXPECT_DOUBLE_EQ(best[0].box.x1, 40.0);
  EXPECT_DOUBLE_EQ(best[0].box.y1, 35.0);
  EXPECT_DOUBLE_EQ(best[0].box.x2, 60.0);
  EXPECT_DOUBLE_EQ(best[0].box.y2, 45.0);
  NmsOptions multi;
  multi.multi_label = true;
  auto both = decode_detections(out, 0, multi);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[1].class_id, 1);
  EXPECT_FLOAT_EQ(both[1].score, 0.3f);
}

TEST(Decode, EndToEndRowsAreTakenAsTheyAreAboveTheThreshold) {
  // [1, 3, 6]: ranked rows x1, y1, x2, y2, score, class; two overlapping boxes of one class both
  // stay (the model ran its own selection), the last row is below the threshold.
  Tensor rows(DType::Float32, {1, 3, 6});
  const std::vector<float> values{10, 20, 30, 40, 0.9f, 3, 11, 20, 31, 40, 0.7f, 3, 0, 0, 5, 5, 0.0005f, 1};
  std::copy(values.begin(), values.end(), rows.values<float>().begin());
  const auto detections = decode_detections(rows, 0, {});
  ASSERT_EQ(detections.size(), 2u);
  EXPECT_DOUBLE_EQ(detections[0].box.x1, 10.0);
  EXPECT_DOUBLE_EQ(detections[0].box.y2, 40.0);
  EXPECT_FLOAT_EQ(detections[0].score, 0.9f);
  EXPECT_EQ(detections[0].class_id, 3);
  EXPECT_DOUBLE_EQ(detections[1].box.x1, 11.0);
  NmsOptions one;
  one.max_det = 1;
  EXPECT_EQ(decode_detections(rows, 0, one).size(), 1u);
  EXPECT_THROW(decode_detections(rows, 1, {}), Error);
  EXPECT_TRUE(is_end_to_end_output({1, 300, 6}));
  EXPECT_FALSE(is_end_to_end_output({1, 6, 8400}));  // a 2-class detect head
  EXPECT_FALSE(is_end_to_end_output({1, 300, 7}));
}

TEST(Decode, RejectsShapesThatAreNotADetectHead) {
  EXPECT_THROW(detect_layout({1, 1000}, "output0"), Error);
  EXPECT_THROW(detect_layout({1, 84, 20}, "output0"), Error);  // fewer anchors than channels
  EXPECT_TRUE(is_detect_output({1, 84, 8400}, 80));
  EXPECT_FALSE(is_detect_output({1, 116, 8400}, 80));  // a segment head's 32 mask coefficients
}

TEST(BoxMapping, ThroughALandscapeLetterbox) {
  // 1280x720 into 640x640: scale 0.5, 640x360 resized, 140 rows of padding on top.
  const auto lb = letterbox(cv::Mat(720, 1280, CV_8UC3, cv::Scalar(0, 0, 0)), 640, 640);
  EXPECT_DOUBLE_EQ(lb.geometry.scale, 0.5);
  EXPECT_EQ(lb.geometry.pad_left, 0);
  EXPECT_EQ(lb.geometry.pad_top, 140);
  const Box mapped = map_to_original(Box{100, 190, 300, 240}, lb.geometry);
  EXPECT_DOUBLE_EQ(mapped.x1, 200);
  EXPECT_DOUBLE_EQ(mapped.y1, 100);
  EXPECT_DOUBLE_EQ(mapped.x2, 600);
  EXPECT_DOUBLE_EQ(mapped.y2, 200);
  // Boxes reaching into the padding are clipped to the image.
  const Box clipped = map_to_original(Box{-10, 100, 700, 520}, lb.geometry);
  EXPECT_DOUBLE_EQ(clipped.x1, 0);
  EXPECT_DOUBLE_EQ(clipped.y1, 0);
  EXPECT_DOUBLE_EQ(clipped.x2, 1280);
  EXPECT_DOUBLE_EQ(clipped.y2, 720);
}

TEST(BoxMapping, OddPadding) {
  // 640x479: scale 1, 161 rows of padding split 80 top / 81 bottom.
  const auto lb = letterbox(cv::Mat(479, 640, CV_8UC3, cv::Scalar(0, 0, 0)), 640, 640);
  EXPECT_DOUBLE_EQ(lb.geometry.scale, 1.0);
  EXPECT_EQ(lb.geometry.pad_top, 80);
  const Box mapped = map_to_original(Box{10, 80, 20, 80 + 479}, lb.geometry);
  EXPECT_DOUBLE_EQ(mapped.y1, 0);
  EXPECT_DOUBLE_EQ(mapped.y2, 479);
}

TEST(BoxMapping, Upscaling) {
  // 320x159 into 640x640: scale 2, 640x318, 322 rows of padding, 161 on top.
  const auto lb = letterbox(cv::Mat(159, 320, CV_8UC3, cv::Scalar(0, 0, 0)), 640, 640);
  EXPECT_DOUBLE_EQ(lb.geometry.scale, 2.0);
  EXPECT_EQ(lb.geometry.pad_top, 161);
  const Box mapped = map_to_original(Box{64, 161 + 20, 128, 161 + 60}, lb.geometry);
  EXPECT_DOUBLE_EQ(mapped.x1, 32);
  EXPECT_DOUBLE_EQ(mapped.y1, 10);
  EXPECT_DOUBLE_EQ(mapped.x2, 64);
  EXPECT_DOUBLE_EQ(mapped.y2, 30);
}

}  // namespace
}  // namespace yoloq
