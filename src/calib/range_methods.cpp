#include "calib/range_methods.hpp"
#include "yoloq/calib/calibrate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "yoloq/support/error.hpp"

namespace yoloq {

namespace {

constexpr int kQuantizedLevels = 128;  // TensorRT's entropy search quantizes to 128 levels
constexpr double kPositiveLevels = 127;

double xlogx(double x) { return x > 0 ? x * std::log(x) : 0.0; }

// Prefix sums over the bins so that each entropy candidate costs O(levels), not O(bins).
struct Prefix {
  std::vector<double> count, nonzero, count_log_count;  // size bins + 1
  explicit Prefix(const std::vector<std::uint64_t>& bins) {
    const std::size_t n = bins.size();
    count.assign(n + 1, 0);
    nonzero.assign(n + 1, 0);
    count_log_count.assign(n + 1, 0);
    for (std::size_t k = 0; k < n; ++k) {
      const double c = static_cast<double>(bins[k]);
      count[k + 1] = count[k] + c;
      nonzero[k + 1] = nonzero[k] + (c > 0 ? 1 : 0);
      count_log_count[k + 1] = count_log_count[k] + xlogx(c);
    }
  }
};

constexpr double kInfinity = std::numeric_limits<double>::infinity();
// Probability given to a bin where P has mass and Q has none (the clipped outliers when the bins
// before the threshold are empty). Without it every threshold between a distribution's body and a
// few far outliers would have infinite divergence and the search could never clip them; ONNX
// Runtime's entropy calibrator smooths with the same 1e-4.
constexpr double kEmptyBinProbability = 1e-4;

// KL(P || Q) for `kept` bins using the prefix sums. P: the first `kept` bins, the counts beyond
// added to the last kept one. Q: the first `kept` counts (without the outliers, which is what
// makes clipping cost something) merged into 128 levels, each level's count spread evenly over
// the bins where P is non-zero (see kEmptyBinProbability for levels where Q is empty).
// sum_k p_k log p_k - sum_k p_k log q_k (p, q unnormalised counts) over the first 127 levels.
// These levels are the same for every candidate with the same merge factor (kept / 128), so the
// search computes this once per factor and each candidate then costs O(1).
double head_levels_term(const Prefix& prefix, int merged) {
  double a = 0;
  for (int level = 0; level < kQuantizedLevels - 1; ++level) {
    const int start = level * merged, stop = start + merged;
    const double q = prefix.count[stop] - prefix.count[start];
    if (q <= 0) continue;  // every p_k there is 0 too
    const double nonzero = prefix.nonzero[stop] - prefix.nonzero[start];
    a += (prefix.count_log_count[stop] - prefix.count_log_count[start]) - q * std::log(q / nonzero);
  }
  return a;
}

double kl_divergence_fast(const Prefix& prefix, const std::vector<std::uint64_t>& bins, int kept,
                          double head_term) {
  const double total = prefix.count.back();
  const double q_total = prefix.count[kept];
  if (total <= 0 || q_total <= 0) return kInfinity;
  const int merged = kept / kQuantizedLevels;
  double a = head_term;
  const int start = (kQuantizedLevels - 1) * merged;
  const double p_last = static_cast<double>(bins[kept - 1]) + (total - prefix.count[kept]);
  const double q = prefix.count[kept] - prefix.count[start];
  const double nonzero = prefix.nonzero[kept - 1] - prefix.nonzero[start] + (p_last > 0 ? 1 : 0);
  if (nonzero > 0 && q <= 0) {
    // Only the clipped outliers (p_last) have mass in this level; Q gets the smoothing probability.
    a += xlogx(p_last) - p_last * std::log(kEmptyBinProbability * q_total);
  } else if (nonzero > 0) {
    const double p_sum = prefix.count[kept - 1] - prefix.count[start] + p_last;
    const double p_log_p =
        prefix.count_log_count[kept - 1] - prefix.count_log_count[start] + xlogx(p_last);
    a += p_log_p - p_sum * std::log(q / nonzero);
  }
  // KL of the normalised distributions: (1/T) sum p log(p/q) + log(Q_total / T).
  return a / total + std::log(q_total / total);
}

}  // namespace

double percentile_amax(const HistogramCollector& histogram, double percentile) {
  check_percentile(percentile);
  const auto& bins = histogram.counts();
  const double total = static_cast<double>(histogram.total());
  if (total == 0 || histogram.range() == 0) return 0;
  const double target = percentile / 100.0 * total;
  double below = 0;
  for (std::size_t k = 0; k < bins.size(); ++k) {
    const double c = static_cast<double>(bins[k]);
    if (c > 0 && below + c >= target) {
      const double fraction = std::min(1.0, std::max(0.0, (target - below) / c));
      return (static_cast<double>(k) + fraction) * histogram.bin_width();
    }
    below += c;
  }
  return histogram.range();
}

double kl_divergence_at(const HistogramCollector& histogram, int kept) {
  const auto& bins = histogram.counts();
  if (kept < kQuantizedLevels || kept > static_cast<int>(bins.size()))
    throw Error("kl_divergence_at: kept bins " + std::to_string(kept) + " out of range");
  std::vector<double> p(bins.begin(), bins.begin() + kept);
  for (std::size_t k = static_cast<std::size_t>(kept); k < bins.size(); ++k)
    p.back() += static_cast<double>(bins[k]);
  const int merged = kept / kQuantizedLevels;
  std::vector<double> q(static_cast<std::size_t>(kept), 0.0);
  for (int level = 0; level < kQuantizedLevels; ++level) {
    const int start = level * merged, stop = level == kQuantizedLevels - 1 ? kept : start + merged;
    double sum = 0, nonzero = 0;
    for (int k = start; k < stop; ++k) {
      sum += static_cast<double>(bins[k]);
      nonzero += p[k] > 0 ? 1 : 0;
    }
    for (int k = start; k < stop; ++k)
      if (p[k] > 0) q[k] = sum / nonzero;
  }
  double p_total = 0, q_total = 0;
  for (int k = 0; k < kept; ++k) {
    p_total += p[k];
    q_total += q[k];
  }
  if (q_total <= 0) return kInfinity;
  double kl = 0;
  for (int k = 0; k < kept; ++k) {
    if (p[k] <= 0) continue;
    const double qk = q[k] > 0 ? q[k] / q_total : kEmptyBinProbability;
    kl += p[k] / p_total * std::log((p[k] / p_total) / qk);
  }
  return kl;
}

std::vector<std::uint64_t> merge_bins(const std::vector<std::uint64_t>& bins, int factor) {
  if (factor < 1) throw Error("merge_bins: factor " + std::to_string(factor) + " < 1");
  std::vector<std::uint64_t> merged((bins.size() + static_cast<std::size_t>(factor) - 1) / static_cast<std::size_t>(factor), 0);
  for (std::size_t k = 0; k < bins.size(); ++k) merged[k / static_cast<std::size_t>(factor)] += bins[k];
  return merged;
}

double entropy_amax(const HistogramCollector& histogram) {
  if (histogram.total() == 0 || histogram.range() == 0) return 0;
  // The search runs on at most kEntropyBins bins (2048 collected: 4 merged into 1), so the lowest
  // threshold it can reach is 128 / 512 of the histogram's range instead of TensorRT's 128 / 2048.
  const int factor = std::max(1, histogram.num_bins() / kEntropyBins);
  const std::vector<std::uint64_t> bins = factor == 1 ? histogram.counts() : merge_bins(histogram.counts(), factor);
  const Prefix prefix(bins);
  const int n = static_cast<int>(bins.size());
  double best = kInfinity;
  int best_kept = n;
  int head_merged = 0;
  double head_term = 0;
  for (int kept = kQuantizedLevels; kept <= n; ++kept) {
    if (kept / kQuantizedLevels != head_merged) {
      head_merged = kept / kQuantizedLevels;
      head_term = head_levels_term(prefix, head_merged);
    }
    const double kl = kl_divergence_fast(prefix, bins, kept, head_term);
    if (kl <= best) {  // ties go to the wider range, as TensorRT's search does
      best = kl;
      best_kept = kept;
    }
  }
  return best_kept * histogram.bin_width() * factor;
}

double mse_amax(const HistogramCollector& histogram) {
  const auto& bins = histogram.counts();
  if (histogram.total() == 0 || histogram.range() == 0) return 0;
  const int n = static_cast<int>(bins.size());
  const double width = histogram.bin_width();
  // Suffix sums of c, c*x and c*x^2 (x = bin centre) give each candidate's clipping error in O(1).
  std::vector<double> s0(n + 1, 0), s1(n + 1, 0), s2(n + 1, 0);
  for (int k = n - 1; k >= 0; --k) {
    const double c = static_cast<double>(bins[k]), x = (k + 0.5) * width;
    s0[k] = s0[k + 1] + c;
    s1[k] = s1[k + 1] + c * x;
    s2[k] = s2[k + 1] + c * x * x;
  }
  double best = kInfinity, best_t = histogram.range();
  for (int kept = 1; kept <= n; ++kept) {
    const double t = kept * width;
    const double step = t / kPositiveLevels;
    const double clipping = s2[kept] - 2 * t * s1[kept] + t * t * s0[kept];
    const double rounding = (s0[0] - s0[kept]) * step * step / 12.0;
    const double error = clipping + rounding;
    if (error < best) {
      best = error;
      best_t = t;
    }
  }
  return best_t;
}

}  // namespace yoloq
