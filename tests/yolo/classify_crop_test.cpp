// classify_crop() against Ultralytics' classify_transforms (PIL resize, torchvision centre crop):
// a tiny image worked out by hand, and two random images whose expected tensors
// make_classify_crop_fixture.py wrote with Ultralytics itself.
#include "yoloq/yolo/classify_crop.hpp"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "yoloq/tensor/npy.hpp"

namespace yoloq {
namespace {

const std::filesystem::path kFixtures = std::filesystem::path(YOLOQ_SOURCE_DIR) / "tests" / "yolo" / "data";

int uint8_at(const Tensor& t, int c, int y, int x) {
  const auto h = t.shape[2], w = t.shape[3];
  return static_cast<int>(std::lround(t.values<float>()[static_cast<std::size_t>((c * h + y) * w + x)] * 255.0f));
}

// 4 rows x 6 columns, RGB: R = 10 x + y, G = 200 - R, B = 7 y.
cv::Mat tiny_bgr() {
  cv::Mat bgr(4, 6, CV_8UC3);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 6; ++x) bgr.at<cv::Vec3b>(y, x) = {static_cast<std::uint8_t>(7 * y),
                                                            static_cast<std::uint8_t>(200 - (10 * x + y)),
                                                            static_cast<std::uint8_t>(10 * x + y)};
  return bgr;
}

TEST(ClassifyCrop, TinyImageByHand) {
  // Short side 4 -> 2, long side int(2 * 6 / 4) = 3. Both passes halve or more: PIL's triangle
  // filter spans 2 pixels either side, so output 0 of each axis reads inputs 0, 1, 2 with weights
  // 0.75, 0.75, 0.25 (3/7, 3/7, 1/7). Horizontal first, rounded to 8 bits: R of row y is
  // round(50/7 + y) = 7, 8, 9, then vertically (3*7 + 3*8 + 9) / 7 = 7.71 -> 8. The crop of 2 out of
  // 3 columns starts at round(0.5) = 0 (Python rounds half to even), not 1.
  const Tensor t = classify_crop(tiny_bgr(), 2, 2);
  ASSERT_EQ(t.shape, (std::vector<std::int64_t>{1, 3, 2, 2}));
  const int expected[3][2][2] = {{{8, 26}, {9, 27}}, {{192, 174}, {191, 173}}, {{5, 5}, {16, 16}}};
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 2; ++x) EXPECT_EQ(uint8_at(t, c, y, x), expected[c][y][x]) << c << " " << y << " " << x;
  // Values are exactly uint8 / 255 (Ultralytics' default mean 0, std 1).
  EXPECT_EQ(t.values<float>()[0], 8.0f / 255.0f);
}

void expect_matches_ultralytics(const std::string& name, int size) {
  const Tensor rgb = read_npy(kFixtures / ("classify_" + name + "_rgb.npy"));
  const Tensor expected = read_npy(kFixtures / ("classify_" + name + "_expected.npy"));
  cv::Mat rgb_mat(static_cast<int>(rgb.shape[0]), static_cast<int>(rgb.shape[1]), CV_8UC3,
                  const_cast<std::uint8_t*>(std::as_const(rgb).values<std::uint8_t>().data()));
  cv::Mat bgr;
  cv::cvtColor(rgb_mat, bgr, cv::COLOR_RGB2BGR);
  const Tensor t = classify_crop(bgr, size, size);
  ASSERT_EQ(t.shape, expected.shape);
  const auto got = t.values<float>(), want = expected.values<float>();
  std::size_t different = 0;
  for (std::size_t i = 0; i < got.size(); ++i) different += got[i] != want[i];
  EXPECT_EQ(different, 0u) << name;
}

TEST(ClassifyCrop, DownscaleMatchesUltralyticsBitForBit) { expect_matches_ultralytics("down", 16); }
TEST(ClassifyCrop, UpscaleMatchesUltralyticsBitForBit) { expect_matches_ultralytics("up", 8); }

TEST(ClassifyCrop, ClassifyModelsAreCroppedOthersLetterboxed) {
  Model model;
  auto* prop = model.proto.add_metadata_props();
  prop->set_key("task");
  prop->set_value("classify");
  EXPECT_EQ(image_preprocessing_for(model), ImagePreprocessing::ClassifyCrop);
  prop->set_value("obb");
  EXPECT_EQ(image_preprocessing_for(model), ImagePreprocessing::Letterbox);
}

}  // namespace
}  // namespace yoloq
