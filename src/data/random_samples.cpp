// Random calibration data, uniform in [0, 1) like ModelOpt's fallback, but seeded and generated
// by a fixed algorithm, so the same seed gives the same data (and scales) on every platform.
#include "data/source_internal.hpp"

namespace yoloq {

namespace {

class RandomSamples : public SampleProvider {
 public:
  RandomSamples(std::size_t count, std::uint64_t seed, const std::vector<ResolvedInput>& inputs)
      : count_(count), seed_(seed), inputs_(inputs) {}

  std::size_t size() const override { return count_; }
  bool fill(std::size_t index, const std::vector<float*>& destinations) override {
    // Each sample has its own stream, so a sample's values do not depend on which others are drawn.
    std::uint64_t stream = seed_;
    std::uint64_t state = splitmix64(stream) ^ (0xD1B54A32D192ED03ull * (index + 1));
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
      float* out = destinations[i];
      const std::size_t n = inputs_[i].sample_size();
      // The top 24 bits as a multiple of 2^-24: exactly representable, in [0, 1).
      for (std::size_t k = 0; k < n; ++k) out[k] = static_cast<float>(splitmix64(state) >> 40) * 0x1p-24f;
    }
    return true;
  }
  std::string sample_name(std::size_t index) const override { return "random sample " + std::to_string(index); }
  std::string what() const override { return "random data (seed " + std::to_string(seed_) + ")"; }
  std::string kind() const override { return "random samples"; }

 private:
  std::size_t count_;
  std::uint64_t seed_;
  std::vector<ResolvedInput> inputs_;
};

}  // namespace

std::shared_ptr<SampleProvider> make_random_samples(std::size_t count, std::uint64_t seed,
                                                    const std::vector<ResolvedInput>& inputs) {
  return std::make_shared<RandomSamples>(count, seed, inputs);
}

}  // namespace yoloq
