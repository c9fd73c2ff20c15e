// --high_precision_dtype fp16: after the Q/DQ pairs are written, whatever still computes in FP32
// is converted to FP16, as ModelOpt does for TensorRT: float initializers (the weights of float
// nodes, the Q/DQ scales, constants), Constant and Cast nodes, and every float activation. The
// graph's inputs and outputs keep FP32 behind a Cast, so callers see the same interface.
// Tensors that an operator requires in FP32 (Resize's roi and scales) stay FP32.
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "yoloq/support/error.hpp"
#include "yoloq/write/qdq_writer.hpp"

namespace yoloq {

namespace {

// IEEE binary16, round to nearest even; magnitudes past the largest finite half (65504) saturate
// there rather than becoming infinite, so a large float constant stays usable.
std::uint16_t to_half(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, sizeof x);
  const std::uint16_t sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  if (std::isnan(f)) return static_cast<std::uint16_t>(sign | 0x7e00u);
  const float a = std::fabs(f);
  if (a >= 65520.0f) return static_cast<std::uint16_t>(sign | 0x7bffu);  // rounds past 65504
  if (a < 6.103515625e-05f) {  // subnormal half: a multiple of 2^-24
    const auto m = static_cast<std::uint16_t>(std::nearbyint(a * 16777216.0f));
    return static_cast<std::uint16_t>(sign | m);
  }
  std::memcpy(&x, &a, sizeof x);
  std::uint32_t exponent = ((x >> 23) & 0xffu) - 127u + 15u;
  std::uint32_t mantissa = x & 0x7fffffu;
  // Round the 23-bit mantissa to 10 bits, half to even; a carry moves into the exponent.
  const std::uint32_t rest = mantissa & 0x1fffu;
  mantissa >>= 13;
  if (rest > 0x1000u || (rest == 0x1000u && (mantissa & 1u))) ++mantissa;
  if (mantissa == 0x400u) mantissa = 0, ++exponent;
  return static_cast<std::uint16_t>(sign | (exponent << 10) | mantissa);
}

Tensor to_half_tensor(const Tensor& t) {
  Tensor out(DType::Float16, t.shape);
  auto src = t.values<float>();
  auto* dst = reinterpret_cast<std::uint16_t*>(out.bytes.data());
  for (std::size_t i = 0; i < src.size(); ++i) dst[i] = to_half(src[i]);
  return out;
}

// (op type, input index) slots that ONNX requires in float32 whatever the data type.
bool float32_only_slot(const std::string& op, int input) {
  return (op == "Resize" && (input == 1 || input == 2)) || (op == "Upsample" && input == 1);
}

onnx::NodeProto cast_node(const std::string& name, const std::string& input, const std::string& output, std::int32_t to) {
  onnx::NodeProto cast;
  cast.set_op_type("Cast");
  cast.set_name(name);
  cast.add_input(input);
  cast.add_output(output);
  auto* a = cast.add_attribute();
  a->set_name("to");
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(to);
  return cast;
}

void set_elem_type(onnx::ValueInfoProto& v, std::int32_t type) {
  if (v.type().has_tensor_type()) v.mutable_type()->mutable_tensor_type()->set_elem_type(type);
}

}  // namespace

std::uint16_t float_to_half(float value) { return to_half(value); }

void convert_high_precision_to_fp16(Model& model) {
  if (model.opset() < kMinOpsetForFp16)
    throw Error("FP16 conversion needs opset 19 or later (FP16 Q/DQ scales); the model has opset " +
                std::to_string(model.opset()));
  auto& graph = model.graph();
  const GraphIndex index(graph);
  const auto types = infer_elem_types(index);
  auto is_float = [&](const std::string& t) { return is_float32(types, t); };

  // Float tensors read in a float32-only slot stay float32 (and so does their producer's output).
  std::set<std::string> keep_float32;
  for (const auto& node : graph.node())
    for (int k = 0; k < node.input_size(); ++k)
      if (float32_only_slot(node.op_type(), k) && !node.input(k).empty()) keep_float32.insert(node.input(k));
  for (const auto& t : keep_float32)
    if (auto p = index.producer(t); p && !index.is_initializer(t))
      throw Error("--high_precision_dtype fp16: '" + t + "' must stay float32 for " + "its reader, but it is computed by node '" +
                  index.node_name(*p) + "'; this model needs --high_precision_dtype fp32");

  for (auto& init : *graph.mutable_initializer()) {
    if (init.data_type() != onnx::TensorProto::FLOAT || keep_float32.count(init.name())) continue;
    init = to_proto(to_half_tensor(to_tensor(init)), init.name());
  }
  for (auto& node : *graph.mutable_node()) {
    if (node.op_type() == "Cast" && attribute_int(node, "to", 0) == onnx::TensorProto::FLOAT) {
      for (auto& a : *node.mutable_attribute())
        if (a.name() == "to") a.set_i(onnx::TensorProto::FLOAT16);
    }
    if (node.op_type() == "Constant" || node.op_type() == "ConstantOfShape") {
      for (auto& a : *node.mutable_attribute())
        if (a.name() == "value" && a.has_t() && a.t().data_type() == onnx::TensorProto::FLOAT &&
            !(node.output_size() > 0 && keep_float32.count(node.output(0))))
          *a.mutable_t() = to_proto(to_half_tensor(to_tensor(a.t())), a.t().name());
      for (const auto& a : node.attribute())
        if (a.name() != "value" && a.name().rfind("value_float", 0) == 0)
          throw Error("--high_precision_dtype fp16: node '" + node.name() + "' has a " + a.name() +
                      " attribute, which has no FP16 form; use --high_precision_dtype fp32");
    }
  }

  // The interface stays FP32: a Cast after each float input, a Cast before each float output.
  // Nodes read the FP16 copy of a graph input, and write (and read) an FP16 copy of a graph output.
  std::vector<onnx::NodeProto> input_casts;
  std::map<std::string, std::string> half_of;  // graph input or output -> its FP16 copy
  std::set<std::string> outputs_to_cast;
  for (const auto& in : graph.input()) {
    if (!is_float(in.name()) || index.is_initializer(in.name())) continue;
    half_of[in.name()] = in.name() + "_fp16";
    input_casts.push_back(cast_node(in.name() + "_CastToFp16", in.name(), half_of[in.name()], onnx::TensorProto::FLOAT16));
  }
  for (const auto& out : graph.output())
    if (is_float(out.name()) && !keep_float32.count(out.name())) {
      half_of[out.name()] = out.name() + "_fp16";
      outputs_to_cast.insert(out.name());
    }
  for (auto& node : *graph.mutable_node()) {
    for (auto& in : *node.mutable_input())
      if (auto it = half_of.find(in); it != half_of.end()) in = it->second;
    for (auto& o : *node.mutable_output())
      if (outputs_to_cast.count(o)) o = half_of[o];
  }
  for (const auto& out : outputs_to_cast)
    *graph.add_node() = cast_node(out + "_CastToFp32", half_of[out], out, onnx::TensorProto::FLOAT);
  // Input casts first, so the node list stays in topological order.
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (auto& c : input_casts) *nodes.Add() = std::move(c);
  for (auto& n : *graph.mutable_node()) *nodes.Add() = std::move(n);
  graph.mutable_node()->Swap(&nodes);

  // Intermediate shapes stay valid; their element types are now FP16 where they were FP32.
  for (auto& v : *graph.mutable_value_info())
    if (is_float(v.name()) && !keep_float32.count(v.name())) set_elem_type(v, onnx::TensorProto::FLOAT16);
}

}  // namespace yoloq
