#include "calib/collectors.hpp"

#include <algorithm>
#include <cmath>

#include "yoloq/error.hpp"

namespace yoloq {

namespace {

struct Extremes {
  float min, max;
};

// Plain loops over min/max vectorise; NaN never reaches here (the sources reject it and an
// activation that turns NaN is reported by the engine).
Extremes extremes(std::span<const float> values) {
  float lo = values[0], hi = values[0];
  for (float v : values) {
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  return {lo, hi};
}

}  // namespace

void MinMaxCollector::update(std::span<const float> values) {
  if (values.empty()) return;
  auto [lo, hi] = extremes(values);
  add_extremes(lo, hi, values.size());
}

void MinMaxCollector::add_extremes(float lo, float hi, std::uint64_t count) {
  if (count == 0) return;
  if (count_ == 0) {
    min_ = lo;
    max_ = hi;
  } else {
    min_ = std::min(min_, lo);
    max_ = std::max(max_, hi);
  }
  count_ += count;
}

float MinMaxCollector::abs_max() const { return std::max(std::fabs(min_), std::fabs(max_)); }

HistogramCollector::HistogramCollector(int num_bins) {
  if (num_bins < 128 || num_bins % 2 != 0)
    throw Error("histogram: " + std::to_string(num_bins) + " bins requested, expected an even number >= 128");
  counts_.assign(static_cast<std::size_t>(num_bins), 0);
}

void HistogramCollector::grow_to_cover(double abs_max) {
  if (range_ == 0) {
    // Everything so far was exactly 0, which lies in bin 0 whatever the range becomes.
    range_ = abs_max;
    return;
  }
  const std::size_t n = counts_.size();
  while (range_ < abs_max) {
    for (std::size_t i = 0; i < n / 2; ++i) counts_[i] = counts_[2 * i] + counts_[2 * i + 1];
    std::fill(counts_.begin() + static_cast<std::ptrdiff_t>(n / 2), counts_.end(), 0);
    range_ *= 2;
  }
}

void HistogramCollector::update(std::span<const float> values) {
  if (values.empty()) return;
  const auto [lo, hi] = extremes(values);
  const double abs_max = std::max(std::fabs(static_cast<double>(lo)), std::fabs(static_cast<double>(hi)));
  if (!std::isfinite(abs_max)) throw Error("histogram: non-finite value in the data");
  minmax_.add_extremes(lo, hi, values.size());
  if (abs_max > range_) grow_to_cover(abs_max);
  if (range_ == 0) {
    counts_[0] += values.size();
    return;
  }
  // One multiply per element with a precomputed reciprocal; the clamp puts x == range (and the
  // rare rounding just above it) in the last bin.
  const float bins_per_unit = static_cast<float>(static_cast<double>(counts_.size()) / range_);
  const std::uint32_t last = static_cast<std::uint32_t>(counts_.size() - 1);
  std::uint64_t* counts = counts_.data();
  for (float v : values) {
    const auto bin = static_cast<std::uint32_t>(std::fabs(v) * bins_per_unit);
    ++counts[bin < last ? bin : last];
  }
}

}  // namespace yoloq
