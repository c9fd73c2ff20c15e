// Placement for ONNX Runtime's CPU execution provider. Its QDQ transformer fuses
// DequantizeLinear -> op -> QuantizeLinear into an integer kernel only when every float input
// and the output of the op are quantized, so here a tensor is quantized (for all its readers)
// whenever an op that has an integer kernel reads it. Conv and Gemm biases
// become INT32, which ONNX Runtime requires to fuse them.
#include <set>

#include "quant/plan_builder.hpp"

namespace yoloq::plan_detail {

namespace {
const std::set<std::string> kInt8Ops{"Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Mul", "Concat",
                                     "MaxPool", "AveragePool", "GlobalAveragePool", "Resize", "Sigmoid"};
const std::set<std::string> kWeighted{"Conv", "ConvTranspose", "Gemm", "MatMul"};

// SiLU exported as Mul(x, Sigmoid(x)): quantizing x, the Sigmoid and the product costs YOLO11n
// 8.7 mAP50-95 points on coco128 (0.411 vs 0.498), while a float SiLU between a quantized Conv
// output and a quantized SiLU output costs nothing measurable. So the Sigmoid and Mul of a SiLU
// stay float (rule ort-cpu.silu-float).
bool is_silu_part(const GraphIndex& index, std::size_t node) {
  const auto& n = index.node(node);
  if (n.op_type() == "Sigmoid") {
    for (std::size_t c : index.consumers(n.output(0)))
      if (index.node(c).op_type() == "Mul") {
        const auto& mul = index.node(c);
        if (mul.input_size() == 2 && (mul.input(0) == n.input(0) || mul.input(1) == n.input(0))) return true;
      }
    return false;
  }
  if (n.op_type() != "Mul" || n.input_size() != 2) return false;
  for (int k = 0; k < 2; ++k) {
    auto p = index.producer(n.input(k));
    if (p && index.node(*p).op_type() == "Sigmoid" && index.node(*p).input(0) == n.input(1 - k)) return true;
  }
  return false;
}
}  // namespace

void apply_ort_cpu_rules(PlanBuilder& b) {
  const auto& index = b.index();
  auto int8_op = [&](std::size_t i) {
    return b.eligible(i) && kInt8Ops.count(index.node(i).op_type()) && !is_silu_part(index, i);
  };
  std::set<std::string> tensors;
  for (const auto& in : index.inputs()) tensors.insert(in.name);
  for (std::size_t i = 0; i < index.node_count(); ++i)
    for (const auto& out : index.node(i).output()) tensors.insert(out);
  // A tensor is quantized when an integer kernel reads it. One that only float nodes read (the
  // boundary into a float YOLO head) stays float even though its producer then cannot fuse:
  // quantizing raw class logits to 256 levels collapses the scores (peers.md, pitfall 6).
  for (const auto& t : tensors) {
    if (!b.is_float_activation(t)) continue;
    bool read_by_int8 = false, read_by_silu = false;
    for (std::size_t c : index.consumers(t)) {
      read_by_int8 |= int8_op(c);
      read_by_silu |= b.eligible(c) && is_silu_part(index, c);
    }
    // A convolution's output feeding a float SiLU is still quantized so that the convolution
    // fuses into an integer kernel.
    auto p = index.producer(t);
    const bool conv_into_silu = read_by_silu && p && int8_op(*p) && kWeighted.count(index.node(*p).op_type());
    if (read_by_int8) b.quantize_for_all(t, "ort-cpu.qdq-around-int8-ops");
    else if (conv_into_silu) b.quantize_for_all(t, "ort-cpu.conv-output-before-silu");
  }
  for (std::size_t i = 0; i < index.node_count(); ++i) {
    if (!int8_op(i)) continue;
    const auto& node = index.node(i);
    const auto& op = node.op_type();
    if (op != "Conv" && op != "ConvTranspose" && op != "Gemm" && op != "MatMul") continue;
    for (int k = 0; k < node.input_size() && k < 2; ++k) {
      const auto* w = index.initializer(node.input(k));
      if (!w) continue;
      int axis = op == "MatMul" ? w->dims_size() - 1 : weight_axis(node, k);
      bool bias = op != "MatMul" && node.input_size() > 2 && index.is_initializer(node.input(2)) && b.is_quantized(node.input(0));
      if (axis >= 0) b.quantize_weight(i, k, axis, bias, "ort-cpu.weight-per-channel");
    }
  }
}

}  // namespace yoloq::plan_detail
