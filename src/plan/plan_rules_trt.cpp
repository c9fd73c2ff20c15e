// Placement for TensorRT explicit quantization (see docs/placement.md for the reasoning):
// quantize the inputs of weighted ops, never their outputs; the residual input of a skip Add;
// pools and resizes next to quantized tensors; Concat inputs and output share one scale.
#include <set>

#include "plan/plan_builder.hpp"
#include "yoloq/onnx/model_summary.hpp"

namespace yoloq::plan_detail {

namespace {

const std::set<std::string> kScalePreserving{"MaxPool", "AveragePool", "GlobalAveragePool", "Resize"};

bool produced_by_weighted(const PlanBuilder& b, const std::string& tensor) {
  auto p = b.index().producer(tensor);
  return p && is_weighted_op(b.index().node(*p).op_type()) && b.eligible(*p);
}

// TensorRT fuses a pointwise tail into the convolution that feeds it. YOLO11 exports SiLU as
// Mul(x, Sigmoid(x)) after a BN-folded Conv, which ModelOpt's residual detection (it looks for
// BN or Relu) misses; here Conv -> Sigmoid -> Mul counts as one fusible convolution.
bool is_fusible_conv_output(const PlanBuilder& b, const std::string& tensor) {
  if (produced_by_weighted(b, tensor)) return true;
  auto p = b.index().producer(tensor);
  if (!p) return false;
  const auto& mul = b.index().node(*p);
  if (mul.op_type() != "Mul" || mul.input_size() != 2) return false;
  for (int k = 0; k < 2; ++k) {
    const std::string& x = mul.input(k);
    auto s = b.index().producer(mul.input(1 - k));
    if (s && b.index().node(*s).op_type() == "Sigmoid" && b.index().node(*s).input(0) == x && produced_by_weighted(b, x))
      return true;
  }
  return false;
}

void quantize_weighted_inputs(PlanBuilder& b, std::size_t i) {
  const auto& node = b.index().node(i);
  for (int k = 0; k < node.input_size(); ++k) {
    const std::string& in = node.input(k);
    if (in.empty()) continue;
    bool is_bias = (node.op_type() == "Conv" || node.op_type() == "ConvTranspose" || node.op_type() == "Gemm") && k == 2;
    if (is_bias) continue;  // TensorRT keeps the bias in float
    if (const auto* w = b.index().initializer(in)) {
      int axis = node.op_type() == "MatMul" ? w->dims_size() - 1 : weight_axis(node, k);
      if (axis >= 0) b.quantize_weight(i, k, axis, false, "trt.weight-per-channel");
    } else if (b.is_float_activation(in)) {
      b.quantize_for(in, i, "trt.weighted-op-input");
    }
  }
}

// A skip connection: quantize the input that does not come from the convolution TensorRT fuses
// the Add into. The fused side is a convolution (chain) whose only reader is this Add.
void quantize_residual_add(PlanBuilder& b, std::size_t i) {
  const auto& node = b.index().node(i);
  if (node.input_size() != 2) return;
  const std::string &a = node.input(0), &c = node.input(1);
  if (!b.is_float_activation(a) || !b.is_float_activation(c)) return;
  auto fusible = [&](const std::string& t) { return is_fusible_conv_output(b, t) && b.index().consumers(t).size() == 1; };
  bool fa = fusible(a), fc = fusible(c);
  if (!fa && !fc) return;
  b.quantize_for(fa ? c : a, i, "trt.residual-add-input");
}

}  // namespace

void apply_trt_rules(PlanBuilder& b) {
  const auto& index = b.index();
  for (std::size_t i : index.topological_order()) {
    if (!b.eligible(i)) continue;
    const auto& op = index.node(i).op_type();
    if (is_weighted_op(op)) quantize_weighted_inputs(b, i);
    if (op == "Add") quantize_residual_add(b, i);
  }
  // Propagate upstream until nothing changes: a Concat whose output is quantized gets its inputs
  // quantized in one scale group (TensorRT then removes the Concat); a pool or resize next to a
  // quantized tensor runs in INT8 and keeps its input's scale.
  const auto& order = index.topological_order();
  for (bool changed = true; changed;) {
    changed = false;
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      std::size_t i = *it;
      if (!b.eligible(i)) continue;
      const auto& node = index.node(i);
      if (node.output_size() < 1) continue;
      const std::string& out = node.output(0);
      if (node.op_type() == "Concat" && b.is_quantized(out)) {
        for (const auto& in : node.input()) {
          if (!b.is_float_activation(in)) continue;
          changed |= b.quantize_for(in, i, "trt.concat-input");
          b.share_scale(in, out, "trt.concat-shared-scale");
        }
      } else if (kScalePreserving.count(node.op_type()) && b.is_float_activation(node.input(0))) {
        const std::string& in = node.input(0);
        if (b.is_quantized(out) || b.is_quantized(in)) {
          changed |= b.quantize_for(in, i, "trt.pool-resize-int8");
          if (b.is_quantized(out)) b.share_scale(in, out, "trt.pool-resize-shared-scale");
        }
      }
    }
  }
}

}  // namespace yoloq::plan_detail
