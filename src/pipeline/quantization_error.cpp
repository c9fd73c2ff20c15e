#include "pipeline/quantization_error.hpp"

#include <algorithm>
#include <cmath>

#include "yoloq/write/qdq_writer.hpp"

namespace yoloq {

QuantizationErrorEstimate estimate_quantization_error(const ValueHistogram& histogram, double threshold,
                                                      double step, double abs_max) {
  const double rounding = step * step / 12;
  const double width = histogram.bin_width();
  double sum_squares = 0, error = 0, clipped = 0, total = 0;
  for (std::size_t i = 0; i < histogram.counts.size(); ++i) {
    const auto n = static_cast<double>(histogram.counts[i]);
    if (n == 0) continue;
    total += n;
    const double hi = std::min(width * static_cast<double>(i + 1), abs_max);
    const double lo = std::min(width * static_cast<double>(i), hi);
    if (hi == lo) {  // every value of the bin at one point (all zero, or a bin starting at abs_max)
      sum_squares += n * lo * lo;
      const bool beyond = lo > threshold;
      error += beyond ? n * (lo - threshold) * (lo - threshold) : n * rounding;
      clipped += beyond ? n : 0;
      continue;
    }
    // Mean of x^2 for x uniform on [lo, hi].
    sum_squares += n * (lo * lo + lo * hi + hi * hi) / 3;
    const double from = std::max(lo, threshold);
    const double beyond = from < hi ? (hi - from) / (hi - lo) : 0;  // share of the bin above the threshold
    if (beyond > 0) {
      // Mean of (x - threshold)^2 for x uniform on [from, hi].
      const double a = from - threshold, b = hi - threshold;
      error += n * beyond * (a * a + a * b + b * b) / 3;
      clipped += n * beyond;
    }
    error += n * (1 - beyond) * rounding;
  }
  if (total == 0 || sum_squares == 0) return {};
  return {error / sum_squares, clipped / total};
}

std::vector<TensorQuantizationError> worst_quantized_tensors(const QuantPlan& plan, const Ranges& ranges,
                                                             std::size_t count) {
  const auto qparams = activation_qparams(plan, ranges);
  const bool uint8 = plan.activation_type == ActivationType::UInt8Asymmetric;
  std::vector<TensorQuantizationError> all;
  for (const auto& a : plan.activations) {
    const auto histogram = ranges.histograms.find(a.tensor);
    if (histogram == ranges.histograms.end()) continue;
    const auto& range = ranges.tensors.at(a.tensor);
    const auto& q = qparams.at(a.tensor);
    TensorQuantizationError t;
    t.tensor = a.tensor;
    t.scale = q.scale;
    t.zero_point = q.zero_point;
    // The dequantized ends of QuantizeLinear's saturation range: UINT8 [0, 255], INT8 [-128, 127].
    t.clip_low = uint8 ? static_cast<float>(-q.zero_point) * q.scale : -128.0f * q.scale;
    t.clip_high = uint8 ? static_cast<float>(255 - q.zero_point) * q.scale : 127.0f * q.scale;
    t.symmetric = !uint8;
    t.negative_side = -range.min > range.max;
    t.threshold = t.negative_side ? -t.clip_low : t.clip_high;
    if (uint8 && !t.negative_side && range.min < 0) t.other_threshold = -t.clip_low;
    if (uint8 && t.negative_side && range.max > 0) t.other_threshold = t.clip_high;
    t.abs_max = std::max(std::fabs(range.min), std::fabs(range.max));
    t.estimate = estimate_quantization_error(histogram->second, t.threshold, q.scale, t.abs_max);
    all.push_back(std::move(t));
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    if (a.estimate.relative_mse != b.estimate.relative_mse) return a.estimate.relative_mse > b.estimate.relative_mse;
    return a.tensor < b.tensor;
  });
  if (all.size() > count) all.resize(count);
  return all;
}

}  // namespace yoloq
