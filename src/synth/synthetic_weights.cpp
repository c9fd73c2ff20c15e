// Synthetic weights that behave like trained, BatchNorm-folded ones where it matters for
// quantization: per-channel weight scales that differ (as gamma / sigma does after folding),
// biases of realistic size, and activations that neither explode nor vanish through 20+ layers
// (each weight's standard deviation comes from the graph builder, see activation_moments.hpp).
#include <cmath>
#include <numeric>

#include "synth/activation_moments.hpp"
#include "synth/parameter_sources.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq::yolo {

namespace {

// SplitMix64: a tiny generator whose output is defined by its arithmetic alone, so the same seed
// gives the same model on every platform (std::normal_distribution does not promise that).
class Random {
 public:
  explicit Random(std::uint64_t state) : state_(state) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform(double low, double high) {  // [low, high)
    return low + (high - low) * static_cast<double>(next() >> 11) * 0x1.0p-53;
  }

 private:
  std::uint64_t state_;
};

std::uint64_t stream_seed(std::uint64_t seed, const std::string& name) {
  std::uint64_t h = 0xCBF29CE484222325ull;  // FNV-1a of the name
  for (unsigned char c : name) h = (h ^ c) * 0x100000001B3ull;
  return h ^ (seed * 0x9E3779B97F4A7C15ull);
}

Tensor weight(const ParameterSpec& spec, Random& random) {
  Tensor t(DType::Float32, spec.shape);
  auto v = t.values<float>();
  if (spec.role == ParameterRole::DflWeight) {  // the fixed projection 0, 1, ..., reg_max - 1
    std::iota(v.begin(), v.end(), 0.0f);
    return t;
  }
  const std::int64_t out_channels = spec.shape.at(0);
  const auto per_channel =
      static_cast<std::size_t>(t.numel() / static_cast<std::size_t>(out_channels));
  // Uniform on [-a, a] has standard deviation a / sqrt(3).
  const double bound = std::sqrt(3.0) * spec.weight_std;
  for (std::size_t c = 0; c < static_cast<std::size_t>(out_channels); ++c) {
    const double channel_scale = random.uniform(kChannelScaleLow, kChannelScaleHigh);
    for (std::size_t i = 0; i < per_channel; ++i)
      v[c * per_channel + i] = static_cast<float>(channel_scale * random.uniform(-bound, bound));
  }
  return t;
}

Tensor bias(const ParameterSpec& spec, Random& random) {
  Tensor t(DType::Float32, spec.shape);
  const auto range = bias_range(spec.weight_role);
  for (auto& x : t.values<float>())
    x = static_cast<float>(range.centre + random.uniform(-range.spread, range.spread));
  return t;
}

}  // namespace

std::vector<onnx::TensorProto> synthetic_parameters(const std::vector<ParameterSpec>& specs,
                                                    std::uint64_t seed) {
  std::vector<onnx::TensorProto> out;
  for (const auto& spec : specs) {
    Random random(stream_seed(seed, spec.name));
    out.push_back(to_proto(
        spec.role == ParameterRole::Bias ? bias(spec, random) : weight(spec, random), spec.name));
  }
  return out;
}

}  // namespace yoloq::yolo
