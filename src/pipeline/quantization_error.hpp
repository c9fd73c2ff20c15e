#pragma once
// How much an activation loses to the scale it was written with, estimated from its calibration
// histogram, and which activations lose the most: the report shows those.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "yoloq/calib/ranges.hpp"
#include "yoloq/plan/quant_plan.hpp"

namespace yoloq {

struct QuantizationErrorEstimate {
  double relative_mse = 0;      // expected squared error / mean square value; 0 for an all-zero tensor
  double clipped_fraction = 0;  // share of the values beyond the threshold
};

// Values are taken as spread evenly within each bin, the last one ending at abs_max (the largest
// |x| seen) rather than at its edge:
//   clipping error = sum over values with |x| > threshold of (|x| - threshold)^2
//   rounding error = (number of values within the threshold) * step^2 / 12
//   relative_mse   = (clipping error + rounding error) / sum of x^2
// The rounding term is that of a uniform error in [-step/2, step/2], the same model as the mse
// calibration method uses, so a tensor that method calibrated is judged by what it minimised.
QuantizationErrorEstimate estimate_quantization_error(const ValueHistogram& histogram, double threshold,
                                                      double step, double abs_max);

struct TensorQuantizationError {
  std::string tensor;
  QuantizationErrorEstimate estimate;
  float scale = 0;
  std::int32_t zero_point = 0;
  float clip_low = 0, clip_high = 0;  // dequantized ends of the integer range: values beyond saturate
  bool symmetric = true;  // INT8: both ends the same magnitude (but for one step)
  // The histogram is of |x|, so the estimate uses one threshold: the magnitude of the end on the
  // side of the larger observed magnitude, where the clipped values are. (A range clipped on both
  // sides is [-amax, amax], whose ends are the same magnitude.)
  float threshold = 0;
  bool negative_side = false;  // the threshold is that of the negative end
  // UINT8: the magnitude of the other end when the tensor has values on that side; else 0.
  float other_threshold = 0;
  float abs_max = 0;  // largest |x| seen
};

// The `count` planned activations with a histogram in `ranges` that lose most to the scale they
// are written with (activation_qparams: a scale group's shared scale), worst first, ties by name.
std::vector<TensorQuantizationError> worst_quantized_tensors(const QuantPlan& plan, const Ranges& ranges,
                                                             std::size_t count);

}  // namespace yoloq
