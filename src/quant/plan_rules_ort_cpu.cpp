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
}  // namespace

void apply_ort_cpu_rules(PlanBuilder& b) {
  const auto& index = b.index();
  auto int8_op = [&](std::size_t i) { return b.eligible(i) && kInt8Ops.count(index.node(i).op_type()); };
  std::set<std::string> tensors;
  for (const auto& in : index.inputs()) tensors.insert(in.name);
  for (std::size_t i = 0; i < index.node_count(); ++i)
    for (const auto& out : index.node(i).output()) tensors.insert(out);
  // A tensor is quantized when an integer kernel reads it. One that only float nodes read (the
  // boundary into a float YOLO head) stays float even though its producer then cannot fuse:
  // quantizing raw class logits to 256 levels collapses the scores (peers.md, pitfall 6).
  for (const auto& t : tensors) {
    if (!b.is_float_activation(t)) continue;
    bool read_by_int8 = false;
    for (std::size_t c : index.consumers(t)) read_by_int8 |= int8_op(c);
    if (read_by_int8) b.quantize_for_all(t, "ort-cpu.qdq-around-int8-ops");
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
