#include <set>

#include "yoloq/onnx/model.hpp"

namespace yoloq {

std::map<std::string, std::int32_t> infer_elem_types(const GraphIndex& index) {
  std::map<std::string, std::int32_t> types;
  const auto& g = index.graph();
  for (const auto& t : g.initializer()) types[t.name()] = t.data_type();
  auto declare = [&](const onnx::ValueInfoProto& v) {
    if (v.type().has_tensor_type() && v.type().tensor_type().elem_type() != 0)
      types[v.name()] = v.type().tensor_type().elem_type();
  };
  for (const auto& v : g.input()) declare(v);
  for (const auto& v : g.value_info()) declare(v);
  for (const auto& v : g.output()) declare(v);

  static const std::set<std::string> to_int64{"Shape", "Size", "NonZero", "ArgMax", "ArgMin"};
  static const std::set<std::string> to_bool{"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf"};
  for (std::size_t i : index.topological_order()) {
    const auto& node = index.node(i);
    std::int32_t t = 0;
    if (to_int64.count(node.op_type())) {
      t = onnx::TensorProto::INT64;
    } else if (to_bool.count(node.op_type())) {
      t = onnx::TensorProto::BOOL;
    } else if (node.op_type() == "Cast") {
      t = static_cast<std::int32_t>(attribute_int(node, "to", 0));
    } else if (node.op_type() == "Constant") {
      if (const auto* a = find_attribute(node, "value")) t = a->t().data_type();
    } else if (node.op_type() == "QuantizeLinear") {
      t = node.input_size() > 2 && types.count(node.input(2)) ? types[node.input(2)] : onnx::TensorProto::UINT8;
    } else if (node.op_type() == "DequantizeLinear") {
      t = node.input_size() > 1 && types.count(node.input(1)) ? types[node.input(1)] : onnx::TensorProto::FLOAT;
    } else if (node.op_type() == "Where" && node.input_size() > 1) {
      t = types.count(node.input(1)) ? types[node.input(1)] : 0;
    } else if (node.input_size() > 0 && types.count(node.input(0))) {
      t = types[node.input(0)];
    }
    if (t == 0) continue;
    for (const auto& out : node.output())
      if (!out.empty() && !types.count(out)) types[out] = t;
  }
  return types;
}

}  // namespace yoloq
