#include "yoloq/yolo/letterbox.hpp"

#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "yoloq/support/error.hpp"

namespace yoloq {

namespace {
// Python's round(): half to even, which std::nearbyint does in the default rounding mode.
int py_round(double x) { return static_cast<int>(std::nearbyint(x)); }
}  // namespace

cv::Mat read_image(const std::filesystem::path& path) {
  cv::Mat img;
  try {
    img = cv::imread(path.string(), cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw Error(path.string() + ": cannot decode image: " + e.what());
  }
  if (img.empty())
    throw Error(path.string() + ": cannot decode image (not an image, empty or truncated)");
  return img;
}

LetterboxedImage letterbox(const cv::Mat& bgr, int height, int width) {
  if (bgr.empty() || bgr.type() != CV_8UC3)
    throw Error("letterbox: expected an 8-bit 3-channel image");
  const int h = bgr.rows, w = bgr.cols;
  const double r = std::min(static_cast<double>(height) / h, static_cast<double>(width) / w);
  const int new_w = py_round(w * r), new_h = py_round(h * r);
  const double dw = (width - new_w) / 2.0, dh = (height - new_h) / 2.0;
  cv::Mat resized = bgr;
  if (new_w != w || new_h != h)
    cv::resize(bgr, resized, cv::Size(new_w, new_h), 0, 0, cv::INTER_LINEAR);
  const int top = py_round(dh - 0.1), bottom = py_round(dh + 0.1);
  const int left = py_round(dw - 0.1), right = py_round(dw + 0.1);
  cv::Mat padded;
  cv::copyMakeBorder(resized, padded, top, bottom, left, right, cv::BORDER_CONSTANT,
                     cv::Scalar(114, 114, 114));
  if (padded.rows != height || padded.cols != width)
    throw Error("letterbox: internal size mismatch");

  LetterboxedImage out;
  out.tensor = Tensor(DType::Float32, {1, 3, height, width});
  auto v = out.tensor.values<float>();
  const std::size_t plane = static_cast<std::size_t>(height) * width;
  for (int y = 0; y < height; ++y) {
    const auto* row = padded.ptr<cv::Vec3b>(y);
    for (int x = 0; x < width; ++x) {
      const std::size_t i = static_cast<std::size_t>(y) * width + x;
      v[i] = static_cast<float>(row[x][2]) / 255.0f;              // R
      v[plane + i] = static_cast<float>(row[x][1]) / 255.0f;      // G
      v[2 * plane + i] = static_cast<float>(row[x][0]) / 255.0f;  // B
    }
  }
  out.geometry = {r, left, top, w, h};
  return out;
}

}  // namespace yoloq
