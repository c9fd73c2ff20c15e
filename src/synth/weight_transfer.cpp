// Copies an export's parameters into a synthesized graph. The names are the contract: a
// parameter of another shape, a missing one, or one the architecture does not have means the file
// is another size or another model, and the first such name is the error. A weight may carry the
// Q/DQ export's suffix on one side and not on the other: it is the same parameter.
#include <set>
#include <unordered_map>

#include "synth/export_dialect.hpp"
#include "synth/parameter_sources.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq::yolo {

namespace {

const std::string kQdqWeightSuffix = kUltralytics83QdqDialect.weight_suffix;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A learned parameter of an Ultralytics export, as opposed to an exporter constant.
bool looks_like_parameter(const std::string& name) {
  return name.rfind("model.", 0) == 0 &&
         (ends_with(name, ".bias") || ends_with(name, ".weight") ||
          ends_with(name, ".weight" + kQdqWeightSuffix));
}

// The name of the same weight in the other naming: with the Q/DQ suffix removed or added.
std::string other_weight_name(const std::string& name) {
  if (ends_with(name, kQdqWeightSuffix)) return name.substr(0, name.size() - kQdqWeightSuffix.size());
  return ends_with(name, ".weight") ? name + kQdqWeightSuffix : "";
}

}  // namespace

std::vector<onnx::TensorProto> copied_parameters(const std::vector<ParameterSpec>& specs,
                                                 const Model& from, const std::string& what,
                                                 const std::string& architecture) {
  std::unordered_map<std::string, const onnx::TensorProto*> available;
  for (const auto& init : from.graph().initializer()) available[init.name()] = &init;
  const std::string prefix = what + ": initializers do not match " + architecture + ": ";

  std::vector<onnx::TensorProto> out;
  std::set<std::string> wanted;
  for (const auto& spec : specs) {
    wanted.insert(spec.name);
    auto it = available.find(spec.name);
    if (const auto other = other_weight_name(spec.name); it == available.end() && !other.empty()) {
      wanted.insert(other);
      it = available.find(other);
    }
    if (it == available.end())
      throw Error(prefix + "no initializer '" + spec.name + "' (" + shape_string(spec.shape) + ")");
    const auto& proto = *it->second;
    std::vector<std::int64_t> shape(proto.dims().begin(), proto.dims().end());
    if (proto.data_type() != onnx::TensorProto::FLOAT)
      throw Error(prefix + "initializer '" + spec.name + "' is " +
                  elem_type_name(proto.data_type()) + ", expected float32");
    if (shape != spec.shape)
      throw Error(prefix + "initializer '" + spec.name + "' has shape " + shape_string(shape) +
                  ", expected " + shape_string(spec.shape));
    // Through Tensor, so that external or typed-field storage ends up as plain raw data.
    out.push_back(to_proto(to_tensor(proto), spec.name));
  }
  for (const auto& init : from.graph().initializer())
    if (looks_like_parameter(init.name()) && !wanted.count(init.name()))
      throw Error(prefix + "initializer '" + init.name() + "' is not a parameter of " +
                  architecture);
  return out;
}

}  // namespace yoloq::yolo
