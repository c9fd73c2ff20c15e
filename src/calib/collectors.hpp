#pragma once
// Per-tensor statistics streamed from calibration batches. Each collector's memory is fixed at
// construction, so calibration memory grows with the number of tensors, never with the data.
#include <cstdint>
#include <span>
#include <vector>

#include "yoloq/calib/ranges.hpp"
#include "yoloq/support/parallel_for.hpp"

namespace yoloq {

class MinMaxCollector {
 public:
  // `parallel_for` runs the tensor's chunks (1 MB each); the result does not depend on it.
  void update(std::span<const float> values, const ParallelFor& parallel_for = run_serially);
  // For callers that already scanned the values (the histogram), so data is read once.
  void add_extremes(float lo, float hi, std::uint64_t count);
  bool empty() const { return count_ == 0; }
  float min() const { return min_; }
  float max() const { return max_; }
  float abs_max() const;
  std::uint64_t count() const { return count_; }

 private:
  float min_ = 0, max_ = 0;
  std::uint64_t count_ = 0;
};

// A histogram of |x| over [0, range) in equal bins. The first non-zero batch sets the range;
// a later batch beyond it doubles the range (summing neighbouring bin pairs) until it fits, so
// no count is ever lost and the bin count stays fixed. Min and max come from the same pass.
class HistogramCollector {
 public:
  explicit HistogramCollector(int num_bins = 2048);  // even, >= 128 (entropy needs 128 levels)

  // `parallel_for` runs the tensor's chunks (1 MB each), each counted into sub-histograms of its
  // own; the counts are the same whatever runs them. Returns the largest |x| of these values
  // (0 for none), which the entropy method's per-batch statistics need.
  float update(std::span<const float> values, const ParallelFor& parallel_for = run_serially);

  const std::vector<std::uint64_t>& counts() const { return counts_; }
  int num_bins() const { return static_cast<int>(counts_.size()); }
  // Upper edge of the last bin; 0 while every value seen was 0.
  double range() const { return range_; }
  double bin_width() const { return range_ / static_cast<double>(counts_.size()); }
  std::uint64_t total() const { return minmax_.count(); }
  const MinMaxCollector& minmax() const { return minmax_; }
  // The counts in `bins` (> 0) equal bins, each the sum of whole neighbouring bins of this one so
  // that no count moves between bins; they end less than one of them above the largest value, not
  // at range(), which doubling can leave at twice the largest value.
  ValueHistogram summary(int bins) const;

 private:
  void grow_to_cover(double abs_max);

  std::vector<std::uint64_t> counts_;
  double range_ = 0;
  MinMaxCollector minmax_;
};

}  // namespace yoloq
