#pragma once
// A small SVG of one activation's calibration histogram against its clipping threshold: what the
// HTML report draws for its worst-quantized tensors. Self-contained: no fonts, scripts or links.
#include <string>

#include "pipeline/quantization_error.hpp"
#include "yoloq/calib/ranges.hpp"

namespace yoloq {

// The |x| axis runs from kHistogramSvgLeft (0) to kHistogramSvgRight (the largest of the
// histogram's upper edge, the thresholds and the largest |x| seen), in SVG units.
inline constexpr double kHistogramSvgLeft = 10, kHistogramSvgRight = 470;

// Bars: counts per bin on a log scale (log(1 + count), so a bin of one value still shows), red
// for bins wholly beyond the threshold; dashed red lines: the clipping threshold(s), labelled
// with the sign they apply to; a grey line: the largest |x| seen. Its caption names the tensor
// and the estimated error.
std::string range_histogram_svg(const TensorQuantizationError& tensor, const ValueHistogram& histogram);

}  // namespace yoloq
