// Which tensors of a model are float activations. Exports rarely declare value_info for
// intermediate tensors, so element types are propagated through the nodes with the few rules
// that matter (ops whose output type is not their first input's).
#include <unordered_map>

#include "yoloq/calib/calibrate.hpp"

namespace yoloq {

namespace {

using ElemType = std::int32_t;
constexpr ElemType kUnknown = onnx::TensorProto::UNDEFINED;

ElemType constant_type(const onnx::NodeProto& node) {
  if (const auto* value = find_attribute(node, "value")) return value->t().data_type();
  if (find_attribute(node, "value_float") || find_attribute(node, "value_floats"))
    return onnx::TensorProto::FLOAT;
  if (find_attribute(node, "value_int") || find_attribute(node, "value_ints"))
    return onnx::TensorProto::INT64;
  if (find_attribute(node, "value_string") || find_attribute(node, "value_strings"))
    return onnx::TensorProto::STRING;
  return kUnknown;
}

ElemType output_type(const onnx::NodeProto& node, int output,
                     const std::unordered_map<std::string, ElemType>& types) {
  auto input_type = [&](int i) -> ElemType {
    if (i >= node.input_size() || node.input(i).empty()) return kUnknown;
    auto it = types.find(node.input(i));
    return it == types.end() ? kUnknown : it->second;
  };
  const std::string& op = node.op_type();
  if (!node.domain().empty() && node.domain() != "ai.onnx") return kUnknown;
  if (op == "Constant") return constant_type(node);
  if (op == "Shape" || op == "Size" || op == "NonZero" || op == "ArgMax" || op == "ArgMin" ||
      op == "NonMaxSuppression")
    return onnx::TensorProto::INT64;
  if (op == "TopK" && output == 1) return onnx::TensorProto::INT64;
  if (op == "Cast") return static_cast<ElemType>(attribute_int(node, "to", kUnknown));
  if (op == "CastLike") return input_type(1);
  if (op == "Equal" || op == "Less" || op == "Greater" || op == "LessOrEqual" ||
      op == "GreaterOrEqual" || op == "Not" || op == "And" || op == "Or" || op == "Xor" ||
      op == "IsNaN" || op == "IsInf")
    return onnx::TensorProto::BOOL;
  if (op == "QuantizeLinear")
    return node.input_size() > 2 ? input_type(2) : onnx::TensorProto::UINT8;
  if (op == "DequantizeLinear") return input_type(1);
  if (op == "ConstantOfShape") {
    const auto* value = find_attribute(node, "value");
    return value ? value->t().data_type() : onnx::TensorProto::FLOAT;
  }
  if (op == "Where") return input_type(1);
  for (int i = 0; i < node.input_size(); ++i)
    if (auto t = input_type(i); t != kUnknown) return t;
  return kUnknown;
}

}  // namespace

std::vector<std::string> float_activation_tensors(const Model& model) {
  GraphIndex index(model.graph());
  std::unordered_map<std::string, ElemType> types;
  for (const auto& init : model.graph().initializer()) types[init.name()] = init.data_type();
  auto declared = [&](const std::string& name) -> ElemType {
    auto info = index.value_info(name);
    return info ? info->elem_type : kUnknown;
  };
  std::vector<std::string> out;
  for (const auto& input : index.inputs()) {
    types[input.name] = input.elem_type;
    if (input.elem_type == onnx::TensorProto::FLOAT) out.push_back(input.name);
  }
  for (std::size_t n : index.topological_order()) {
    const auto& node = index.node(n);
    for (int o = 0; o < node.output_size(); ++o) {
      const std::string& name = node.output(o);
      if (name.empty()) continue;
      ElemType t = declared(name);
      if (t == kUnknown) t = output_type(node, o, types);
      types[name] = t;
      if (t == onnx::TensorProto::FLOAT && !index.is_constant(name)) out.push_back(name);
    }
  }
  return out;
}

}  // namespace yoloq
