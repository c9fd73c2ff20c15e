// GraphBuilder (yoloq/synth/graph_builder.hpp), then OnnxGraphBuilder, which names and orders
// the nodes it adds through one the way torch.onnx does.
#include "synth/onnx_graph_builder.hpp"

#include <algorithm>
#include <deque>
#include <unordered_map>

#include "yoloq/support/error.hpp"

namespace yoloq {

Tensor int64_vector(const std::vector<std::int64_t>& values) {
  Tensor t(DType::Int64, {static_cast<std::int64_t>(values.size())});
  std::copy(values.begin(), values.end(), t.values<std::int64_t>().begin());
  return t;
}

Tensor float_tensor(std::vector<std::int64_t> shape, const std::vector<float>& values) {
  Tensor t(DType::Float32, std::move(shape));
  if (values.size() != t.numel())
    throw Error("float_tensor: " + std::to_string(values.size()) + " values for " +
                std::to_string(t.numel()) + " elements");
  std::copy(values.begin(), values.end(), t.values<float>().begin());
  return t;
}

namespace {

void set_value_info(onnx::ValueInfoProto* v, const std::string& name,
                    const std::vector<std::int64_t>& shape, std::int32_t elem_type) {
  v->set_name(name);
  auto* tensor_type = v->mutable_type()->mutable_tensor_type();
  tensor_type->set_elem_type(elem_type);
  auto* s = tensor_type->mutable_shape();
  for (auto d : shape) {
    if (d < 0)
      s->add_dim()->set_dim_param("batch");
    else
      s->add_dim()->set_dim_value(d);
  }
}

}  // namespace

GraphBuilder::GraphBuilder(std::int64_t opset, std::int64_t ir_version) {
  model_.proto.set_ir_version(ir_version);
  model_.proto.add_opset_import()->set_version(opset);
  model_.graph().set_name("main_graph");
}

void GraphBuilder::input(const std::string& name, const std::vector<std::int64_t>& shape,
                         std::int32_t elem_type) {
  set_value_info(model_.graph().add_input(), name, shape, elem_type);
}

void GraphBuilder::output(const std::string& name, const std::vector<std::int64_t>& shape,
                          std::int32_t elem_type) {
  set_value_info(model_.graph().add_output(), name, shape, elem_type);
}

void GraphBuilder::initializer(const std::string& name, const Tensor& value) {
  *model_.graph().add_initializer() = to_proto(value, name);
}

onnx::NodeProto& GraphBuilder::node(const std::string& op, const std::string& name,
                                    const std::vector<std::string>& inputs,
                                    const std::vector<std::string>& outputs,
                                    const Attributes& attributes) {
  auto& node = *model_.graph().add_node();
  node.set_op_type(op);
  node.set_name(name);
  for (const auto& in : inputs) node.add_input(in);
  for (const auto& out : outputs) node.add_output(out);
  for (const auto& [attribute, value] : attributes) set_attribute(node, attribute, value);
  return node;
}

void GraphBuilder::set_attribute(onnx::NodeProto& node, const std::string& name,
                                 const AttributeValue& value) {
  auto* a = node.add_attribute();
  a->set_name(name);
  if (const auto* i = std::get_if<std::int64_t>(&value)) {
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(*i);
  } else if (const auto* ints = std::get_if<std::vector<std::int64_t>>(&value)) {
    a->set_type(onnx::AttributeProto::INTS);
    for (auto v : *ints) a->add_ints(v);
  } else if (const auto* f = std::get_if<float>(&value)) {
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(*f);
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(*s);
  } else {
    a->set_type(onnx::AttributeProto::TENSOR);
    *a->mutable_t() = to_proto(std::get<Tensor>(value), "");
  }
}

onnx::NodeProto& GraphBuilder::conv(const std::string& name, const std::string& x,
                                    const std::string& out, std::int64_t cout, std::int64_t cin,
                                    std::int64_t k, bool bias) {
  Tensor w(DType::Float32, {cout, cin, k, k});
  auto wv = w.values<float>();
  for (std::size_t i = 0; i < wv.size(); ++i)
    wv[i] = static_cast<float>(static_cast<int>(i % 7) - 3) * 0.1f + 0.05f;
  initializer(name + ".weight", w);
  std::vector<std::string> inputs{x, name + ".weight"};
  if (bias) {
    Tensor b(DType::Float32, {cout});
    auto bv = b.values<float>();
    for (std::size_t i = 0; i < bv.size(); ++i) bv[i] = 0.01f * static_cast<float>(i);
    initializer(name + ".bias", b);
    inputs.push_back(name + ".bias");
  }
  return node("Conv", name, inputs, {out},
              {{"kernel_shape", std::vector<std::int64_t>{k, k}},
               {"pads", std::vector<std::int64_t>{k / 2, k / 2, k / 2, k / 2}}});
}

std::string GraphBuilder::conv_silu(const std::string& name, const std::string& x,
                                    std::int64_t cout, std::int64_t cin, std::int64_t k) {
  conv(name + "/conv", x, name + "/conv_out", cout, cin, k);
  node("Sigmoid", name + "/sigmoid", {name + "/conv_out"}, {name + "/sigmoid_out"});
  node("Mul", name + "/mul", {name + "/conv_out", name + "/sigmoid_out"}, {name + "/out"});
  return name + "/out";
}

}  // namespace yoloq

namespace yoloq::yolo {

namespace {

// Kahn's algorithm with a FIFO queue over the forward (module call) order: the exported files
// list their nodes this way, which interleaves the Detect head's branches with the neck.
std::vector<int> breadth_first_order(const onnx::GraphProto& graph) {
  std::unordered_map<std::string, int> producer;
  for (int i = 0; i < graph.node_size(); ++i)
    for (const auto& out : graph.node(i).output()) producer[out] = i;
  std::vector<int> pending_inputs(static_cast<std::size_t>(graph.node_size()), 0);
  std::vector<std::vector<int>> consumers(static_cast<std::size_t>(graph.node_size()));
  for (int i = 0; i < graph.node_size(); ++i)
    for (const auto& in : graph.node(i).input())
      if (auto it = producer.find(in); it != producer.end()) {
        ++pending_inputs[static_cast<std::size_t>(i)];
        consumers[static_cast<std::size_t>(it->second)].push_back(i);
      }
  std::deque<int> ready;
  for (int i = 0; i < graph.node_size(); ++i)
    if (pending_inputs[static_cast<std::size_t>(i)] == 0) ready.push_back(i);
  std::vector<int> order;
  while (!ready.empty()) {
    int n = ready.front();
    ready.pop_front();
    order.push_back(n);
    for (int c : consumers[static_cast<std::size_t>(n)])
      if (--pending_inputs[static_cast<std::size_t>(c)] == 0) ready.push_back(c);
  }
  if (order.size() != static_cast<std::size_t>(graph.node_size()))
    throw Error("synthesized graph has a cycle: " +
                std::to_string(graph.node_size() - static_cast<int>(order.size())) +
                " nodes never become ready");
  return order;
}

}  // namespace

OnnxGraphBuilder::Scope OnnxGraphBuilder::enter(const std::string& scope,
                                                std::optional<std::string> parameter_path) {
  frames_.push_back(Frame{scope, parameter_path.value_or(scope), {}});
  return Scope(*this);
}

void OnnxGraphBuilder::leave() { frames_.pop_back(); }

std::string OnnxGraphBuilder::scope_path() const {
  std::string path;
  for (std::size_t i = 1; i < frames_.size(); ++i) path.append("/").append(frames_[i].scope);
  return path;
}

std::string OnnxGraphBuilder::parameter_prefix() const {
  std::string prefix;
  for (std::size_t i = 1; i < frames_.size(); ++i)
    prefix.append(frames_[i].parameter_path).append(".");
  return prefix;
}

std::string OnnxGraphBuilder::scoped_name(const std::string& label) {
  int k = frames_.back().label_counts[label]++;
  std::string name = scope_path();
  name.append("/").append(label);
  if (k > 0) name.append("_").append(std::to_string(k));
  return name;
}

void OnnxGraphBuilder::skip_folded(const std::string& label, int count) {
  frames_.back().label_counts[label] += count;
  next_value_id_ += count;
}

void OnnxGraphBuilder::add_input(const std::string& name, const std::vector<std::int64_t>& shape) {
  graph_.input(name, shape);
}

void OnnxGraphBuilder::add_output(const std::string& tensor, const std::string& name,
                                  const std::vector<std::int64_t>& shape) {
  for (auto& node : *graph_.graph().mutable_node()) {
    for (auto& out : *node.mutable_output())
      if (out == tensor) out = name;
    for (auto& in : *node.mutable_input())
      if (in == tensor) in = name;
  }
  graph_.output(name, shape);
}

std::vector<std::string> OnnxGraphBuilder::add_node(const std::string& op,
                                                    const std::vector<std::string>& inputs,
                                                    std::size_t output_count,
                                                    const Attributes& attributes) {
  const std::string name = scoped_name(op);
  std::vector<std::string> outputs;
  for (std::size_t i = 0; i < output_count; ++i)
    outputs.push_back(name + "_output_" + std::to_string(i));
  next_value_id_ += static_cast<std::int64_t>(output_count);
  graph_.node(op, name, inputs, outputs, attributes);
  return outputs;
}

std::string OnnxGraphBuilder::rename_output(const std::string& tensor, const std::string& label) {
  auto& nodes = *graph_.graph().mutable_node();
  if (nodes.empty()) throw Error("rename_output: no node yet");
  const std::string name = scope_path() + "/" + label + "_output_0";
  for (auto& out : *nodes.rbegin()->mutable_output())
    if (out == tensor) out = name;
  return name;
}

std::string OnnxGraphBuilder::add_constant(const std::string& name, const Tensor& value,
                                           bool shared) {
  ++next_value_id_;
  if (shared) {
    for (auto& group : literals_)
      if (group.value == value) {
        group.names.push_back(name);
        return name;
      }
    literals_.push_back(LiteralGroup{value, {name}});
  }
  graph_.initializer(name, value);
  return name;
}

std::string OnnxGraphBuilder::add_vanished_step(const std::string& x) {
  const std::string out = "vanished:" + std::to_string(vanished_.size());
  graph_.node("Identity", out, {x}, {out});
  vanished_[out] = x;
  return out;
}

std::string OnnxGraphBuilder::literal_constant(const std::string& label, const Tensor& value) {
  return add_constant(scoped_name(label) + "_output_0", value, true);
}

std::string OnnxGraphBuilder::computed_constant(const std::string& label, const Tensor& value) {
  return add_constant(scoped_name(label) + "_output_0", value, false);
}

std::string OnnxGraphBuilder::split_sizes(const std::vector<std::int64_t>& sizes) {
  // The final number is known once all parameters are declared; a placeholder until finish().
  std::int64_t id = next_value_id_;
  std::string placeholder = "onnx::Split_+" + std::to_string(id);
  split_constants_.emplace_back(placeholder, id);
  return add_constant(placeholder, int64_vector(sizes), true);
}

std::string OnnxGraphBuilder::add_parameter(const std::string& suffix,
                                            std::vector<std::int64_t> shape, ParameterRole role,
                                            ParameterRole weight_role, double weight_std) {
  std::string name = parameter_prefix() + suffix;
  if (role != ParameterRole::Bias) name += dialect_.weight_suffix;
  parameters_.push_back(ParameterSpec{name, std::move(shape), role, weight_role, weight_std});
  return name;
}

OnnxGraphBuilder::Result OnnxGraphBuilder::finish() {
  const onnx::GraphProto& built = graph_.graph();
  const std::vector<int> order = breadth_first_order(built);

  // A shared literal keeps the name of the one the ordered graph uses first.
  std::map<std::string, std::string> renames;
  std::unordered_map<std::string, std::size_t> literal_group;
  for (std::size_t g = 0; g < literals_.size(); ++g)
    for (const auto& name : literals_[g].names) literal_group[name] = g;
  std::vector<const std::string*> first_used(literals_.size(), nullptr);
  for (int i : order)
    for (const auto& in : built.node(i).input())
      if (auto it = literal_group.find(in); it != literal_group.end() && !first_used[it->second])
        first_used[it->second] = &in;
  for (std::size_t g = 0; g < literals_.size(); ++g)
    for (const auto& name : literals_[g].names)
      if (first_used[g] && name != *first_used[g]) renames[name] = *first_used[g];

  // torch.onnx numbers values after the graph inputs: the image and every parameter tensor.
  const auto first_value_id = 1 + static_cast<std::int64_t>(parameters_.size());
  std::map<std::string, std::string> split_names;
  for (const auto& [placeholder, id] : split_constants_)
    split_names[placeholder] = "onnx::Split_" + std::to_string(first_value_id + id);
  auto final_name = [&](std::string name) {
    if (auto it = vanished_.find(name); it != vanished_.end()) name = it->second;
    if (auto it = renames.find(name); it != renames.end()) name = it->second;
    if (auto it = split_names.find(name); it != split_names.end()) name = it->second;
    return name;
  };

  GraphBuilder ordered(dialect_.opset, dialect_.ir_version);
  auto& graph = ordered.graph();
  *graph.mutable_input() = built.input();
  *graph.mutable_output() = built.output();
  for (auto init : built.initializer()) {
    init.set_name(final_name(init.name()));
    *graph.add_initializer() = std::move(init);
  }
  for (int i : order) {
    if (vanished_.count(built.node(i).name())) continue;
    auto node = built.node(i);
    for (auto& in : *node.mutable_input()) in = final_name(in);
    *graph.add_node() = std::move(node);
  }
  return Result{std::move(ordered.model()), parameters_};
}

}  // namespace yoloq::yolo
