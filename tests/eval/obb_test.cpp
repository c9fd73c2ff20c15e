// OBB evaluation: rotated-box geometry, DOTA-style labels, decoding with Ultralytics' rotated
// Fast-NMS, and Ultralytics-style AP with the exact rotated IoU, on cases worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>

#include "test_support.hpp"
#include "yoloq/eval/detection_metrics.hpp"
#include "yoloq/eval/obb.hpp"
#include "yoloq/support/error.hpp"

namespace fs = std::filesystem;

namespace yoloq {
namespace {

constexpr double kPi = std::numbers::pi;

TEST(RotatedIou, SquareAndTheSameSquareTurned45Degrees) {
  // Side 2 centred at the origin: the turned square cuts four corner triangles with legs 2 - sqrt2
  // off the other, leaving a regular octagon of area 4 - 2 (2 - sqrt2)^2 = 8 sqrt2 - 8; the IoU is
  // (8 sqrt2 - 8) / (16 - 8 sqrt2) = 1 / sqrt2.
  const RotatedBox square{0, 0, 2, 2, 0}, turned{0, 0, 2, 2, kPi / 4};
  EXPECT_NEAR(intersection_area(corners(square), corners(turned)), 8 * std::sqrt(2.0) - 8, 1e-12);
  EXPECT_NEAR(rotated_iou(square, turned), 1 / std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(rotated_iou(turned, square), 1 / std::sqrt(2.0), 1e-12);
}

TEST(RotatedIou, IdenticalDisjointAndHalfOverlapping) {
  const RotatedBox a{5, 5, 4, 2, 0.3};
  EXPECT_NEAR(rotated_iou(a, a), 1.0, 1e-12);
  EXPECT_EQ(rotated_iou(a, RotatedBox{50, 50, 4, 2, 0.3}), 0.0);
  // Axis-aligned 2x2 squares shifted by 1: intersection 2, union 6.
  EXPECT_NEAR(rotated_iou(RotatedBox{0, 0, 2, 2, 0}, RotatedBox{1, 0, 2, 2, 0}), 1.0 / 3, 1e-12);
  // A quadrilateral given clockwise scores the same as counter-clockwise.
  Quad clockwise = corners(a);
  std::swap(clockwise[1], clockwise[3]);
  EXPECT_NEAR(rotated_iou(clockwise, corners(a)), 1.0, 1e-12);
}

TEST(RotatedBoxCorners, FollowUltralyticsXywhr2xyxyxyxy) {
  // Ultralytics 8.4: xywhr2xyxyxyxy([[10, 20, 30, 12, 0.3]]) in float64.
  const Quad q = corners(RotatedBox{10, 20, 30, 12, 0.3});
  EXPECT_NEAR(q[0].x, 22.55692609691605, 1e-12);
  EXPECT_NEAR(q[0].y, 30.16482203467373, 1e-12);
  EXPECT_NEAR(q[2].x, -2.556926096916052, 1e-12);
  EXPECT_NEAR(q[3].y, 21.299215834833543, 1e-12);
}

TEST(ProbIou, MatchesUltralyticsBatchProbiou) {
  // Ultralytics 8.4: batch_probiou on these two float64 boxes.
  EXPECT_NEAR(probiou(RotatedBox{10, 20, 30, 12, 0.3}, RotatedBox{14, 18, 25, 16, -0.4}), 0.5955253015661273, 1e-12);
}

// Tensor [1, 4 + 2 + 1, 8] with each anchor's cx, cy, w, h, two class scores, angle.
Tensor obb_output(const std::vector<std::array<float, 7>>& anchors) {
  Tensor t(DType::Float32, {1, 7, 8});
  auto v = t.values<float>();
  for (std::size_t a = 0; a < anchors.size(); ++a)
    for (std::size_t c = 0; c < 7; ++c) v[c * 8 + a] = anchors[a][c];
  return t;
}

TEST(ObbDecode, FastNmsLetsASuppressedBoxSuppress) {
  // 10x10 boxes, angle 0, class 0: probiou of two of them dx apart is 1 - sqrt(1 - exp(-dx^2 / 66.7)),
  // 0.76 at dx 2 and 0.54 at dx 4. B (dx 2 from A) is suppressed by A; C (dx 4 from A, 2 from B)
  // is suppressed by B although B is gone: Ultralytics' Fast-NMS, where greedy NMS would keep C.
  // D, of class 1 on top of A, is kept; E is below the confidence.
  const auto output = obb_output({{100, 100, 10, 10, 0.9f, 0, 0.25f},
                                  {102, 100, 10, 10, 0.8f, 0, 0},
                                  {104, 100, 10, 10, 0.7f, 0, 0},
                                  {100, 100, 10, 10, 0, 0.6f, 0},
                                  {300, 300, 10, 10, 0.0005f, 0, 0}});
  const auto kept = decode_obb_detections(output, 0, {}, 2);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_FLOAT_EQ(kept[0].score, 0.9f);
  EXPECT_EQ(kept[0].class_id, 0);
  EXPECT_DOUBLE_EQ(kept[0].box.angle, 0.25);
  EXPECT_EQ(kept[1].class_id, 1);
}

TEST(ObbDecode, WrongChannelCountIsAnErrorNamingTheShape) {
  Tensor t(DType::Float32, {1, 7, 8});
  EXPECT_EQ(testing::error_message([&] { decode_obb_detections(t, 0, {}, 80); }),
            "OBB output [1x7x8] is not [batch, 4 + 80 + 1 angle, anchors]");
}

ObbGroundTruth gt(const RotatedBox& box) { return {corners(box), 0}; }

TEST(ObbMetrics, TwoLabelsThreeDetections) {
  // Label A and B (10x10). Detection 1 (0.9) is A exactly: IoU 1. Detection 2 (0.8) is B turned
  // 45 degrees: IoU 1/sqrt2 = 0.707, a true positive at the thresholds 0.50..0.70 (5 of 10) only.
  // Detection 3 (0.7) overlaps nothing.
  const RotatedBox a{10, 10, 10, 10, 0}, b{50, 50, 10, 10, 0};
  ObbImage image;
  image.ground_truth = {gt(a), gt(b)};
  image.detections = {{a, 0.9f, 0}, {RotatedBox{50, 50, 10, 10, kPi / 4}, 0.8f, 0}, {RotatedBox{90, 10, 4, 4, 0}, 0.7f, 0}};
  const auto m = obb_metrics({image});
  // In score order: TP TP FP where detection 2 matches, TP FP FP where it does not.
  const double ap_matched = ultralytics_ap({0.5, 1, 1}, {1, 1, 2.0 / 3});
  const double ap_unmatched = ultralytics_ap({0.5, 0.5, 0.5}, {1, 0.5, 1.0 / 3});
  EXPECT_NEAR(ap_matched, 0.995, 1e-12);  // 101-point trapezoid: 1 up to recall 0.99, then down to 0
  EXPECT_DOUBLE_EQ(m.map50, ap_matched);
  EXPECT_DOUBLE_EQ(m.map50_95, (5 * ap_matched + 5 * ap_unmatched) / 10);
  EXPECT_EQ(m.instances, 2u);
  ASSERT_EQ(m.per_class.size(), 1u);
  EXPECT_EQ(m.per_class[0].images, 1u);
}

TEST(ObbMetrics, CocoIntegralScoresAPerfectRankingOne) {
  const RotatedBox a{10, 10, 10, 10, 0.2}, b{40, 10, 20, 10, 1.0};
  ObbImage image;
  image.ground_truth = {gt(a), gt(b)};
  image.detections = {{b, 0.9f, 0}, {a, 0.8f, 0}};
  EXPECT_DOUBLE_EQ(obb_metrics({image}, ApMetric::Coco).map50_95, 1.0);
  EXPECT_NEAR(obb_metrics({image}).map50_95, 0.995, 1e-12);
}

TEST(ObbMetrics, ClassesMustMatchAndUnlabelledClassesDoNotCount) {
  const RotatedBox a{10, 10, 10, 10, 0};
  ObbImage image;
  image.ground_truth = {gt(a)};
  image.detections = {{a, 0.9f, 3}};  // right box, wrong class: a false positive of class 3
  const auto m = obb_metrics({image});
  EXPECT_EQ(m.map50_95, 0.0);
  ASSERT_EQ(m.per_class.size(), 1u);
  EXPECT_EQ(m.per_class[0].class_id, 0);
}

class ObbLabelFile : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() / ("yoloq_obb_labels_" + std::to_string(::getpid()));
  void SetUp() override { fs::create_directories(dir); }
  void TearDown() override { fs::remove_all(dir); }
  fs::path write(const std::string& text) {
    std::ofstream(dir / "a.txt") << text;
    return dir / "a.txt";
  }
};

TEST_F(ObbLabelFile, ReadsCornersSkipsBlankLines) {
  const auto labels = read_obb_label_file(write("\n3 0.1 0.2 0.3 0.2 0.3 0.4 0.1 0.4\r\n"), 15);
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_EQ(labels[0].class_id, 3);
  EXPECT_DOUBLE_EQ(labels[0].corners[2].x, 0.3);
  EXPECT_DOUBLE_EQ(labels[0].corners[3].y, 0.4);
}

TEST_F(ObbLabelFile, FiveNumbersIsAnErrorNamingFileAndLine) {
  const auto path = write("0 0.1 0.2 0.3 0.2 0.3 0.4 0.1 0.4\n0 0.5 0.5 0.2 0.2\n");
  EXPECT_EQ(testing::error_message([&] { read_obb_label_file(path, 15); }),
            path.string() + ":2: expected 9 numbers 'class x1 y1 x2 y2 x3 y3 x4 y4' (an OBB label), found 5");
}

TEST_F(ObbLabelFile, OutOfRangeCoordinateAndClass) {
  EXPECT_EQ(testing::error_message([&] { read_obb_label_file(write("0 0.1 0.2 1.3 0.2 0.3 0.4 0.1 0.4\n"), 15); }),
            (dir / "a.txt").string() + ":1: coordinate '1.3' is outside [0, 1] (OBB labels are normalised corners)");
  EXPECT_EQ(testing::error_message([&] { read_obb_label_file(write("15 0.1 0.2 0.3 0.2 0.3 0.4 0.1 0.4\n"), 15); }),
            (dir / "a.txt").string() + ":1: class id 15 is beyond the model's 15 classes (0..14)");
}

}  // namespace
}  // namespace yoloq
