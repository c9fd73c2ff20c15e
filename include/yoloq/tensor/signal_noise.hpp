#pragma once
// How far one float tensor is from a reference: the reference's power and the error's, summed
// over as many tensors as a caller adds, and their ratio in dB. Verify, sensitivity and the
// held-out metric all measure quantization error this way.
#include <cmath>
#include <limits>
#include <span>

namespace yoloq {

// 10 log10(signal / noise): +inf for no noise, -inf for noise over no signal.
inline double snr_db(double signal, double noise) {
  if (noise == 0) return std::numeric_limits<double>::infinity();
  if (signal == 0) return -std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signal / noise);
}

struct SignalNoise {
  double signal = 0, noise = 0;
  void add(std::span<const float> reference, std::span<const float> other) {
    for (std::size_t i = 0; i < reference.size(); ++i) {
      const double r = reference[i], e = r - other[i];
      signal += r * r;
      noise += e * e;
    }
  }
  double snr_db() const { return yoloq::snr_db(signal, noise); }
};

}  // namespace yoloq
