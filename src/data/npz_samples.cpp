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
  NpzSamples(const std::filesystem::path& path, const std::vector<ResolvedInput>& inputs)
      : what_(path.string()), inputs_(inputs) {
    auto arrays = read_npz(path);
    std::string expected_names;
    for (const auto& in : inputs) {
      if (!expected_names.empty()) expected_names += ", ";
      expected_names += "'";
      expected_names += in.name;
      expected_names += "'";
    }
    for (const auto& [name, tensor] : arrays) {
      bool known = false;
      for (const auto& in : inputs) known = known || in.name == name;
      if (!known)
        throw Error(what_ + ": array '" + name +
                    "' is not an input of the model (inputs: " + expected_names + ")");
    }
    for (const auto& in : inputs) {
      auto it = arrays.find(in.name);
      if (it == arrays.end())
        throw Error(what_ + ": no array for the model input '" + in.name +
                    "' (expected arrays: " + expected_names + ")");
      const Tensor& t = it->second;
      if (t.dtype != DType::Float32)
        throw Error(what_ + ": array '" + in.name + "' is " + dtype_name(t.dtype) +
                    ", expected float32");
      bool match = t.shape.size() == in.shape.size();
      for (std::size_t d = 1; match && d < in.shape.size(); ++d) match = t.shape[d] == in.shape[d];
      if (!match) {
        throw Error(what_ + ": array '" + in.name + "' has shape " + shape_string(t.shape) +
                    ", which does not match the model input (expected " + in.data_shape() + ")");
      }
      const auto n = static_cast<std::size_t>(t.shape[0]);
      if (&in != &inputs.front() && n != count_)
        throw Error(what_ + ": arrays hold different numbers of samples ('" + inputs.front().name +
                    "': " + std::to_string(count_) + ", '" + in.name + "': " + std::to_string(n) +
                    ")");
      count_ = n;
      arrays_.push_back(std::move(it->second));
    }
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

std::shared_ptr<SampleProvider> make_npz_samples(const std::filesystem::path& path,
                                                 const std::vector<ResolvedInput>& inputs) {
  return std::make_shared<NpzSamples>(path, inputs);
}

}  // namespace yoloq
