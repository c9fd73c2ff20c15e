// Applies the plan's float rewrites (plan/float_rewrites.hpp) to the model being written.
#include "write/float_rewrites.hpp"

#include <algorithm>
#include <set>

#include "write/graph_edit.hpp"
#include "yoloq/plan/float_rewrites.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/tensor/tensor.hpp"

namespace yoloq {

namespace {

// One pass over the written model: each rewrite removes its nodes and collects their
// replacements; finish() puts them in and drops the constants only the removed nodes read.
class FloatRewriter {
 public:
  FloatRewriter(Model& out, const GraphIndex& float_index, const QuantPlan& plan)
      : graph_(out.graph()), index_(float_index), plan_(plan), names_(graph_) {}

  void apply(const FloatRewrite& r) {
    if (r.kind == kDflLastAxisSoftmax)
      rewrite_dfl(r);
    else if (r.kind == kBranchesJoinedApart)
      rewrite_branch_join(r);
    else
      throw Error("plan: unknown rewrite kind '" + r.kind + "'");
    removed_.insert(r.nodes.begin(), r.nodes.end());
  }

  void finish() {
    auto* nodes = graph_.mutable_node();
    nodes->erase(std::remove_if(nodes->begin(), nodes->end(),
                                [&](const onnx::NodeProto& n) { return removed_.count(n.name()) > 0; }),
                 nodes->end());
    for (auto& n : added_) *graph_.add_node() = std::move(n);
    std::set<std::string> read;
    for (const auto& n : graph_.node())
      for (const auto& i : n.input()) read.insert(i);
    auto* inits = graph_.mutable_initializer();
    inits->erase(std::remove_if(inits->begin(), inits->end(),
                                [&](const onnx::TensorProto& t) { return dropped_.count(t.name()) && !read.count(t.name()); }),
                 inits->end());
  }

 private:
  // A node as written: a quantized input reads its DequantizeLinear's output there.
  const onnx::NodeProto& written(const FloatRewrite& r, const std::string& name) const {
    for (const auto& n : graph_.node())
      if (n.name() == name) return n;
    throw Error("plan: node '" + name + "' of the " + r.kind + " rewrite is not in the model");
  }

  void add(onnx::NodeProto node) { added_.push_back(std::move(node)); }

  void rewrite_dfl(const FloatRewrite& r) {
    const auto softmax = r.nodes.size() == 3 ? index_.find_node(r.nodes[1]) : std::nullopt;
    const auto dfl = softmax ? match_dfl(index_, *softmax) : std::nullopt;
    if (!dfl || index_.node_name(dfl->transpose) != r.nodes[0] || index_.node_name(dfl->conv) != r.nodes[2])
      throw Error("plan: the " + r.kind + " rewrite needs a DFL's Transpose, Softmax and Conv, in that order");
    const auto& transpose = written(r, r.nodes[0]);
    const auto& conv = written(r, r.nodes[2]);
    const std::string base = r.nodes[1] + "/last_axis";
    const Tensor weight = to_tensor(*index_.initializer(index_.node(dfl->conv).input(1)));
    Tensor bins(DType::Float32, {weight.shape[1], 1});  // [1, reg_max, 1, 1] as a [reg_max, 1] MatMul
    std::copy(weight.values<float>().begin(), weight.values<float>().end(), bins.values<float>().begin());
    const std::string bins_name = names_.tensor(conv.input(1) + "_bins");
    *graph_.add_initializer() = to_proto(bins, bins_name);
    const std::string last = names_.tensor(base + "/Transpose_output_0");
    const std::string probabilities = names_.tensor(base + "/Softmax_output_0");
    const std::string expectation = names_.tensor(base + "/MatMul_output_0");
    auto to_last = make_node("Transpose", names_.node(base + "/Transpose"), {transpose.input(0)}, last);
    set_ints(to_last, "perm", {0, 1, 3, 2});  // [B, 4, reg_max, A] -> [B, 4, A, reg_max]
    add(std::move(to_last));
    add(make_node("Softmax", names_.node(base + "/Softmax"), {last}, probabilities, -1));
    add(make_node("MatMul", names_.node(base + "/MatMul"), {probabilities, bins_name}, expectation));
    auto back = make_node("Transpose", names_.node(base + "/Transpose_1"), {expectation}, conv.output(0));
    set_ints(back, "perm", {0, 3, 1, 2});  // [B, 4, A, 1] -> the Conv's [B, 1, 4, A]
    add(std::move(back));
    dropped_.insert(conv.input(1));  // the MatMul reads a copy
  }

  void rewrite_branch_join(const FloatRewrite& r) {
    const auto split = r.nodes.empty() ? std::nullopt : index_.find_node(r.nodes.back());
    const auto join = split ? match_branch_join(index_, *split) : std::nullopt;
    if (!join || branch_join_node_names(index_, *join) != r.nodes)
      throw Error("plan: the " + r.kind + " rewrite needs each level's Concat and Reshape, the anchors' Concat and "
                  "the Split of a detection head, in that order");
    // Its inner tensors disappear, so none of them may carry a Q/DQ pair.
    std::vector<std::string> inner{index_.node(join->anchors_concat).output(0)};
    for (std::size_t l = 0; l < join->reshapes.size(); ++l) {
      inner.push_back(index_.node(join->level_concats[l]).output(0));
      inner.push_back(index_.node(join->reshapes[l]).output(0));
    }
    for (const auto& a : plan_.activations)
      if (std::find(inner.begin(), inner.end(), a.tensor) != inner.end())
        throw Error("plan: the " + r.kind + " rewrite removes tensor '" + a.tensor + "', which the plan quantizes");
    const auto& split_node = written(r, r.nodes.back());
    const std::int64_t axis = attribute_int(index_.node(join->anchors_concat), "axis", 2);
    for (std::size_t k = 0; k < join->channels.size(); ++k) {
      Tensor shape(DType::Int64, {3});
      auto s = shape.values<std::int64_t>();
      s[0] = join->batch, s[1] = join->channels[k], s[2] = -1;
      const std::string shape_name = names_.tensor(split_node.output(static_cast<int>(k)) + "_level_shape");
      *graph_.add_initializer() = to_proto(shape, shape_name);
      std::vector<std::string> levels;
      for (std::size_t l = 0; l < join->level_concats.size(); ++l) {
        const auto& concat = written(r, index_.node_name(join->level_concats[l]));
        const std::string level = names_.tensor(concat.input(static_cast<int>(k)) + "_anchors");
        add(make_node("Reshape", names_.node(index_.node_name(join->reshapes[l]) + "/branch_" + std::to_string(k)),
                      {concat.input(static_cast<int>(k)), shape_name}, level));
        levels.push_back(level);
      }
      add(make_node("Concat", names_.node(index_.node_name(join->anchors_concat) + "/branch_" + std::to_string(k)),
                    levels, split_node.output(static_cast<int>(k)), axis));
    }
    for (auto l : join->reshapes) dropped_.insert(index_.node(l).input(1));
    if (split_node.input_size() > 1) dropped_.insert(split_node.input(1));
  }

  onnx::GraphProto& graph_;
  const GraphIndex& index_;
  const QuantPlan& plan_;
  FreshNames names_;
  std::set<std::string> removed_, dropped_;
  std::vector<onnx::NodeProto> added_;
};

}  // namespace

void apply_float_rewrites(Model& out, const GraphIndex& float_index, const QuantPlan& plan) {
  if (plan.rewrites.empty()) return;
  FloatRewriter rewriter(out, float_index, plan);
  for (const auto& r : plan.rewrites) rewriter.apply(r);
  rewriter.finish();
}

}  // namespace yoloq
