#pragma once
// Ultralytics' letterbox, bit for bit: scale to fit (up or down), cv::resize INTER_LINEAR,
// pad with 114 split evenly (the extra pixel of an odd padding goes bottom/right), BGR->RGB,
// /255, NCHW float32. Used by calibration from images, eval and verify.
#include <filesystem>
#include <opencv2/core.hpp>

#include "yoloq/tensor/tensor.hpp"

namespace yoloq {

struct LetterboxGeometry {
  double scale = 1.0;   // resized = original * scale
  int pad_left = 0, pad_top = 0;
  int original_width = 0, original_height = 0;
};

struct LetterboxedImage {
  Tensor tensor;  // [1, 3, height, width] float32 RGB in [0, 1]
  LetterboxGeometry geometry;
};

// `bgr` is an 8-bit 3-channel image as cv::imread returns it.
LetterboxedImage letterbox(const cv::Mat& bgr, int height, int width);
// Decodes with cv::imread; throws Error naming the file when it is not a readable image.
cv::Mat read_image(const std::filesystem::path& path);

}  // namespace yoloq
