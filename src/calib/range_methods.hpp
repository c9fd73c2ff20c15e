#pragma once
// Methods that turn a histogram of |x| into a symmetric threshold amax (scale = amax / 127).
#include <cstdint>
#include <vector>

#include "calib/collectors.hpp"

namespace yoloq {

// The threshold below which `percentile` percent of |x| lies, interpolated inside its bin.
// `percentile` must be in (0, 100].
double percentile_amax(const HistogramCollector& histogram, double percentile);

// Bins of the histogram the entropy search runs on: the collected bins (2048 by default) are
// summed in groups of num_bins / kEntropyBins first. With TensorRT's 2048 the search may clip at
// 128 / 2048 of the range, and on YOLO11n's SiLU outputs (long tails) it chose thresholds 0.2 to
// 0.6 of mse's: COCO mAP50-95 0.452 on coco128 (float 0.497); with 512, 0.495
// (bench/results/accuracy.md, "Entropy on 512 bins").
constexpr int kEntropyBins = 512;

// Neighbouring bins summed in groups of `factor` (the last group may be shorter).
std::vector<std::uint64_t> merge_bins(const std::vector<std::uint64_t>& bins, int factor);

// TensorRT's entropy calibration on the histogram merged to at most kEntropyBins bins: for each
// candidate count i of kept bins (128 .. all), clip the histogram at i bins (outliers added to the
// last kept bin) = P, quantize the first i bins to 128 levels and expand back = Q, and pick the i
// minimising KL(P || Q); amax = i * merged bin width.
double entropy_amax(const HistogramCollector& histogram);

// The bin edge t minimising the expected squared error of symmetric INT8 with 127 levels:
// clipping error (x - t)^2 above t plus rounding error step^2 / 12 below it (step = t / 127),
// with each bin's values at its centre.
double mse_amax(const HistogramCollector& histogram);

// Same search as entropy_amax (on a histogram of at most kEntropyBins bins, which is not merged),
// evaluated directly from the definition (O(bins^2)); for tests.
double kl_divergence_at(const HistogramCollector& histogram, int kept_bins);

}  // namespace yoloq
