// Turns a SampleProvider and a list of sample indices into batches of the model's batch size.
#include <algorithm>
#include <cmath>

#include "data/source_internal.hpp"
#include "yoloq/data/fingerprint.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq {

std::string ResolvedInput::data_shape() const {
  std::string text = "N";
  for (std::size_t d = 1; d < shape.size(); ++d) {
    text.push_back('x');
    if (d < data_sized.size() && data_sized[d])
      text.push_back('*');
    else
      text.append(std::to_string(shape[d]));
  }
  return text;
}

bool ResolvedInput::accepts(const std::vector<std::int64_t>& array_shape) const {
  if (array_shape.size() != shape.size()) return false;
  for (std::size_t d = 1; d < shape.size(); ++d) {
    const bool sized_by_data = d < data_sized.size() && data_sized[d];
    if (sized_by_data ? array_shape[d] <= 0 : array_shape[d] != shape[d]) return false;
  }
  return true;
}

void ResolvedInput::adopt_data_sizes(const std::vector<std::int64_t>& array_shape) {
  for (std::size_t d = 1; d < shape.size() && d < array_shape.size(); ++d)
    if (d < data_sized.size() && data_sized[d]) shape[d] = array_shape[d];
}

void check_sized(const std::vector<ResolvedInput>& inputs, const std::string& what) {
  for (const auto& in : inputs)
    for (auto d : in.shape)
      if (d <= 0)
        throw Error(what + ": input '" + in.name + "' has dynamic shape " + in.data_shape() +
                    " and the model has no Ultralytics imgsz; give one with --calibration_shapes " + in.name +
                    ":BxCxHxW, or calibrate on a .npy/.npz, whose own shape is taken");
}

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::size_t uniform_index(std::uint64_t& state, std::size_t bound) {
  // Rejection sampling: no modulo bias, and no dependence on std::uniform_int_distribution,
  // whose algorithm differs between standard libraries.
  const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % bound);
  std::uint64_t r;
  do r = splitmix64(state);
  while (r >= limit);
  return static_cast<std::size_t>(r % bound);
}

SampleSplit split_samples(std::size_t count, std::size_t max_samples, std::size_t holdout,
                          bool shuffle, std::uint64_t seed, const std::string& what) {
  if (holdout >= count)
    throw Error(what + ": " + std::to_string(count) + " sample(s), cannot hold out " +
                std::to_string(holdout) + " and keep any for calibration");
  std::vector<std::size_t> order(count);
  for (std::size_t i = 0; i < count; ++i) order[i] = i;
  const bool subset = holdout > 0 || (max_samples > 0 && max_samples < count);
  if (shuffle && subset) {
    std::uint64_t state = seed;
    for (std::size_t i = count - 1; i > 0; --i)
      std::swap(order[i], order[uniform_index(state, i + 1)]);
  }
  SampleSplit split;
  split.holdout.assign(order.end() - static_cast<std::ptrdiff_t>(holdout), order.end());
  std::size_t keep = count - holdout;
  if (max_samples > 0 && max_samples < keep) keep = max_samples;
  split.calibration.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep));
  // Within each part, file order: reproducible and friendly to the disk.
  std::sort(split.calibration.begin(), split.calibration.end());
  std::sort(split.holdout.begin(), split.holdout.end());
  return split;
}

namespace {

class BatchedSource : public BatchSource {
 public:
  BatchedSource(std::shared_ptr<SampleProvider> samples, std::vector<ResolvedInput> inputs,
                std::vector<std::size_t> indices, std::string description)
      : samples_(std::move(samples)),
        inputs_(std::move(inputs)),
        indices_(std::move(indices)),
        description_(std::move(description)),
        batch_(static_cast<std::size_t>(inputs_.front().shape[0])) {}

  std::optional<NamedTensors> next() override {
    origins_.clear();
    std::vector<Tensor> tensors;
    for (const auto& in : inputs_) tensors.emplace_back(DType::Float32, in.shape);
    std::size_t filled = 0;
    while (filled < batch_ && cursor_ < indices_.size()) {
      const std::size_t index = indices_[cursor_++];
      std::vector<float*> destinations;
      for (std::size_t i = 0; i < inputs_.size(); ++i)
        destinations.push_back(tensors[i].values<float>().data() +
                               filled * inputs_[i].sample_size());
      if (!samples_->fill(index, destinations)) continue;
      check_finite(index, destinations);
      origins_.push_back(samples_->origin(index));
      origins_.back().fingerprint = fingerprint(destinations);
      ++filled;
      ++served_;
    }
    if (cursor_ >= indices_.size() && served_ == 0)
      throw Error(samples_->what() + ": none of the " + std::to_string(indices_.size()) + " " +
                  samples_->kind() + " could be used");
    if (filled == 0) return std::nullopt;
    if (filled < batch_) {
      if (!inputs_.front().dynamic_batch) {
        if (!warned_partial_)
          warnings_.push_back(samples_->what() + ": the last " + std::to_string(filled) +
                              " sample(s) do not fill a batch of " + std::to_string(batch_) + " and are not used");
        warned_partial_ = true;
        origins_.clear();
        return std::nullopt;
      }
      for (std::size_t i = 0; i < inputs_.size(); ++i) {
        tensors[i].shape[0] = static_cast<std::int64_t>(filled);
        tensors[i].bytes.resize(filled * inputs_[i].sample_size() * sizeof(float));
      }
    }
    NamedTensors batch;
    for (std::size_t i = 0; i < inputs_.size(); ++i)
      batch.emplace_back(inputs_[i].name, std::move(tensors[i]));
    return batch;
  }

  std::size_t batch_count() const override {
    return inputs_.front().dynamic_batch ? (indices_.size() + batch_ - 1) / batch_
                                         : indices_.size() / batch_;
  }
  std::size_t sample_count() const override {
    return inputs_.front().dynamic_batch ? indices_.size() : batch_count() * batch_;
  }
  std::string description() const override { return description_; }
  void rewind() override {
    cursor_ = 0;
    served_ = 0;
  }
  const std::vector<SampleOrigin>& origins() const override { return origins_; }
  std::vector<std::string> take_warnings() override {
    auto warnings = samples_->take_warnings();
    warnings.insert(warnings.end(), warnings_.begin(), warnings_.end());
    warnings_.clear();
    return warnings;
  }

 private:
  void check_finite(std::size_t index, const std::vector<float*>& destinations) const {
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
      const float* v = destinations[i];
      const std::size_t n = inputs_[i].sample_size();
      for (std::size_t k = 0; k < n; ++k)
        if (!std::isfinite(v[k]))
          throw Error(samples_->what() + ": " + samples_->sample_name(index) + " of input '" +
                      inputs_[i].name + "' holds " + (std::isnan(v[k]) ? "NaN" : "Inf") +
                      " (element " + std::to_string(k) + "); calibration data must be finite");
    }
  }

  std::uint64_t fingerprint(const std::vector<float*>& destinations) const {
    std::vector<std::span<const float>> values;
    for (std::size_t i = 0; i < inputs_.size(); ++i) values.emplace_back(destinations[i], inputs_[i].sample_size());
    return sample_fingerprint(values);
  }

  std::shared_ptr<SampleProvider> samples_;
  std::vector<ResolvedInput> inputs_;
  std::vector<std::size_t> indices_;
  std::string description_;
  std::size_t batch_;
  std::size_t cursor_ = 0, served_ = 0;
  bool warned_partial_ = false;
  std::vector<SampleOrigin> origins_;
  std::vector<std::string> warnings_;
};

}  // namespace

std::unique_ptr<BatchSource> make_batched_source(std::shared_ptr<SampleProvider> samples,
                                                 std::vector<ResolvedInput> inputs,
                                                 std::vector<std::size_t> indices,
                                                 std::string description) {
  return std::make_unique<BatchedSource>(std::move(samples), std::move(inputs), std::move(indices),
                                         std::move(description));
}

}  // namespace yoloq
