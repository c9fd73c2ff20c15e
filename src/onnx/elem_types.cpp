// Element types of the tensors of a graph. Exports rarely declare value_info for intermediate
// tensors, so types are propagated through the nodes with the rules that matter: the ops whose
// output type is not their first typed input's.
#include "yoloq/onnx/model.hpp"

namespace yoloq {

namespace {

using ElemType = std::int32_t;
constexpr ElemType kUnknown = onnx::TensorProto::UNDEFINED;

ElemType constant_type(const onnx::NodeProto& node) {
  if (const auto* value = find_attribute(node, "value")) return value->t().data_type();
  if (find_attribute(node, "value_float") || find_attribute(node, "value_floats")) return onnx::TensorProto::FLOAT;
  if (find_attribute(node, "value_int") || find_attribute(node, "value_ints")) return onnx::TensorProto::INT64;
  if (find_attribute(node, "value_string") || find_attribute(node, "value_strings")) return onnx::TensorProto::STRING;
  return kUnknown;
}

bool is_one_of(const std::string& op, std::initializer_list<const char*> ops) {
  for (const char* o : ops)
    if (op == o) return true;
  return false;
}

ElemType output_type(const onnx::NodeProto& node, int output, const std::map<std::string, ElemType>& types) {
  auto input_type = [&](int i) -> ElemType {
    if (i >= node.input_size() || node.input(i).empty()) return kUnknown;
    auto it = types.find(node.input(i));
    return it == types.end() ? kUnknown : it->second;
  };
  const std::string& op = node.op_type();
  if (!node.domain().empty() && node.domain() != "ai.onnx") return kUnknown;  // custom ops: no rule
  if (op == "Constant") return constant_type(node);
  if (is_one_of(op, {"Shape", "Size", "NonZero", "ArgMax", "ArgMin", "NonMaxSuppression"}))
    return onnx::TensorProto::INT64;
  if (op == "TopK" && output == 1) return onnx::TensorProto::INT64;  // the indices
  if (op == "Cast") return static_cast<ElemType>(attribute_int(node, "to", kUnknown));
  if (op == "CastLike") return input_type(1);
  if (is_one_of(op, {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor", "IsNaN",
                     "IsInf"}))
    return onnx::TensorProto::BOOL;
  if (op == "QuantizeLinear") return node.input_size() > 2 ? input_type(2) : onnx::TensorProto::UINT8;
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

std::map<std::string, std::int32_t> infer_elem_types(const GraphIndex& index) {
  std::map<std::string, ElemType> types;
  const auto& g = index.graph();
  for (const auto& t : g.initializer()) types[t.name()] = t.data_type();
  auto declare = [&](const onnx::ValueInfoProto& v) {
    if (v.type().has_tensor_type() && v.type().tensor_type().elem_type() != kUnknown)
      types[v.name()] = v.type().tensor_type().elem_type();
  };
  for (const auto& v : g.input()) declare(v);
  for (const auto& v : g.value_info()) declare(v);
  for (const auto& v : g.output()) declare(v);
  for (std::size_t i : index.topological_order()) {
    const auto& node = index.node(i);
    for (int o = 0; o < node.output_size(); ++o) {
      const std::string& name = node.output(o);
      if (name.empty() || types.count(name)) continue;  // declared types win
      if (const ElemType t = output_type(node, o, types); t != kUnknown) types[name] = t;
    }
  }
  return types;
}

bool is_float32(const std::map<std::string, std::int32_t>& types, const std::string& tensor) {
  auto it = types.find(tensor);
  return it != types.end() && it->second == onnx::TensorProto::FLOAT;
}

std::vector<std::string> float_activation_tensors(const GraphIndex& index) {
  const auto types = infer_elem_types(index);
  std::vector<std::string> out;
  for (const auto& input : index.inputs())
    if (input.elem_type == onnx::TensorProto::FLOAT) out.push_back(input.name);
  for (std::size_t n : index.topological_order())
    for (const auto& name : index.node(n).output())
      if (!name.empty() && is_float32(types, name) && !index.is_constant(name)) out.push_back(name);
  return out;
}

}  // namespace yoloq
