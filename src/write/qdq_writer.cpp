#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <tuple>

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

onnx::NodeProto make_node(const std::string& op, const std::string& name, std::vector<std::string> inputs,
                          const std::string& output, std::optional<std::int64_t> axis = std::nullopt) {
  onnx::NodeProto n;
  n.set_op_type(op);
  n.set_name(name);
  for (auto& i : inputs) n.add_input(i);
  n.add_output(output);
  if (axis) {
    auto* a = n.add_attribute();
    a->set_name("axis");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(*axis);
  }
  return n;
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
  auto own_span = [&](const std::string& t) {
    const auto r = range_of(t);
    if (!uint8) return std::make_pair(-r.amax, r.amax);
    return std::make_pair(std::min(0.0f, std::max(r.min, -r.amax)), std::max(0.0f, std::min(r.max, r.amax)));
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

Model write_qdq_model(const Model& float_model, const QuantPlan& plan, const Ranges& ranges, const WriteOptions& options) {
  Model out = float_model;
  name_unnamed_nodes(out);
  auto& graph = out.graph();
  const GraphIndex index(float_model.graph());
  validate_plan(plan, index);
  check_write_options(float_model, plan, options);
  std::map<std::string, int> node_by_name;
  for (int i = 0; i < graph.node_size(); ++i) node_by_name[graph.node(i).name()] = i;

  std::set<std::string> used_names;
  for (const auto& n : graph.node())
    for (const auto& o : n.output()) used_names.insert(o);
  for (const auto& t : graph.initializer()) used_names.insert(t.name());
  for (const auto& v : graph.input()) used_names.insert(v.name());
  auto fresh = [&](const std::string& base) {
    std::string name = base;
    for (int k = 1; used_names.count(name); ++k) name = base + "_" + std::to_string(k);
    used_names.insert(name);
    return name;
  };
  auto replace_input = [&](const std::string& node, const std::string& from, const std::string& to) {
    auto* n = graph.mutable_node(node_by_name.at(node));
    for (auto& in : *n->mutable_input())
      if (in == from) in = to;
  };

  std::vector<onnx::NodeProto> new_nodes;
  std::vector<onnx::TensorProto> new_inits;
  const auto qparams = activation_qparams(plan, ranges);
  std::map<std::string, float> activation_scale;

  for (const auto& a : plan.activations) {
    const auto [scale, zero] = qparams.at(a.tensor);
    activation_scale[a.tensor] = scale;
    const std::string s = fresh(a.tensor + "_scale"), zp = fresh(a.tensor + "_zero_point");
    const std::string q = fresh(a.tensor + "_QuantizeLinear_Output"), dq = fresh(a.tensor + "_DequantizeLinear_Output");
    new_inits.push_back(scalar_float(s, scale));
    new_inits.push_back(zero_point(zp, plan.activation_type, zero));
    new_nodes.push_back(make_node("QuantizeLinear", a.tensor + "_QuantizeLinear", {a.tensor, s, zp}, q));
    new_nodes.push_back(make_node("DequantizeLinear", a.tensor + "_DequantizeLinear", {q, s, zp}, dq));
    for (const auto& c : a.consumers) replace_input(c, a.tensor, dq);
  }

  // A weight shared by several nodes is quantized once per axis.
  std::map<std::tuple<std::string, int, bool>, std::pair<std::string, std::vector<float>>> quantized_weights;
  std::set<std::string> replaced_weights;
  for (const auto& w : plan.weights) {
    auto key = std::make_tuple(w.tensor, w.axis, w.u8s8_pair_safe);
    if (!quantized_weights.count(key)) {
      const Tensor weight = to_tensor(*index.initializer(w.tensor));
      auto pc = quantize_per_channel(weight, w.axis, w.u8s8_pair_safe, "initializer '" + w.tensor + "'");
      Tensor scales(DType::Float32, {static_cast<std::int64_t>(pc.scales.size())});
      std::copy(pc.scales.begin(), pc.scales.end(), scales.values<float>().begin());
      const std::string s = fresh(w.tensor + "_scale"), zp = fresh(w.tensor + "_zero_point");
      const std::string dq = fresh(w.tensor + "_DequantizeLinear_Output");
      new_inits.push_back(to_proto(scales, s));
      new_inits.push_back(to_proto(Tensor(DType::Int8, scales.shape), zp));
      std::string dq_input;
      if (options.weights_qdq) {
        dq_input = fresh(w.tensor + "_QuantizeLinear_Output");
        new_nodes.push_back(make_node("QuantizeLinear", w.tensor + "_QuantizeLinear", {w.tensor, s, zp}, dq_input, w.axis));
      } else {
        dq_input = fresh(w.tensor + "_quantized");
        new_inits.push_back(to_proto(pc.values, dq_input));
      }
      new_nodes.push_back(make_node("DequantizeLinear", w.tensor + "_DequantizeLinear", {dq_input, s, zp}, dq, w.axis));
      quantized_weights[key] = {dq, pc.scales};
    }
    const auto& [dq, weight_scales] = quantized_weights[key];
    replace_input(w.node, w.tensor, dq);
    replaced_weights.insert(w.tensor);

    if (w.quantize_bias) {
      const auto& node = graph.node(node_by_name.at(w.node));
      const std::string input = index.node(static_cast<std::size_t>(node_by_name.at(w.node))).input(0);
      if (node.input_size() < 3 || !activation_scale.count(input))
        throw Error("plan: node '" + w.node + "' asks for an INT32 bias but its input is not quantized or it has no bias");
      const std::string bias_name = node.input(2);
      const Tensor bias = to_tensor(*index.initializer(bias_name));
      if (bias.dtype != DType::Float32 || bias.numel() != weight_scales.size())
        throw Error("node '" + w.node + "': bias '" + bias_name + "' does not match the weight's channels");
      Tensor q(DType::Int32, bias.shape), scales(DType::Float32, bias.shape);
      auto b = bias.values<float>();
      for (std::size_t c = 0; c < b.size(); ++c) {
        const float s = activation_scale[input] * weight_scales[c];
        scales.values<float>()[c] = s;
        const double v = std::nearbyint(static_cast<double>(b[c]) / s);
        q.values<std::int32_t>()[c] = static_cast<std::int32_t>(
            std::clamp(v, double(std::numeric_limits<std::int32_t>::min()), double(std::numeric_limits<std::int32_t>::max())));
      }
      const std::string qb = fresh(bias_name + "_" + w.node + "_quantized"), sb = fresh(bias_name + "_" + w.node + "_scale");
      const std::string zb = fresh(bias_name + "_" + w.node + "_zero_point"), dqb = fresh(bias_name + "_" + w.node + "_DequantizeLinear_Output");
      new_inits.push_back(to_proto(q, qb));
      new_inits.push_back(to_proto(scales, sb));
      new_inits.push_back(to_proto(Tensor(DType::Int32, bias.shape), zb));
      new_nodes.push_back(make_node("DequantizeLinear", bias_name + "_" + w.node + "_DequantizeLinear", {qb, sb, zb}, dqb, 0));
      replace_input(w.node, bias_name, dqb);
      replaced_weights.insert(bias_name);
    }
  }

  for (auto& n : new_nodes) *graph.add_node() = std::move(n);
  for (auto& t : new_inits) *graph.add_initializer() = std::move(t);
  // Float weights that no node reads any more are dropped: the INT8 copy replaces them.
  std::set<std::string> still_read;
  for (const auto& n : graph.node())
    for (const auto& i : n.input()) still_read.insert(i);
  for (const auto& o : graph.output()) still_read.insert(o.name());
  auto* inits = graph.mutable_initializer();
  inits->erase(std::remove_if(inits->begin(), inits->end(),
                              [&](const onnx::TensorProto& t) { return replaced_weights.count(t.name()) && !still_read.count(t.name()); }),
               inits->end());
  auto* inputs = graph.mutable_input();
  inputs->erase(std::remove_if(inputs->begin(), inputs->end(),
                               [&](const onnx::ValueInfoProto& v) { return replaced_weights.count(v.name()) && !still_read.count(v.name()); }),
                inputs->end());
  if (options.high_precision_fp16) convert_high_precision_to_fp16(out);
  sort_nodes(graph);
  raise_opset(out, kMinOpsetForPerChannel);
  out.path.clear();
  return out;
}

}  // namespace yoloq
