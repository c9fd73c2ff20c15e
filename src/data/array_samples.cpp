// Samples read in place from arrays the caller holds in memory (the Python module's numpy arrays):
// checked as a .npz archive's arrays are, and never copied beyond the batch being built.
#include <cstring>

#include "data/source_internal.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq {

namespace {

// How messages name in-memory data: the keyword it came through.
constexpr const char* kWhat = "calibration_data";

class ArraySamples : public SampleProvider {
 public:
  ArraySamples(std::vector<ArrayView> arrays, std::vector<ResolvedInput>& inputs) {
    if (arrays.size() == 1 && arrays.front().name.empty()) {
      if (inputs.size() != 1)
        throw Error(std::string(kWhat) + ": one array feeds a single-input model, this one has " +
                    std::to_string(inputs.size()) + " inputs; give a dict of arrays keyed by input name");
      arrays.front().name = inputs.front().name;
    }
    std::vector<ArrayDescription> descriptions;
    for (const auto& array : arrays) {
      if (array.data == nullptr) throw Error(std::string(kWhat) + ": array '" + array.name + "' has no data");
      descriptions.push_back({array.name, array.dtype, array.shape});
    }
    for (std::size_t i : match_input_arrays(kWhat, descriptions, inputs, count_))
      data_.push_back(static_cast<const float*>(arrays[i].data));
    inputs_ = inputs;  // as the arrays sized them
  }

  std::size_t size() const override { return count_; }
  bool fill(std::size_t index, const std::vector<float*>& destinations) override {
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
      const std::size_t n = inputs_[i].sample_size();
      std::memcpy(destinations[i], data_[i] + index * n, n * sizeof(float));
    }
    return true;
  }
  std::string what() const override { return kWhat; }

 private:
  std::vector<ResolvedInput> inputs_;
  std::vector<const float*> data_;  // in input order
  std::size_t count_ = 0;
};

}  // namespace

std::shared_ptr<SampleProvider> make_array_samples(const std::vector<ArrayView>& arrays,
                                                   std::vector<ResolvedInput>& inputs) {
  return std::make_shared<ArraySamples>(arrays, inputs);
}

}  // namespace yoloq
