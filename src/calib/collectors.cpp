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

HistogramCollector::ScanResult HistogramCollector::bin_into_scratch(std::span<const float> values) {
  const std::size_t n_bins = counts_.size();
  scratch_.assign(2 * n_bins, 0);
  std::uint32_t* even = scratch_.data();
  std::uint32_t* odd = scratch_.data() + n_bins;
  // One multiply per element with a precomputed reciprocal; the clamp puts x == range (and the
  // rare rounding just above it) in the last bin.
  const float bins_per_unit = static_cast<float>(static_cast<double>(n_bins) / range_);
  const std::uint32_t last = static_cast<std::uint32_t>(n_bins - 1);
  float lo = values[0], hi = values[0];
  float poison = 0;  // x * 0 is NaN exactly when x is NaN or infinite
  auto bin_of = [&](float v) {
    const auto bin = static_cast<std::uint32_t>(std::fabs(v) * bins_per_unit);
    return bin < last ? bin : last;
  };
  const std::size_t n = values.size();
  std::size_t i = 0;
  for (; i + 1 < n; i += 2) {
    const float a = values[i], b = values[i + 1];
    lo = std::min(lo, std::min(a, b));
    hi = std::max(hi, std::max(a, b));
    poison += a * 0.0f + b * 0.0f;
    ++even[bin_of(a)];
    ++odd[bin_of(b)];
  }
  if (i < n) {
    const float a = values[i];
    lo = std::min(lo, a);
    hi = std::max(hi, a);
    poison += a * 0.0f;
    ++even[bin_of(a)];
  }
  return {lo, hi, poison == 0.0f};
}

void HistogramCollector::update(std::span<const float> values) {
  // 32-bit scratch counters: feed at most 2^31 values at a time.
  constexpr std::size_t kChunk = std::size_t{1} << 31;
  if (values.size() > kChunk) {
    for (std::size_t start = 0; start < values.size(); start += kChunk)
      update(values.subspan(start, std::min(kChunk, values.size() - start)));
    return;
  }
  if (values.empty()) return;
  // Usually the range already covers the batch: one pass bins and finds the extremes. When it
  // does not (the first batches, or a new maximum), grow and bin again.
  ScanResult scan{};
  bool binned = false;
  if (range_ > 0) {
    scan = bin_into_scratch(values);
    binned = true;
  } else {
    const auto e = extremes(values);
    scan = {e.min, e.max, true};
    for (float v : values) scan.finite = scan.finite && std::isfinite(v);
  }
  const double abs_max = std::max(std::fabs(static_cast<double>(scan.lo)), std::fabs(static_cast<double>(scan.hi)));
  if (!scan.finite || !std::isfinite(abs_max)) throw Error("histogram: NaN or infinite value in the data");
  if (abs_max > range_) {
    grow_to_cover(abs_max);
    binned = false;
  }
  minmax_.add_extremes(scan.lo, scan.hi, values.size());
  if (range_ == 0) {
    counts_[0] += values.size();  // all exactly zero
    return;
  }
  if (!binned) bin_into_scratch(values);
  const std::size_t n_bins = counts_.size();
  for (std::size_t b = 0; b < n_bins; ++b) counts_[b] += scratch_[b] + static_cast<std::uint64_t>(scratch_[n_bins + b]);
}

}  // namespace yoloq
