// Applies the plan's float rewrites (plan/float_rewrites.hpp) to the model being written.
#include "write/float_rewrites.hpp"

#include <algorithm>
#include <set>

#include "yoloq/plan/float_rewrites.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/tensor/tensor.hpp"

namespace yoloq {

namespace {

onnx::NodeProto node(const std::string& op, const std::string& name, std::vector<std::string> inputs,
                     const std::string& output) {
  onnx::NodeProto n;
  n.set_op_type(op);
  n.set_name(name);
  for (auto& i : inputs) n.add_input(i);
  n.add_output(output);
  return n;
}

void set_ints(onnx::NodeProto& n, const std::string& name, const std::vector<std::int64_t>& values) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (auto v : values) a->add_ints(v);
}

std::string fresh(std::set<std::string>& used, const std::string& base) {
  std::string name = base;
  for (int k = 1; used.count(name); ++k) name = base + "_" + std::to_string(k);
  used.insert(name);
  return name;
}

}  // namespace

void apply_float_rewrites(Model& out, const GraphIndex& float_index, const QuantPlan& plan) {
  if (plan.rewrites.empty()) return;
  auto& graph = out.graph();
  std::set<std::string> names, tensors;
  for (const auto& n : graph.node()) {
    names.insert(n.name());
    for (const auto& o : n.output()) tensors.insert(o);
  }
  for (const auto& t : graph.initializer()) tensors.insert(t.name());
  for (const auto& v : graph.input()) tensors.insert(v.name());
  std::set<std::string> removed, weights;
  std::vector<onnx::NodeProto> added;
  for (const auto& r : plan.rewrites) {
    if (r.kind != kDflLastAxisSoftmax) throw Error("plan: unknown rewrite kind '" + r.kind + "'");
    const auto softmax = r.nodes.size() == 3 ? float_index.find_node(r.nodes[1]) : std::nullopt;
    const auto dfl = softmax ? match_dfl(float_index, *softmax) : std::nullopt;
    if (!dfl || float_index.node_name(dfl->transpose) != r.nodes[0] || float_index.node_name(dfl->conv) != r.nodes[2])
      throw Error("plan: the " + r.kind + " rewrite needs a DFL's Transpose, Softmax and Conv, in that order");
    // Read the nodes from the model being written: a quantized input has its DequantizeLinear's name.
    auto written = [&](const std::string& name) -> const onnx::NodeProto& {
      for (const auto& n : graph.node())
        if (n.name() == name) return n;
      throw Error("plan: node '" + name + "' of the " + r.kind + " rewrite is not in the model");
    };
    const auto& transpose = written(r.nodes[0]);
    const auto& conv = written(r.nodes[2]);
    const std::string base = r.nodes[1] + "/last_axis";
    const Tensor weight = to_tensor(*float_index.initializer(float_index.node(dfl->conv).input(1)));
    Tensor bins(DType::Float32, {weight.shape[1], 1});  // [1, reg_max, 1, 1] as a [reg_max, 1] MatMul
    std::copy(weight.values<float>().begin(), weight.values<float>().end(), bins.values<float>().begin());
    const std::string bins_name = fresh(tensors, conv.input(1) + "_bins");
    *graph.add_initializer() = to_proto(bins, bins_name);
    const std::string last = fresh(tensors, base + "/Transpose_output_0");
    const std::string probabilities = fresh(tensors, base + "/Softmax_output_0");
    const std::string expectation = fresh(tensors, base + "/MatMul_output_0");
    auto to_last = node("Transpose", fresh(names, base + "/Transpose"), {transpose.input(0)}, last);
    set_ints(to_last, "perm", {0, 1, 3, 2});  // [B, 4, reg_max, A] -> [B, 4, A, reg_max]
    auto softmax_last = node("Softmax", fresh(names, base + "/Softmax"), {last}, probabilities);
    auto* axis = softmax_last.add_attribute();
    axis->set_name("axis");
    axis->set_type(onnx::AttributeProto::INT);
    axis->set_i(-1);
    auto matmul = node("MatMul", fresh(names, base + "/MatMul"), {probabilities, bins_name}, expectation);
    auto back = node("Transpose", fresh(names, base + "/Transpose_1"), {expectation}, conv.output(0));
    set_ints(back, "perm", {0, 3, 1, 2});  // [B, 4, A, 1] -> the Conv's [B, 1, 4, A]
    for (auto* n : {&to_last, &softmax_last, &matmul, &back}) added.push_back(std::move(*n));
    removed.insert(r.nodes.begin(), r.nodes.end());
    weights.insert(conv.input(1));
  }
  auto* nodes = graph.mutable_node();
  nodes->erase(std::remove_if(nodes->begin(), nodes->end(),
                              [&](const onnx::NodeProto& n) { return removed.count(n.name()) > 0; }),
               nodes->end());
  for (auto& n : added) *graph.add_node() = std::move(n);
  // The DFL Convs' weights are read by nothing now (the MatMuls read copies).
  std::set<std::string> read;
  for (const auto& n : graph.node())
    for (const auto& i : n.input()) read.insert(i);
  auto* inits = graph.mutable_initializer();
  inits->erase(std::remove_if(inits->begin(), inits->end(),
                              [&](const onnx::TensorProto& t) { return weights.count(t.name()) && !read.count(t.name()); }),
               inits->end());
}

}  // namespace yoloq
