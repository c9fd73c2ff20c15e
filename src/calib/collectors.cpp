#include "calib/collectors.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "yoloq/support/error.hpp"

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

// Tensors are read in chunks of this many values (1 MB): a few per core for the larger YOLO
// activations (1.6M values for YOLO11n's first), one for the small ones.
constexpr std::size_t kChunkValues = std::size_t{1} << 18;

std::size_t chunk_count(std::size_t n) { return (n + kChunkValues - 1) / kChunkValues; }

std::span<const float> chunk(std::span<const float> values, std::size_t i) {
  const std::size_t start = i * kChunkValues;
  return values.subspan(start, std::min(kChunkValues, values.size() - start));
}

}  // namespace

void MinMaxCollector::update(std::span<const float> values, const ParallelFor& parallel_for) {
  if (values.empty()) return;
  std::vector<Extremes> parts(chunk_count(values.size()));
  parallel_for(parts.size(), [&](std::size_t i) { parts[i] = extremes(chunk(values, i)); });
  Extremes all = parts[0];
  for (const auto& p : parts) all = {std::min(all.min, p.min), std::max(all.max, p.max)};
  add_extremes(all.min, all.max, values.size());
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
    throw Error("histogram: " + std::to_string(num_bins) +
                " bins requested, expected an even number >= 128");
  counts_.assign(static_cast<std::size_t>(num_bins), 0);
}

void HistogramCollector::grow_to_cover(double abs_max) {
  if (range_ == 0) {
    // Everything so far was exactly 0, which lies in bin 0 whatever the range becomes. The floor
    // keeps bins / range finite when the first values are denormal.
    range_ =
        std::max(abs_max, static_cast<double>(counts_.size()) * std::numeric_limits<float>::min());
    return;
  }
  const std::size_t n = counts_.size();
  while (range_ < abs_max) {
    for (std::size_t i = 0; i < n / 2; ++i) counts_[i] = counts_[2 * i] + counts_[2 * i + 1];
    std::fill(counts_.begin() + static_cast<std::ptrdiff_t>(n / 2), counts_.end(), 0);
    range_ *= 2;
  }
}

ValueHistogram HistogramCollector::summary(int bins) const {
  const auto coarse_bins = static_cast<std::size_t>(bins);
  ValueHistogram h{0, std::vector<std::uint64_t>(coarse_bins, 0)};
  const auto last_used = std::find_if(counts_.rbegin(), counts_.rend(), [](std::uint64_t c) { return c != 0; });
  const auto used = static_cast<std::size_t>(counts_.rend() - last_used);  // bins up to the last non-empty one
  if (used == 0) return h;
  if (range_ == 0) {  // every value was exactly 0
    h.counts[0] = counts_[0];
    return h;
  }
  const std::size_t merged = (used + coarse_bins - 1) / coarse_bins;  // fine bins per coarse bin
  for (std::size_t i = 0; i < used; ++i) h.counts[i / merged] += counts_[i];
  h.upper = bin_width() * static_cast<double>(merged * coarse_bins);
  return h;
}

namespace {

// Bin indices, extremes and a not-finite flag for a block of values. Kept apart from the counting
// so that it runs four values per instruction; the counting that follows is a plain scatter.
struct BlockScan {
  float lo, hi;
  bool not_finite;
};

constexpr float kMaxFinite = std::numeric_limits<float>::max();

BlockScan scan_block(const float* values, std::size_t n, float bins_per_unit, float last_bin,
                     std::uint32_t* bins, float lo, float hi) {
  bool not_finite = false;
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128 abs_mask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
  const __m128 scale = _mm_set1_ps(bins_per_unit), last = _mm_set1_ps(last_bin),
               max_finite = _mm_set1_ps(kMaxFinite);
  __m128 vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi), bad = _mm_setzero_ps();
  for (; i + 4 <= n; i += 4) {
    const __m128 x = _mm_loadu_ps(values + i);
    const __m128 magnitude = _mm_and_ps(x, abs_mask);
    vlo = _mm_min_ps(vlo, x);
    vhi = _mm_max_ps(vhi, x);
    bad = _mm_or_ps(bad, _mm_cmpnle_ps(magnitude, max_finite));  // true for NaN and infinities
    // The clamp puts x == range (and the rare rounding just above it) in the last bin.
    const __m128 bin = _mm_min_ps(_mm_mul_ps(magnitude, scale), last);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(bins + i), _mm_cvttps_epi32(bin));
  }
  alignas(16) float lanes[4];
  _mm_store_ps(lanes, vlo);
  for (float v : lanes) lo = std::min(lo, v);
  _mm_store_ps(lanes, vhi);
  for (float v : lanes) hi = std::max(hi, v);
  not_finite = _mm_movemask_ps(bad) != 0;
#endif
  for (; i < n; ++i) {
    const float x = values[i], magnitude = std::fabs(x);
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    not_finite = not_finite || !(magnitude <= kMaxFinite);
    const float scaled = magnitude * bins_per_unit;
    bins[i] = scaled < last_bin ? static_cast<std::uint32_t>(scaled)
                                : static_cast<std::uint32_t>(last_bin);  // NaN: last
  }
  return {lo, hi, not_finite};
}

}  // namespace

namespace {

struct ChunkScan {
  float lo, hi;
  bool finite;
};

// Interleaved 32-bit sub-histograms per chunk: neighbouring values often fall in the same bin, and
// rotating over four arrays breaks the store-to-load dependency of incrementing one counter again
// and again. 4 x 2048 x 4 bytes still fits the L1 cache.
constexpr std::size_t kSubHistograms = 4;

// Counts `values` into h[0 .. kSubHistograms * n_bins) with the given bin scale and returns their
// extremes; values beyond the range land in the last bin, so the caller counts again when the
// range was exceeded.
ChunkScan bin_chunk(std::span<const float> values, float bins_per_unit, std::size_t n_bins, std::uint32_t* h) {
  std::uint32_t* h0 = h;
  std::uint32_t* h1 = h0 + n_bins;
  std::uint32_t* h2 = h1 + n_bins;
  std::uint32_t* h3 = h2 + n_bins;
  const float last_bin = static_cast<float>(n_bins - 1);
  constexpr std::size_t kBlock = 1024;
  std::uint32_t bins[kBlock];
  ChunkScan result{values[0], values[0], true};
  for (std::size_t start = 0; start < values.size(); start += kBlock) {
    const std::size_t n = std::min(kBlock, values.size() - start);
    const auto block =
        scan_block(values.data() + start, n, bins_per_unit, last_bin, bins, result.lo, result.hi);
    result.lo = block.lo;
    result.hi = block.hi;
    if (block.not_finite) result.finite = false;
    // NaN converts to an arbitrary index: skip counting, the caller rejects the batch anyway.
    if (!result.finite) continue;
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
      ++h0[bins[i]];
      ++h1[bins[i + 1]];
      ++h2[bins[i + 2]];
      ++h3[bins[i + 3]];
    }
    for (; i < n; ++i) ++h0[bins[i]];
  }
  return result;
}

ChunkScan scan_chunk(std::span<const float> values) {
  const auto e = extremes(values);
  bool finite = true;
  for (float v : values) finite = finite && std::isfinite(v);
  return {e.min, e.max, finite};
}

}  // namespace

float HistogramCollector::update(std::span<const float> values, const ParallelFor& parallel_for) {
  if (values.empty()) return 0;
  const std::size_t chunks = chunk_count(values.size()), n_bins = counts_.size();
  std::vector<ChunkScan> scans(chunks);
  std::vector<std::uint32_t> scratch;  // each chunk's sub-histograms, so chunks share nothing
  auto bin_all = [&] {
    scratch.assign(chunks * kSubHistograms * n_bins, 0);
    // One multiply per element with a precomputed reciprocal, no division and no logarithm.
    const float bins_per_unit = static_cast<float>(static_cast<double>(n_bins) / range_);
    parallel_for(chunks, [&](std::size_t i) {
      scans[i] = bin_chunk(chunk(values, i), bins_per_unit, n_bins, scratch.data() + i * kSubHistograms * n_bins);
    });
  };
  // Usually the range already covers the batch: one pass bins and finds the extremes. When it
  // does not (the first batches, or a new maximum), grow and bin again.
  bool binned = false;
  if (range_ > 0) {
    bin_all();
    binned = true;
  } else {
    parallel_for(chunks, [&](std::size_t i) { scans[i] = scan_chunk(chunk(values, i)); });
  }
  ChunkScan scan = scans[0];
  for (const auto& c : scans) scan = {std::min(scan.lo, c.lo), std::max(scan.hi, c.hi), scan.finite && c.finite};
  const double abs_max =
      std::max(std::fabs(static_cast<double>(scan.lo)), std::fabs(static_cast<double>(scan.hi)));
  if (!scan.finite || !std::isfinite(abs_max))
    throw Error("histogram: NaN or infinite value in the data");
  if (abs_max > range_) {
    grow_to_cover(abs_max);
    binned = false;
  }
  minmax_.add_extremes(scan.lo, scan.hi, values.size());
  if (range_ == 0) {
    counts_[0] += values.size();  // all exactly zero
    return 0;
  }
  if (!binned) bin_all();
  for (std::size_t h = 0; h < chunks * kSubHistograms; ++h)
    for (std::size_t b = 0; b < n_bins; ++b) counts_[b] += scratch[h * n_bins + b];
  return static_cast<float>(abs_max);
}

}  // namespace yoloq
