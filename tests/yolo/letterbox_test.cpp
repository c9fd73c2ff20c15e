// letterbox() against Ultralytics' LetterBox computed independently with OpenCV's Python binding
// (cv2 5.0: imread, round(w*r) resize with INTER_LINEAR, pad round(d -/+ 0.1) with 114,
// BGR->RGB, /255). The fixtures below are that script's output, as uint8 values.
#include "yoloq/yolo/letterbox.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace yoloq {
namespace {

struct Pixel {
  int channel, y, x, value;  // RGB channel, uint8 value before /255
};

float at(const Tensor& t, int c, int y, int x) {
  return t.values<float>()[(static_cast<std::size_t>(c) * 640 + y) * 640 + x];
}

std::int64_t uint8_sum(const Tensor& t) {
  std::int64_t sum = 0;
  for (float v : t.values<float>()) sum += static_cast<std::int64_t>(std::lround(v * 255.0f));
  return sum;
}

TEST(LetterboxRealData, BusMatchesUltralytics) {
  const auto image = read_image(testing::data_dir() / "samples" / "bus.jpg");
  ASSERT_EQ(image.cols, 810);
  ASSERT_EQ(image.rows, 1080);
  const auto boxed = letterbox(image, 640, 640);
  EXPECT_EQ(boxed.tensor.shape, (std::vector<std::int64_t>{1, 3, 640, 640}));
  // Portrait 810x1080 -> 480x640, padded 80 columns left and right.
  EXPECT_EQ(boxed.geometry.pad_left, 80);
  EXPECT_EQ(boxed.geometry.pad_top, 0);
  const float gray = 114.0f / 255.0f;
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 640; y += 7)
      for (int x : {0, 40, 79, 560, 600, 639})
        ASSERT_EQ(at(boxed.tensor, c, y, x), gray) << c << "," << y << "," << x;
  const Pixel expected[] = {{0, 0, 80, 173},    {1, 0, 80, 147},   {2, 0, 80, 120},
                            {0, 100, 200, 20},  {1, 320, 320, 85}, {2, 123, 456, 123},
                            {0, 600, 300, 136}, {1, 639, 559, 89}, {2, 500, 100, 213},
                            {0, 50, 500, 66},   {1, 333, 81, 143}, {2, 17, 558, 162}};
  for (const auto& p : expected)
    EXPECT_EQ(at(boxed.tensor, p.channel, p.y, p.x), static_cast<float>(p.value) / 255.0f)
        << "channel " << p.channel << " y " << p.y << " x " << p.x;
  EXPECT_EQ(uint8_sum(boxed.tensor), 142816068);
}

TEST(LetterboxRealData, ZidaneMatchesUltralytics) {
  const auto boxed =
      letterbox(read_image(testing::data_dir() / "samples" / "zidane.jpg"), 640, 640);
  // Landscape 1280x720 -> 640x360, padded 140 rows top and bottom.
  EXPECT_EQ(boxed.geometry.pad_top, 140);
  EXPECT_EQ(boxed.geometry.pad_left, 0);
  const float gray = 114.0f / 255.0f;
  for (int c = 0; c < 3; ++c)
    for (int y : {0, 70, 139, 500, 600, 639})
      for (int x = 0; x < 640; x += 5)
        ASSERT_EQ(at(boxed.tensor, c, y, x), gray) << c << "," << y << "," << x;
  const Pixel expected[] = {{0, 140, 0, 72},   {1, 140, 0, 48},   {2, 499, 639, 51},
                            {0, 300, 300, 77}, {1, 200, 400, 44}, {2, 450, 10, 90},
                            {0, 141, 320, 84}, {1, 498, 320, 114}};
  for (const auto& p : expected)
    EXPECT_EQ(at(boxed.tensor, p.channel, p.y, p.x), static_cast<float>(p.value) / 255.0f)
        << "channel " << p.channel << " y " << p.y << " x " << p.x;
  EXPECT_EQ(uint8_sum(boxed.tensor), 102660166);
}

}  // namespace
}  // namespace yoloq
