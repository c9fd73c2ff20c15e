// Masks, keypoints and their AP on hand-built cases whose answers are worked out by hand or by
// pycocotools (stated where).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "test_support.hpp"
#include "yoloq/eval/detection_metrics.hpp"
#include "yoloq/eval/keypoints.hpp"
#include "yoloq/eval/rle_mask.hpp"
#include "yoloq/eval/task_labels.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq {
namespace {

// A filled rectangle of pixels x0..x1-1, y0..y1-1 in a height x width image.
RleMask rectangle(int x0, int y0, int x1, int y1, int height, int width) {
  RleBuilder b(height, width);
  b.add(false, static_cast<std::uint64_t>(x0 * height));
  for (int x = x0; x < x1; ++x) {
    b.add(false, static_cast<std::uint64_t>(y0));
    b.add(true, static_cast<std::uint64_t>(y1 - y0));
    b.add(false, static_cast<std::uint64_t>(height - y1));
  }
  return b.finish();
}

TEST(RleMask, PolygonSquareCoversThePixelsWhoseCentresItHolds) {
  // Corners at 1 and 4: pixels 1, 2, 3 each way (pycocotools: area 9, counts [7, 3, 3, 3, 3, 3, 14]).
  const auto mask = polygon_mask({1, 1, 4, 1, 4, 4, 1, 4}, 6, 6);
  EXPECT_EQ(mask.counts, (std::vector<std::uint32_t>{7, 3, 3, 3, 3, 3, 14}));
  EXPECT_EQ(mask.area(), 9u);
  EXPECT_EQ(coco_rle_string(mask), "733000;");  // pycocotools' frPyObjects counts
  EXPECT_EQ(mask_iou(mask, rectangle(1, 1, 4, 4, 6, 6)), 1.0);
}

TEST(RleMask, PolygonDiamondMatchesPycocotools) {
  const auto mask = polygon_mask({2, 0, 5, 3, 2, 6, 0, 3}, 6, 6);
  EXPECT_EQ(mask.counts, (std::vector<std::uint32_t>{2, 2, 3, 4, 1, 5, 2, 3, 4, 1, 9}));
  EXPECT_EQ(mask.area(), 15u);
  EXPECT_EQ(coco_rle_string(mask), "2232N11N2N5");
}

TEST(RleMask, IouOfOverlappingRectangles) {
  // 10x10 and 10x5 sharing 50 pixels: 50 / 100.
  EXPECT_DOUBLE_EQ(mask_iou(rectangle(0, 0, 10, 10, 20, 40), rectangle(0, 0, 5, 10, 20, 40)), 0.5);
  EXPECT_EQ(mask_iou(rectangle(0, 0, 10, 10, 20, 40), rectangle(20, 0, 30, 10, 20, 40)), 0.0);
  EXPECT_EQ(mask_iou(RleBuilder(20, 40).finish(), RleBuilder(20, 40).finish()), 0.0);
  EXPECT_EQ(rectangle(0, 0, 40, 20, 20, 40).counts, (std::vector<std::uint32_t>{0, 800}));
  EXPECT_THROW(mask_iou(rectangle(0, 0, 1, 1, 20, 40), rectangle(0, 0, 1, 1, 40, 20)), Error);
}

GroundTruth mask_gt(const Box& box, RleMask mask) { return {box, 0, std::move(mask), {}}; }
Detection mask_dt(const Box& box, float score, RleMask mask) { return {box, score, 0, -1, std::move(mask), {}}; }

TEST(MaskAp, TwoObjectsThreeDetections) {
  // Objects A (x 0-9) and B (x 20-29), 10x10 each. Detections by score: A exactly (IoU 1), a 9x8
  // piece of B (IoU 72/100 = 0.72), half of A (IoU 0.5, but A is taken: a false positive).
  // At IoU 0.50-0.70 (5 thresholds): TP TP FP, AP 1. At 0.75-0.95 (5): TP FP FP, recall stops at
  // 0.5 with precision 1: COCO AP 51/101. mAP50-95 = (5 + 5 * 51/101) / 10.
  const int h = 20, w = 40;
  ImageDetections image{1,
                        {mask_gt({0, 0, 10, 10}, rectangle(0, 0, 10, 10, h, w)),
                         mask_gt({20, 0, 30, 10}, rectangle(20, 0, 30, 10, h, w))},
                        {mask_dt({0, 0, 10, 10}, 0.9f, rectangle(0, 0, 10, 10, h, w)),
                         mask_dt({20, 0, 29, 8}, 0.8f, rectangle(20, 0, 29, 8, h, w)),
                         mask_dt({0, 0, 5, 10}, 0.7f, rectangle(0, 0, 5, 10, h, w))}};
  const auto coco = coco_metrics({image}, Similarity::Mask);
  EXPECT_NEAR(coco.map50, 1.0, 1e-12);
  EXPECT_NEAR(coco.map50_95, (5 + 5 * 51.0 / 101.0) / 10, 1e-12);
  // The boxes alone would score the second detection at IoU 72/100 as well; its mask decides here:
  // move the mask off B and the mask AP50 drops while the box AP50 does not.
  image.detections[1].mask = rectangle(31, 10, 40, 18, h, w);
  EXPECT_NEAR(coco_metrics({image}, Similarity::Box).map50, 1.0, 1e-12);
  EXPECT_NEAR(coco_metrics({image}, Similarity::Mask).map50, 51.0 / 101.0, 1e-12);
}

std::vector<Keypoint> keypoints_at(double x, double y, double v) { return std::vector<Keypoint>(17, {x, y, v}); }

TEST(Oks, CocoFormulaOnHandMadeKeypoints) {
  const Box box{0, 0, 10, 10};  // area 100
  auto labelled = keypoints_at(5, 5, 2);
  auto detected = labelled;
  EXPECT_DOUBLE_EQ(coco_oks(detected, labelled, box, 100), 1.0);
  // Nose (sigma 0.026) 3 px right and 4 px down: d^2 = 25.
  detected[0].x += 3;
  detected[0].y += 4;
  const double variance = (0.26 / 10 * 2) * (0.26 / 10 * 2);
  const double nose = std::exp(-25 / variance / (100 + 2.220446049250313e-16) / 2);
  EXPECT_DOUBLE_EQ(coco_oks(detected, labelled, box, 100), (16 + nose) / 17);
  // Only labelled keypoints count: with the nose unlabelled the rest match exactly.
  labelled[0].v = 0;
  EXPECT_DOUBLE_EQ(coco_oks(detected, labelled, box, 100), 1.0);
  // No labelled keypoint: distance to the box grown by its size each side ([-10, 20]); a point at
  // x = 26 is 6 px outside, every keypoint there.
  auto none = keypoints_at(0, 0, 0);
  const auto outside = keypoints_at(26, 5, 1);
  double sum = 0;
  for (double sigma : keypoint_sigmas(17)) sum += std::exp(-36 / ((sigma * 2) * (sigma * 2)) / (100 + 2.220446049250313e-16) / 2);
  EXPECT_DOUBLE_EQ(coco_oks(outside, none, box, 100), sum / 17);
  EXPECT_DOUBLE_EQ(coco_oks(keypoints_at(15, 15, 1), none, box, 100), 1.0);  // inside the grown box
}

TEST(Oks, UltralyticsUsesPointFiftyThreeOfTheBoxArea) {
  const Box box{0, 0, 10, 10};
  auto labelled = keypoints_at(5, 5, 2);
  auto detected = labelled;
  detected[5].x += 2;  // left shoulder, sigma 0.079
  const float s2 = static_cast<float>(2 * 0.079) * static_cast<float>(2 * 0.079);
  const float shoulder = std::exp(-4.0f / (s2 * (53.0f + 1e-7f) * 2));
  EXPECT_NEAR(ultralytics_oks(detected, labelled, box), (16 + shoulder) / (17 + 1e-7f), 1e-6);
}

TEST(KeypointAp, ObjectsWithoutLabelledKeypointsAreIgnored) {
  // One person labelled, one with no labelled keypoint (ignored by COCOeval, so a detection on it
  // is neither a hit nor a miss). Both detected exactly: AP 1.
  ImageDetections image{1,
                        {{{0, 0, 100, 100}, 0, {}, keypoints_at(50, 50, 2)},
                         {{200, 0, 300, 100}, 0, {}, keypoints_at(0, 0, 0)}},
                        {{{200, 0, 300, 100}, 0.95f, 0, -1, {}, keypoints_at(250, 50, 1)},
                         {{0, 0, 100, 100}, 0.9f, 0, -1, {}, keypoints_at(50, 50, 1)}}};
  const auto m = coco_metrics({image}, Similarity::Keypoints);
  EXPECT_NEAR(m.map50_95, 1.0, 1e-12);
  EXPECT_EQ(m.coco_ap_small, -1.0);  // keypoint evaluation has no small range
  // Keypoints 30 px off on a 100x100 person: OKS well below 0.5, every threshold missed.
  image.detections[1].keypoints = keypoints_at(80, 50, 1);
  EXPECT_NEAR(coco_metrics({image}, Similarity::Keypoints).map50, 0.0, 1e-12);
}

class TaskLabelFiles : public ::testing::Test {
 protected:
  std::filesystem::path write(const std::string& text) {
    const auto path = dir_ / "000001.txt";
    std::ofstream(path) << text;
    return path;
  }
  testing::ScratchDir dir_{"task-labels"};
};

TEST_F(TaskLabelFiles, PolygonBoxIsItsExtentAndMaskItsRasterization) {
  const auto labels = read_segment_label_file(write("3 0.1 0.1 0.4 0.1 0.4 0.4 0.1 0.4\n2 0.5 0.5 0.2 0.2\n"), 80);
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[0].box.class_id, 3);
  EXPECT_DOUBLE_EQ(labels[0].box.cx, 0.25);
  EXPECT_DOUBLE_EQ(labels[0].box.w, 0.30000000000000004);  // 0.4 - 0.1 in doubles
  const auto gt = task_label_to_pixels(labels[0], 10, 10, 0);
  EXPECT_EQ(gt.mask.area(), 9u);  // the square of corners 1 and 4 in a 10x10 image
  EXPECT_TRUE(labels[1].polygon.empty());  // a box line: a box without a mask
}

TEST_F(TaskLabelFiles, BadPolygonsAndPoseLinesNameFileAndLine) {
  auto path = write("0 0.1 0.1 0.4 0.1 0.4 0.4 0.1\n");
  EXPECT_EQ(testing::error_message([&] { read_segment_label_file(path, 80); }),
            path.string() + ":1: a polygon needs x y pairs, found 7 coordinates (an odd number) after the class");
  path = write("\n0 0.1 0.1\n");
  EXPECT_EQ(testing::error_message([&] { read_segment_label_file(path, 80); }),
            path.string() + ":2: a polygon needs at least 3 points, found 1");
  path = write("0 0.5 0.5 0.2 0.2 0.1 0.1 2\n");
  EXPECT_EQ(testing::error_message([&] { read_pose_label_file(path, 1, 17, 3); }),
            path.string() +
                ":1: expected 5 + 17 x 3 = 56 fields 'class cx cy w h' then the keypoints (or 5 for a box alone), "
                "found 8");
  std::string line = "0 0.5 0.5 0.2 0.2";
  for (int k = 0; k < 17; ++k) line += k == 4 ? " 0.5 0.5 3" : " 0.5 0.5 2";
  path = write(line + "\n");
  EXPECT_EQ(testing::error_message([&] { read_pose_label_file(path, 1, 17, 3); }),
            path.string() + ":1: field 20 '3' is outside [0, 2] (a keypoint's visibility is 0, 1 or 2)");
}

TEST_F(TaskLabelFiles, PoseKeypointsInPixels) {
  std::string line = "0 0.5 0.5 0.2 0.2";
  for (int k = 0; k < 17; ++k) line += " 0.25 0.75 " + std::string(k % 2 ? "2" : "0");
  const auto labels = read_pose_label_file(write(line + "\n"), 1, 17, 3);
  ASSERT_EQ(labels.size(), 1u);
  const auto gt = task_label_to_pixels(labels[0], 200, 100, 3);
  ASSERT_EQ(gt.keypoints.size(), 17u);
  EXPECT_DOUBLE_EQ(gt.keypoints[1].x, 50);
  EXPECT_DOUBLE_EQ(gt.keypoints[1].y, 75);
  EXPECT_EQ(gt.keypoints[0].v, 0);
  EXPECT_EQ(gt.keypoints[1].v, 2);
}

}  // namespace
}  // namespace yoloq
