#include "write/graph_edit.hpp"

namespace yoloq {

onnx::NodeProto make_node(const std::string& op, const std::string& name, const std::vector<std::string>& inputs,
                          const std::string& output, std::optional<std::int64_t> axis) {
  onnx::NodeProto n;
  n.set_op_type(op);
  n.set_name(name);
  for (const auto& i : inputs) n.add_input(i);
  n.add_output(output);
  if (axis) {
    auto* a = n.add_attribute();
    a->set_name("axis");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(*axis);
  }
  return n;
}

void set_ints(onnx::NodeProto& node, const std::string& attribute, const std::vector<std::int64_t>& values) {
  auto* a = node.add_attribute();
  a->set_name(attribute);
  a->set_type(onnx::AttributeProto::INTS);
  for (auto v : values) a->add_ints(v);
}

}  // namespace yoloq
