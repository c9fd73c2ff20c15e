// Samples from a .npz archive holding one array [N, ...] per model input, keyed by input name.
// Zip members are compressed or not at the writer's choice, so the arrays are read whole; the
// .npy path streams, and a single-input model should use it for large sets.
#include <cstring>

#include "data/source_internal.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/tensor/npy.hpp"

namespace yoloq {

namespace {

class NpzSamples : public SampleProvider {
 public:
  NpzSamples(const std::filesystem::path& path, std::vector<ResolvedInput>& inputs) : what_(path.string()) {
    auto arrays = read_npz(path);
    std::vector<ArrayDescription> descriptions;
    std::vector<Tensor*> tensors;
    for (auto& [name, tensor] : arrays) {
      descriptions.push_back({name, dtype_name(tensor.dtype), tensor.shape});
      tensors.push_back(&tensor);
    }
    for (std::size_t i : match_input_arrays(what_, descriptions, inputs, count_)) arrays_.push_back(std::move(*tensors[i]));
    inputs_ = inputs;  // as the arrays sized them
  }

  std::size_t size() const override { return count_; }
  bool fill(std::size_t index, const std::vector<float*>& destinations) override {
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
      const std::size_t n = inputs_[i].sample_size();
      std::memcpy(destinations[i], arrays_[i].values<float>().data() + index * n,
                  n * sizeof(float));
    }
    return true;
  }
  std::string what() const override { return what_; }

 private:
  std::string what_;
  std::vector<ResolvedInput> inputs_;
  std::vector<Tensor> arrays_;  // in input order
  std::size_t count_ = 0;
};

}  // namespace

std::shared_ptr<SampleProvider> make_npz_samples(const std::filesystem::path& path, std::vector<ResolvedInput>& inputs) {
  return std::make_shared<NpzSamples>(path, inputs);
}

}  // namespace yoloq
