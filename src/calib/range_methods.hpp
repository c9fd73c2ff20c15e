#pragma once
// Methods that turn a histogram of |x| into a symmetric threshold amax (scale = amax / 127).
#include "calib/collectors.hpp"

namespace yoloq {

// The threshold below which `percentile` percent of |x| lies, interpolated inside its bin.
// `percentile` must be in (0, 100].
double percentile_amax(const HistogramCollector& histogram, double percentile);

// TensorRT's entropy calibration: for each candidate count i of kept bins (128 .. all), clip the
// histogram at i bins (outliers added to the last kept bin) = P, quantize the first i bins to 128
// levels and expand back = Q, and pick the i minimising KL(P || Q); amax = i * bin width.
double entropy_amax(const HistogramCollector& histogram);

// The bin edge t minimising the expected squared error of symmetric INT8 with 127 levels:
// clipping error (x - t)^2 above t plus rounding error step^2 / 12 below it (step = t / 127),
// with each bin's values at its centre.
double mse_amax(const HistogramCollector& histogram);

// Same search as entropy_amax, evaluated directly from the definition (O(bins^2)); for tests.
double kl_divergence_at(const HistogramCollector& histogram, int kept_bins);

}  // namespace yoloq
