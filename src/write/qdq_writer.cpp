#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <tuple>

#include "write/float_rewrites.hpp"
#include "write/graph_edit.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/write/qdq_writer.hpp"

namespace yoloq {

namespace {

constexpr std::int64_t kMinOpsetForPerChannel = 13;

onnx::TensorProto scalar_float(const std::string& name, float v) {
  Tensor t(DType::Float32, {});
  t.values<float>()[0] = v;
  return to_proto(t, name);
}

onnx::TensorProto zero_point(const std::string& name, ActivationType type, std::int32_t value) {
  if (type == ActivationType::Int8Symmetric) return to_proto(Tensor(DType::Int8, {}), name);
  Tensor t(DType::UInt8, {});
  t.values<std::uint8_t>()[0] = static_cast<std::uint8_t>(value);
  return to_proto(t, name);
}

// Reorders the nodes so producers come first; the file's order is kept wherever it is valid.
void sort_nodes(onnx::GraphProto& graph) {
  std::vector<std::size_t> order = GraphIndex(graph).topological_order();
  google::protobuf::RepeatedPtrField<onnx::NodeProto> sorted;
  for (auto i : order) *sorted.Add() = graph.node(static_cast<int>(i));
  graph.mutable_node()->Swap(&sorted);
}

void raise_opset(Model& model, std::int64_t minimum) {
  for (auto& o : *model.proto.mutable_opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") {
      if (o.version() < minimum) o.set_version(minimum);
      // ONNX IR version 7 introduced opset 13.
      if (model.proto.ir_version() < 7) model.proto.set_ir_version(7);
      return;
    }
  auto* o = model.proto.add_opset_import();
  o->set_version(minimum);
}

}  // namespace

std::map<std::string, ActivationQParams> activation_qparams(const QuantPlan& plan, const Ranges& ranges) {
  auto range_of = [&](const std::string& t) {
    auto it = ranges.tensors.find(t);
    if (it == ranges.tensors.end()) throw Error("no calibrated range for tensor '" + t + "'");
    const auto& r = it->second;
    if (!r.valid())
      throw Error("calibrated range for tensor '" + t + "' is not finite");
    return r;
  };
  // Per tensor: [lo, hi] for uint8, [-amax, amax] for int8; scale groups take the union.
  std::map<std::string, std::pair<float, float>> span;
  const bool uint8 = plan.activation_type == ActivationType::UInt8Asymmetric;
  // A range floor (QuantPlan::range_floors) raises a UINT8 span's low end.
  std::map<std::string, float> floor_of;
  for (const auto& f : plan.range_floors) floor_of[f.tensor] = f.min;
  auto own_span = [&](const std::string& t) {
    const auto r = range_of(t);
    if (!uint8) return std::make_pair(-r.amax, r.amax);
    float lo = std::min(0.0f, std::max(r.min, -r.amax));
    if (auto f = floor_of.find(t); f != floor_of.end()) lo = std::max(lo, std::min(0.0f, f->second));
    return std::make_pair(lo, std::max(0.0f, std::min(r.max, r.amax)));
  };
  for (const auto& a : plan.activations) span[a.tensor] = own_span(a.tensor);
  for (const auto& g : plan.scale_groups) {
    std::pair<float, float> u{0.0f, 0.0f};
    for (const auto& t : g.tensors) {
      auto s = own_span(t);
      u = {std::min(u.first, s.first), std::max(u.second, s.second)};
    }
    for (const auto& t : g.tensors)
      if (span.count(t)) span[t] = u;
  }
  std::map<std::string, ActivationQParams> out;
  for (const auto& [t, s] : span) {
    if (!uint8) {
      out[t] = {symmetric_scale(s.second), 0};
      continue;
    }
    const float scale = symmetric_scale((s.second - s.first) * 127.0f / 255.0f);  // (hi - lo) / 255
    const auto zp = static_cast<std::int32_t>(std::clamp(std::nearbyint(-s.first / scale), 0.0f, 255.0f));
    out[t] = {scale, zp};
  }
  return out;
}

void check_write_options(const Model& float_model, const QuantPlan& plan, const WriteOptions& options) {
  if (!options.high_precision_fp16) return;
  if (plan.target != Target::Trt)
    throw Error("--high_precision_dtype fp16 is for --target trt (ONNX Runtime's CPU kernels compute in FP32)");
  if (float_model.opset() < kMinOpsetForFp16)
    throw Error("--high_precision_dtype fp16 needs opset 19 or later (FP16 Q/DQ scales); the model has opset " +
                std::to_string(float_model.opset()));
}

namespace {

// One rewrite of a copy of the float model: Q/DQ nodes and quantized initializers are collected,
// then appended at once; names of new tensors and nodes are fresh.
class QdqRewriter {
 public:
  QdqRewriter(Model& out, const GraphIndex& float_index, const QuantPlan& plan, const WriteOptions& options)
      : graph_(out.graph()), index_(float_index), plan_(plan), options_(options), names_(graph_) {
    for (int i = 0; i < graph_.node_size(); ++i) node_by_name_[graph_.node(i).name()] = i;
  }

  void quantize_activation(const ActivationQuant& a, const ActivationQParams& q) {
    activation_scale_[a.tensor] = q.scale;
    const std::string s = fresh_tensor(a.tensor + "_scale"), zp = fresh_tensor(a.tensor + "_zero_point");
    const std::string qo = fresh_tensor(a.tensor + "_QuantizeLinear_Output");
    const std::string dq = fresh_tensor(a.tensor + "_DequantizeLinear_Output");
    new_inits_.push_back(scalar_float(s, q.scale));
    new_inits_.push_back(zero_point(zp, plan_.activation_type, q.zero_point));
    add_node("QuantizeLinear", a.tensor + "_QuantizeLinear", {a.tensor, s, zp}, qo);
    add_node("DequantizeLinear", a.tensor + "_DequantizeLinear", {qo, s, zp}, dq);
    for (const auto& c : a.consumers) replace_input(c, a.tensor, dq);
  }

  // A weight shared by several nodes is quantized once per axis.
  void quantize_weight(const WeightQuant& w) {
    auto key = std::make_tuple(w.tensor, w.axis, w.u8s8_pair_safe);
    if (!quantized_weights_.count(key)) quantized_weights_[key] = write_weight(w);
    const auto& [dq, weight_scales] = quantized_weights_[key];
    replace_input(w.node, w.tensor, dq);
    replaced_.insert(w.tensor);
    if (w.quantize_bias) quantize_bias(w, weight_scales);
  }

  void finish() {
    for (auto& n : new_nodes_) *graph_.add_node() = std::move(n);
    for (auto& t : new_inits_) *graph_.add_initializer() = std::move(t);
    drop_replaced_weights();
  }

 private:
  std::string fresh_tensor(const std::string& base) { return names_.tensor(base); }

  void add_node(const std::string& op, const std::string& name, std::vector<std::string> inputs,
                const std::string& output, std::optional<std::int64_t> axis = std::nullopt) {
    new_nodes_.push_back(make_node(op, names_.node(name), inputs, output, axis));
  }

  void replace_input(const std::string& node, const std::string& from, const std::string& to) {
    auto* n = graph_.mutable_node(node_by_name_.at(node));
    for (auto& in : *n->mutable_input())
      if (in == from) in = to;
  }

  // The weight's INT8 values (or its float values behind a QuantizeLinear) and DequantizeLinear;
  // returns the dequantized tensor's name and the per-channel scales.
  std::pair<std::string, std::vector<float>> write_weight(const WeightQuant& w) {
    const Tensor weight = to_tensor(*index_.initializer(w.tensor));
    auto pc = quantize_per_channel(weight, w.axis, w.u8s8_pair_safe, "initializer '" + w.tensor + "'");
    Tensor scales(DType::Float32, {static_cast<std::int64_t>(pc.scales.size())});
    std::copy(pc.scales.begin(), pc.scales.end(), scales.values<float>().begin());
    const std::string s = fresh_tensor(w.tensor + "_scale"), zp = fresh_tensor(w.tensor + "_zero_point");
    const std::string dq = fresh_tensor(w.tensor + "_DequantizeLinear_Output");
    new_inits_.push_back(to_proto(scales, s));
    new_inits_.push_back(to_proto(Tensor(DType::Int8, scales.shape), zp));
    std::string dq_input;
    if (options_.weights_qdq) {
      dq_input = fresh_tensor(w.tensor + "_QuantizeLinear_Output");
      add_node("QuantizeLinear", w.tensor + "_QuantizeLinear", {w.tensor, s, zp}, dq_input, w.axis);
    } else {
      dq_input = fresh_tensor(w.tensor + "_quantized");
      new_inits_.push_back(to_proto(pc.values, dq_input));
    }
    add_node("DequantizeLinear", w.tensor + "_DequantizeLinear", {dq_input, s, zp}, dq, w.axis);
    return {dq, pc.scales};
  }

  // INT32 bias with scale = input scale x weight scale per channel (ONNX Runtime's integer Conv).
  void quantize_bias(const WeightQuant& w, const std::vector<float>& weight_scales) {
    const auto& node = graph_.node(node_by_name_.at(w.node));
    const std::string input = index_.node(static_cast<std::size_t>(node_by_name_.at(w.node))).input(0);
    if (node.input_size() < 3 || !activation_scale_.count(input))
      throw Error("plan: node '" + w.node + "' asks for an INT32 bias but its input is not quantized or it has no bias");
    const std::string bias_name = node.input(2);
    const Tensor bias = to_tensor(*index_.initializer(bias_name));
    if (bias.dtype != DType::Float32 || bias.numel() != weight_scales.size())
      throw Error("node '" + w.node + "': bias '" + bias_name + "' does not match the weight's channels");
    Tensor q(DType::Int32, bias.shape), scales(DType::Float32, bias.shape);
    auto b = bias.values<float>();
    for (std::size_t c = 0; c < b.size(); ++c) {
      const float s = activation_scale_[input] * weight_scales[c];
      scales.values<float>()[c] = s;
      const double v = std::nearbyint(static_cast<double>(b[c]) / s);
      q.values<std::int32_t>()[c] = static_cast<std::int32_t>(std::clamp(
          v, double(std::numeric_limits<std::int32_t>::min()), double(std::numeric_limits<std::int32_t>::max())));
    }
    const std::string base = bias_name + "_" + w.node;
    const std::string qb = fresh_tensor(base + "_quantized"), sb = fresh_tensor(base + "_scale");
    const std::string zb = fresh_tensor(base + "_zero_point"), dqb = fresh_tensor(base + "_DequantizeLinear_Output");
    new_inits_.push_back(to_proto(q, qb));
    new_inits_.push_back(to_proto(scales, sb));
    new_inits_.push_back(to_proto(Tensor(DType::Int32, bias.shape), zb));
    add_node("DequantizeLinear", base + "_DequantizeLinear", {qb, sb, zb}, dqb, 0);
    replace_input(w.node, bias_name, dqb);
    replaced_.insert(bias_name);
  }

  // Float weights that no node reads any more are dropped: the INT8 copy replaces them.
  void drop_replaced_weights() {
    std::set<std::string> still_read;
    for (const auto& n : graph_.node())
      for (const auto& i : n.input()) still_read.insert(i);
    for (const auto& o : graph_.output()) still_read.insert(o.name());
    auto unread = [&](const std::string& name) { return replaced_.count(name) && !still_read.count(name); };
    auto* inits = graph_.mutable_initializer();
    inits->erase(std::remove_if(inits->begin(), inits->end(), [&](const onnx::TensorProto& t) { return unread(t.name()); }),
                 inits->end());
    auto* inputs = graph_.mutable_input();
    inputs->erase(
        std::remove_if(inputs->begin(), inputs->end(), [&](const onnx::ValueInfoProto& v) { return unread(v.name()); }),
        inputs->end());
  }

  onnx::GraphProto& graph_;
  const GraphIndex& index_;
  const QuantPlan& plan_;
  const WriteOptions& options_;
  FreshNames names_;
  std::map<std::string, int> node_by_name_;
  std::vector<onnx::NodeProto> new_nodes_;
  std::vector<onnx::TensorProto> new_inits_;
  std::map<std::string, float> activation_scale_;
  std::map<std::tuple<std::string, int, bool>, std::pair<std::string, std::vector<float>>> quantized_weights_;
  std::set<std::string> replaced_;
};

}  // namespace

Model write_qdq_model(const Model& float_model, const QuantPlan& plan, const Ranges& ranges, const WriteOptions& options) {
  Model out = float_model;
  name_unnamed_nodes(out);
  const GraphIndex index(float_model.graph());
  validate_plan(plan, index);
  check_write_options(float_model, plan, options);
  const auto qparams = activation_qparams(plan, ranges);
  QdqRewriter rewriter(out, index, plan, options);
  for (const auto& a : plan.activations) rewriter.quantize_activation(a, qparams.at(a.tensor));
  for (const auto& w : plan.weights) rewriter.quantize_weight(w);
  rewriter.finish();
  apply_float_rewrites(out, index, plan);
  if (options.high_precision_fp16) convert_high_precision_to_fp16(out);
  sort_nodes(out.graph());
  raise_opset(out, kMinOpsetForPerChannel);
  out.path.clear();
  return out;
}

}  // namespace yoloq
