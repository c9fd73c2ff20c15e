// Classify preprocessing: PIL's bilinear resize of the short side, centre crop, /255.
#include "yoloq/yolo/classify_crop.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "yoloq/support/error.hpp"
#include "yoloq/yolo/metadata.hpp"

namespace yoloq {

namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;  // Pillow's PRECISION_BITS for 8-bit images

// Per output pixel along one axis: the first input pixel read and the fixed-point weights.
struct AxisCoefficients {
  std::vector<int> first, count;
  std::vector<std::vector<std::int32_t>> weights;
};

// Pillow's precompute_coeffs + normalize_coeffs_8bpc for the bilinear (triangle) filter.
AxisCoefficients precompute(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = 1.0 * filter_scale;
  AxisCoefficients c;
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const int xmin = std::max(static_cast<int>(center - support + 0.5), 0);
    const int xmax = std::min(static_cast<int>(center + support + 0.5), in_size) - xmin;
    std::vector<double> k(static_cast<std::size_t>(std::max(xmax, 0)));
    double sum = 0;
    for (int x = 0; x < xmax; ++x) {
      const double t = std::abs((x + xmin - center + 0.5) / filter_scale);
      k[static_cast<std::size_t>(x)] = t < 1.0 ? 1.0 - t : 0.0;
      sum += k[static_cast<std::size_t>(x)];
    }
    std::vector<std::int32_t> fixed(k.size());
    for (std::size_t x = 0; x < k.size(); ++x) {
      const double w = sum != 0.0 ? k[x] / sum : k[x];
      fixed[x] = static_cast<std::int32_t>(w < 0 ? -0.5 + w * (1 << kPrecisionBits) : 0.5 + w * (1 << kPrecisionBits));
    }
    c.first.push_back(xmin);
    c.count.push_back(xmax);
    c.weights.push_back(std::move(fixed));
  }
  return c;
}

std::uint8_t clip8(std::int64_t accumulated) {
  if (accumulated <= 0) return 0;
  return static_cast<std::uint8_t>(std::min<std::int64_t>(accumulated >> kPrecisionBits, 255));
}

// One pass along x (horizontal) or y, rows [row0, row0 + rows) of the input for a vertical pass.
cv::Mat resample_horizontal(const cv::Mat& in, int out_width, int first_row, int rows) {
  const auto c = precompute(in.cols, out_width);
  cv::Mat out(rows, out_width, CV_8UC3);
  for (int y = 0; y < rows; ++y) {
    const auto* src = in.ptr<cv::Vec3b>(first_row + y);
    auto* dst = out.ptr<cv::Vec3b>(y);
    for (int xx = 0; xx < out_width; ++xx)
      for (int ch = 0; ch < 3; ++ch) {
        std::int64_t acc = 1 << (kPrecisionBits - 1);
        for (int x = 0; x < c.count[static_cast<std::size_t>(xx)]; ++x)
          acc += std::int64_t{src[c.first[static_cast<std::size_t>(xx)] + x][ch]} *
                 c.weights[static_cast<std::size_t>(xx)][static_cast<std::size_t>(x)];
        dst[xx][ch] = clip8(acc);
      }
  }
  return out;
}

cv::Mat resample_vertical(const cv::Mat& in, const AxisCoefficients& c, int row_offset) {
  const int out_height = static_cast<int>(c.first.size());
  cv::Mat out(out_height, in.cols, CV_8UC3);
  for (int yy = 0; yy < out_height; ++yy) {
    auto* dst = out.ptr<cv::Vec3b>(yy);
    const int first = c.first[static_cast<std::size_t>(yy)] - row_offset;
    for (int x = 0; x < in.cols; ++x)
      for (int ch = 0; ch < 3; ++ch) {
        std::int64_t acc = 1 << (kPrecisionBits - 1);
        for (int y = 0; y < c.count[static_cast<std::size_t>(yy)]; ++y)
          acc += std::int64_t{in.ptr<cv::Vec3b>(first + y)[x][ch]} *
                 c.weights[static_cast<std::size_t>(yy)][static_cast<std::size_t>(y)];
        dst[x][ch] = clip8(acc);
      }
  }
  return out;
}

}  // namespace

cv::Mat pil_bilinear_resize(const cv::Mat& rgb, int width, int height) {
  if (rgb.type() != CV_8UC3) throw Error("pil_bilinear_resize: expected an 8-bit 3-channel image");
  if (width <= 0 || height <= 0) throw Error("pil_bilinear_resize: size must be positive");
  if (width == rgb.cols && height == rgb.rows) return rgb.clone();
  const auto vertical = precompute(rgb.rows, height);
  if (width == rgb.cols) return resample_vertical(rgb, vertical, 0);
  // ImagingResampleInner: the horizontal pass covers only the rows the vertical pass reads.
  const int first_row = vertical.first.front();
  const int last_row = vertical.first.back() + vertical.count.back();
  cv::Mat horizontal = resample_horizontal(rgb, width, first_row, last_row - first_row);
  if (height == rgb.rows) return horizontal;
  return resample_vertical(horizontal, vertical, first_row);
}

Tensor classify_crop(const cv::Mat& bgr, int height, int width) {
  if (bgr.empty() || bgr.type() != CV_8UC3) throw Error("classify_crop: expected an 8-bit 3-channel image");
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  // torchvision's _compute_resized_output_size for Resize(int): the short side becomes the size.
  int resized_w = width, resized_h = height;
  if (height == width) {
    const int size = height;
    const bool portrait = rgb.cols <= rgb.rows;
    const int short_side = portrait ? rgb.cols : rgb.rows, long_side = portrait ? rgb.rows : rgb.cols;
    const int new_long = static_cast<int>(static_cast<double>(size) * long_side / short_side);
    resized_w = portrait ? size : new_long;
    resized_h = portrait ? new_long : size;
  }
  const cv::Mat resized = pil_bilinear_resize(rgb, resized_w, resized_h);
  // CenterCrop: int(round((in - out) / 2.0)); nearbyint rounds half to even like Python's round.
  const int top = static_cast<int>(std::nearbyint((resized.rows - height) / 2.0));
  const int left = static_cast<int>(std::nearbyint((resized.cols - width) / 2.0));
  Tensor out(DType::Float32, {1, 3, height, width});
  float* data = out.values<float>().data();
  const std::size_t plane = static_cast<std::size_t>(height) * static_cast<std::size_t>(width);
  for (int y = 0; y < height; ++y) {
    const auto* row = resized.ptr<cv::Vec3b>(top + y);
    for (int x = 0; x < width; ++x)
      for (int ch = 0; ch < 3; ++ch)
        data[static_cast<std::size_t>(ch) * plane + static_cast<std::size_t>(y) * width + x] =
            static_cast<float>(row[left + x][ch]) / 255.0f;
  }
  return out;
}

ImagePreprocessing image_preprocessing_for(const Model& model) {
  const auto metadata = read_yolo_metadata(model);
  return metadata && metadata->task == "classify" ? ImagePreprocessing::ClassifyCrop : ImagePreprocessing::Letterbox;
}

}  // namespace yoloq
