#include "calib/observed_model.hpp"

#include <algorithm>
#include <map>

#include "yoloq/onnx/fresh_names.hpp"
#include "yoloq/runtime/tensor_observer.hpp"

namespace yoloq {

std::vector<std::string> add_observers(Model& model, const std::vector<std::string>& tensors) {
  auto& graph = model.graph();
  FreshNames names(graph);
  if (model.opset(kObserveDomain) == 0) {
    auto* opset = model.proto.add_opset_import();
    opset->set_domain(kObserveDomain);
    opset->set_version(1);
  }
  std::vector<std::string> outputs;
  std::map<std::string, std::vector<onnx::NodeProto>> observers_of;  // by tensor
  for (std::size_t id = 0; id < tensors.size(); ++id) {
    auto* node = &observers_of[tensors[id]].emplace_back();
    node->set_op_type(kObserveOpType);
    node->set_domain(kObserveDomain);
    node->set_name(names.node("yoloq_observe/" + tensors[id]));
    node->add_input(tensors[id]);
    const std::string output = names.tensor(tensors[id] + "/observed");
    node->add_output(output);
    auto* attribute = node->add_attribute();
    attribute->set_name("id");
    attribute->set_type(onnx::AttributeProto::INT);
    attribute->set_i(static_cast<std::int64_t>(id));
    auto* graph_output = graph.add_output();
    graph_output->set_name(output);
    graph_output->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    outputs.push_back(output);
  }
  // The Observe nodes at the end of the node list, the last-computed tensor's first. ONNX Runtime
  // orders a run by a depth-first walk back from the nodes nothing consumes, the last listed
  // first: so the run computes up to the first observed tensor and observes it, then up to the
  // next, and each tensor is freed once read, as in plain inference. In any other order the
  // observed tensors wait in memory for their Observe nodes (2.5x the float run's peak).
  std::map<std::string, std::size_t> position;  // of each tensor in the order the graph computes them
  for (const auto& v : graph.input()) position.emplace(v.name(), position.size());
  for (const auto& node : graph.node())
    for (const auto& t : node.output()) position.emplace(t, position.size());
  std::vector<std::pair<std::size_t, std::string>> latest_first;
  for (const auto& [tensor, nodes] : observers_of)
    latest_first.emplace_back(position.count(tensor) ? position.at(tensor) : position.size(), tensor);
  std::sort(latest_first.rbegin(), latest_first.rend());
  for (const auto& [at, tensor] : latest_first)
    for (auto& n : observers_of.at(tensor)) *graph.add_node() = std::move(n);
  return outputs;
}

}  // namespace yoloq
