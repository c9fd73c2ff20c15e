#include <algorithm>
#include <queue>
#include <set>

#include "yoloq/onnx/model.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq {

namespace {
const std::vector<std::size_t> kNoConsumers;

ValueInfo from_proto(const onnx::ValueInfoProto& v) {
  ValueInfo info;
  info.name = v.name();
  if (v.type().has_tensor_type()) {
    const auto& tt = v.type().tensor_type();
    info.elem_type = tt.elem_type();
    if (tt.has_shape()) {
      info.has_shape = true;
      for (const auto& d : tt.shape().dim()) {
        info.shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
        info.dim_names.push_back(d.has_dim_param() ? d.dim_param() : "");
      }
    }
  }
  return info;
}
}  // namespace

std::string elem_type_name(std::int32_t t) {
  switch (t) {
    case onnx::TensorProto::FLOAT: return "float32";
    case onnx::TensorProto::FLOAT16: return "float16";
    case onnx::TensorProto::DOUBLE: return "float64";
    case onnx::TensorProto::UINT8: return "uint8";
    case onnx::TensorProto::INT8: return "int8";
    case onnx::TensorProto::INT32: return "int32";
    case onnx::TensorProto::INT64: return "int64";
    case onnx::TensorProto::BOOL: return "bool";
    case onnx::TensorProto::BFLOAT16: return "bfloat16";
    default: return "type" + std::to_string(t);
  }
}

GraphIndex::GraphIndex(const onnx::GraphProto& graph) : graph_(&graph) {
  for (const auto& t : graph.initializer()) initializers_[t.name()] = &t;
  for (const auto& v : graph.input()) {
    value_infos_[v.name()] = &v;
    if (!initializers_.count(v.name())) input_names_.push_back(v.name());
  }
  for (const auto& v : graph.value_info()) value_infos_[v.name()] = &v;
  for (const auto& v : graph.output()) {
    value_infos_[v.name()] = &v;
    output_names_.push_back(v.name());
  }
  const std::size_t n = static_cast<std::size_t>(graph.node_size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto& node = graph.node(static_cast<int>(i));
    for (const auto& out : node.output())
      if (!out.empty()) producer_[out] = i;
    for (const auto& in : node.input()) {
      if (in.empty()) continue;
      auto& c = consumers_[in];
      if (c.empty() || c.back() != i) c.push_back(i);
    }
  }
  name_nodes();
  // Kahn's algorithm with a min-heap on the node index: a deterministic order that keeps the
  // file's order wherever the file is already sorted.
  std::vector<std::size_t> pending(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    std::set<std::size_t> preds;
    for (const auto& in : graph.node(static_cast<int>(i)).input())
      if (auto p = producer(in)) preds.insert(*p);  // a node reading its own output is a cycle too
    pending[i] = preds.size();
  }
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
  for (std::size_t i = 0; i < n; ++i)
    if (!pending[i]) ready.push(i);
  while (!ready.empty()) {
    std::size_t i = ready.top();
    ready.pop();
    topo_.push_back(i);
    std::set<std::size_t> succs;
    for (const auto& out : graph.node(static_cast<int>(i)).output())
      if (!out.empty())
        for (auto c : consumers(out)) succs.insert(c);
    for (auto s : succs)
      if (--pending[s] == 0) ready.push(s);
  }
  if (topo_.size() != n) {
    std::size_t first = 0;
    while (!pending[first]) ++first;
    const auto& node = graph.node(static_cast<int>(first));
    throw Error("the graph has a cycle: " + std::to_string(n - topo_.size()) + " of " + std::to_string(n) +
                " nodes cannot be ordered, the first is '" + node.name() + "' (" + node.op_type() + ")");
  }
}

void GraphIndex::name_nodes() {
  std::set<std::string> used;
  for (const auto& node : graph_->node()) used.insert(node.name());
  node_names_.reserve(node_count());
  for (std::size_t i = 0; i < node_count(); ++i) {
    std::string name = node(i).name();
    if (name.empty()) {
      name = node(i).op_type() + "_" + std::to_string(i);
      while (used.count(name)) name += "_";
      used.insert(name);
    }
    node_by_name_.emplace(name, i);
    node_names_.push_back(std::move(name));
  }
}

std::optional<std::size_t> GraphIndex::find_node(const std::string& name) const {
  auto it = node_by_name_.find(name);
  if (it == node_by_name_.end()) return std::nullopt;
  return it->second;
}

void name_unnamed_nodes(Model& model) {
  const GraphIndex index(model.graph());
  for (std::size_t i = 0; i < index.node_count(); ++i)
    if (model.graph().node(static_cast<int>(i)).name().empty())
      model.graph().mutable_node(static_cast<int>(i))->set_name(index.node_name(i));
}

std::optional<std::size_t> GraphIndex::producer(const std::string& tensor) const {
  auto it = producer_.find(tensor);
  if (it == producer_.end()) return std::nullopt;
  return it->second;
}

const std::vector<std::size_t>& GraphIndex::consumers(const std::string& tensor) const {
  auto it = consumers_.find(tensor);
  return it == consumers_.end() ? kNoConsumers : it->second;
}

const onnx::TensorProto* GraphIndex::initializer(const std::string& name) const {
  auto it = initializers_.find(name);
  return it == initializers_.end() ? nullptr : it->second;
}

bool GraphIndex::is_graph_input(const std::string& name) const {
  return std::find(input_names_.begin(), input_names_.end(), name) != input_names_.end();
}

bool GraphIndex::is_graph_output(const std::string& name) const {
  return std::find(output_names_.begin(), output_names_.end(), name) != output_names_.end();
}

bool GraphIndex::is_constant(const std::string& name) const {
  if (is_initializer(name)) return true;
  auto p = producer(name);
  return p && node(*p).op_type() == "Constant";
}

std::map<std::string, std::size_t> GraphIndex::op_histogram() const {
  std::map<std::string, std::size_t> h;
  for (const auto& node : graph_->node()) ++h[node.op_type()];
  return h;
}

std::vector<ValueInfo> GraphIndex::inputs() const {
  std::vector<ValueInfo> v;
  for (const auto& name : input_names_) v.push_back(from_proto(*value_infos_.at(name)));
  return v;
}

std::vector<ValueInfo> GraphIndex::outputs() const {
  std::vector<ValueInfo> v;
  for (const auto& name : output_names_) v.push_back(from_proto(*value_infos_.at(name)));
  return v;
}

std::optional<ValueInfo> GraphIndex::value_info(const std::string& tensor) const {
  if (auto it = value_infos_.find(tensor); it != value_infos_.end()) return from_proto(*it->second);
  if (const auto* init = initializer(tensor)) {
    ValueInfo info;
    info.name = tensor;
    info.elem_type = init->data_type();
    info.has_shape = true;
    info.shape.assign(init->dims().begin(), init->dims().end());
    info.dim_names.assign(info.shape.size(), "");
    return info;
  }
  return std::nullopt;
}

const onnx::AttributeProto* find_attribute(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

std::int64_t attribute_int(const onnx::NodeProto& node, const std::string& name, std::int64_t fallback) {
  const auto* a = find_attribute(node, name);
  return a ? a->i() : fallback;
}

std::vector<std::int64_t> attribute_ints(const onnx::NodeProto& node, const std::string& name) {
  const auto* a = find_attribute(node, name);
  if (!a) return {};
  return {a->ints().begin(), a->ints().end()};
}

void expose_as_outputs(Model& model, const std::vector<std::string>& tensors) {
  std::set<std::string> outputs;
  for (const auto& out : model.graph().output()) outputs.insert(out.name());
  for (const auto& name : tensors) {
    if (!outputs.insert(name).second) continue;
    auto* out = model.graph().add_output();
    out->set_name(name);
    out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  }
}

}  // namespace yoloq
