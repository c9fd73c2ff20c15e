// The checks every array-per-input source shares (.npz archives, in-memory arrays): one float32
// array [N, ...] per model input, found by name, all with the same N.
#include "data/source_internal.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/tensor/tensor.hpp"

namespace yoloq {

std::vector<std::size_t> match_input_arrays(const std::string& what, const std::vector<ArrayDescription>& arrays,
                                            std::vector<ResolvedInput>& inputs, std::size_t& sample_count) {
  std::string expected_names;
  for (const auto& in : inputs) expected_names += (expected_names.empty() ? "'" : ", '") + in.name + "'";
  for (const auto& array : arrays) {
    bool known = false;
    for (const auto& in : inputs) known = known || in.name == array.name;
    if (!known)
      throw Error(what + ": array '" + array.name + "' is not an input of the model (inputs: " + expected_names + ")");
  }
  std::vector<std::size_t> order;
  for (auto& in : inputs) {
    std::size_t i = 0;
    while (i < arrays.size() && arrays[i].name != in.name) ++i;
    if (i == arrays.size())
      throw Error(what + ": no array for the model input '" + in.name + "' (expected arrays: " + expected_names + ")");
    const auto& array = arrays[i];
    if (array.dtype != "float32")
      throw Error(what + ": array '" + in.name + "' is " + array.dtype + ", expected float32");
    if (!in.accepts(array.shape))
      throw Error(what + ": array '" + in.name + "' has shape " + shape_string(array.shape) +
                  ", which does not match the model input (expected " + in.data_shape() + ")");
    in.adopt_data_sizes(array.shape);
    const auto n = static_cast<std::size_t>(array.shape[0]);
    if (!order.empty() && n != sample_count)
      throw Error(what + ": arrays hold different numbers of samples ('" + inputs.front().name +
                  "': " + std::to_string(sample_count) + ", '" + in.name + "': " + std::to_string(n) + ")");
    sample_count = n;
    order.push_back(i);
  }
  return order;
}

}  // namespace yoloq
