#pragma once
// Synthetic weights play BatchNorm's part analytically. A trained network's folded BatchNorm
// keeps every convolution's output near unit scale; random weights of a fixed gain instead make
// activations grow or shrink geometrically with depth. So the blocks track the expected second
// moment E[x^2] of every feature map (for an image input uniform in [0, 1]) and each convolution
// draws its weights with the standard deviation that brings its output to a target moment,
// before the per-channel scale and bias that stand for BatchNorm's gamma / sigma and beta.
#include <cmath>

#include "synth/onnx_graph_builder.hpp"

namespace yoloq::yolo {

constexpr double kImageSecondMoment = 1.0 / 3.0;  // E[x^2] for x uniform in [0, 1]

// Per-channel scale, uniform in [low, high], as gamma / sigma varies across a trained layer.
constexpr double kChannelScaleLow = 0.5, kChannelScaleHigh = 1.5;

struct BiasRange {
  double centre, spread;  // uniform in [centre - spread, centre + spread]
};

// Class logits centre on -4 (sigmoid 0.018), as a trained detector's mostly-background scores
// do; box logits spread so that DFL distributions have a peak.
inline BiasRange bias_range(ParameterRole weight_role) {
  switch (weight_role) {
    case ParameterRole::HiddenConvWeight:
      return {0.0, 0.5};
    case ParameterRole::LinearConvWeight:
      return {0.0, 0.1};
    case ParameterRole::BoxOutputWeight:
      return {0.0, 1.0};
    case ParameterRole::ClassOutputWeight:
      return {-4.0, 1.0};
    default:
      return {0.0, 0.0};
  }
}

// E[(w . x)^2] a convolution aims for before its channel scale and bias: unit scale inside the
// network; the output convolutions' logits wider, so that distributions and scores vary.
inline double target_moment(ParameterRole role) {
  switch (role) {
    case ParameterRole::BoxOutputWeight:
      return 4.0;
    case ParameterRole::ClassOutputWeight:
      return 1.5;
    default:
      return 1.0;
  }
}

// Weight standard deviation for fan-in `fan_in` over an input of second moment `input_moment`:
// E[(w . x)^2] = fan_in * std^2 * E[x^2].
inline double weight_std_for(ParameterRole role, double fan_in, double input_moment) {
  return std::sqrt(target_moment(role) / (fan_in * input_moment));
}

// The convolution's output moment after channel scale s and bias b: E[s^2] T + E[b^2].
inline double conv_output_moment(ParameterRole role) {
  const double mid = (kChannelScaleLow + kChannelScaleHigh) / 2,
               half = (kChannelScaleHigh - kChannelScaleLow) / 2;
  const auto bias = bias_range(role);
  return (mid * mid + half * half / 3) * target_moment(role) + bias.centre * bias.centre +
         bias.spread * bias.spread / 3;
}

// E[silu(y)^2] for y ~ N(0, moment), by quadrature.
double silu_output_moment(double moment);

// A 5x5 max pool of SiLU outputs keeps the larger values: yolo11n's SPPF pools measure about
// 2.3 times their input's moment.
constexpr double kMaxPoolMomentGain = 2.0;

}  // namespace yoloq::yolo
