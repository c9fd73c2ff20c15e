// Placement for ONNX Runtime's CPU execution provider (see docs/placement.md). Its QDQ transformer
// turns `DequantizeLinear -> op -> QuantizeLinear` into an integer kernel in two ways:
//  - integer kernels (QLinearConv, QLinearAdd, QLinearConcat, QLinearSigmoid, ...): every float
//    input and the output must be quantized; scales may differ;
//  - data movement (Split, Reshape, Transpose, MaxPool, Resize, ...): the Q/DQ pair is dropped
//    and the op runs on the UINT8 data, but only when input and outputs have the same scale.
// So an eligible op of either kind gets its inputs and its outputs quantized, and a data-movement
// op's input and outputs form one scale group. The exception is the float boundary: a tensor that
// a float node (a YOLO head kept in high precision) or the graph output reads exactly is never
// quantized, and an integer kernel that writes one runs in float (with float weights) rather than
// as a quantized input feeding a float op, which would only add error. Gemm and MatMul are the
// exception to the exception: ONNX Runtime has integer kernels with a float output for them.
#include <set>
#include <vector>

#include "plan/plan_builder.hpp"

namespace yoloq::plan_detail {

const std::set<std::string>& ort_cpu_integer_kernels() {
  static const std::set<std::string> ops{"Conv",   "Gemm",        "MatMul",           "Add",       "Mul",
                                         "Concat", "Sigmoid",     "AveragePool",      "GlobalAveragePool",
                                         "Where",  "LeakyRelu"};
  return ops;
}

const std::set<std::string>& ort_cpu_data_movement() {
  static const std::set<std::string> ops{"Split",   "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten",
                                         "Slice",   "Gather",  "Expand",    "Tile",    "MaxPool",   "Resize"};
  return ops;
}

namespace {

const std::set<std::string> kFloatOutputOk{"Gemm", "MatMul"};

// At most this many input channels make a convolution of the image faster in float.
constexpr std::int64_t kImageConvMaxChannels = 4;

// The low end of a SiLU input's UINT8 range. Below -6, x * sigmoid(x) is within 0.015 of 0
// (6 * sigmoid(-6) = 0.0148), so clipping there changes the SiLU's output by less than one UINT8
// step of most of YOLO11n's SiLU outputs (0.015 to 0.27), while the method's threshold, taken on
// |x|, leaves 61 of its 76 SiLU inputs a low end below -6 (down to -75). Their steps shrink by
// 1.21x on average, up to 1.9x. coco128 mAP50-95 0.4862 to 0.4916 (calibrated on 111, all 126
// images) and 0.4820 to 0.4909 on 63 unseen (-0.10 and -0.46 on two other 63/63 splits, within
// their noise); -4 to -8 were measured, -6 best in 3 of 4 calibration subsets
// (bench/results/accuracy.md).
constexpr float kSiluInputFloor = -6.0f;

// The convolution that reads the float image (YOLO's first layer: 3 channels, 3x3, stride 2) and
// its SiLU stay float; quantization starts at the SiLU's output. ONNX Runtime's integer kernel
// runs a 3-channel convolution as an im2col GEMM with 27-deep rows, which VNNI cannot fill: on
// YOLO11n at 640 it took 3.5 ms of a 34.7 ms INT8 run (one thread, kernel sums), where the float
// NCHWc convolution takes 1.4 ms and ONNX Runtime fuses the float SiLU into one QuickGelu
// (0.7 ms). With the image's QuantizeLinear gone the run takes 1.9 ms less
// (bench/results/ort-cpu-speed.md), and the image keeps its full precision. Only where a
// convolution that can run in INT8 reads the result: a model that is little more than this
// convolution stays quantized as before.
void keep_image_conv_float(PlanBuilder& b) {
  const auto& index = b.index();
  for (std::size_t i = 0; i < index.node_count(); ++i) {
    const auto& conv = index.node(i);
    if (!b.eligible(i) || conv.op_type() != "Conv" || conv.input_size() < 2 || !index.is_graph_input(conv.input(0)))
      continue;
    const auto* w = index.initializer(conv.input(1));
    if (!w || w->dims_size() < 2 || w->dims(1) * attribute_int(conv, "group", 1) > kImageConvMaxChannels) continue;
    // Its SiLU, x * Sigmoid(x): both integer kernels otherwise, which would quantize the
    // convolution's output only to read it back.
    std::vector<std::size_t> silu;
    const auto& readers = index.consumers(conv.output(0));
    for (std::size_t s : readers) {
      if (readers.size() != 2 || index.node(s).op_type() != "Sigmoid") continue;
      const std::size_t m = readers[0] == s ? readers[1] : readers[0];
      const auto& sigmoid_readers = index.consumers(index.node(s).output(0));
      if (index.node(m).op_type() == "Mul" && sigmoid_readers.size() == 1 && sigmoid_readers[0] == m &&
          b.eligible(s) && b.eligible(m))
        silu = {s, m};
    }
    const std::string& result = silu.empty() ? conv.output(0) : index.node(silu[1]).output(0);
    bool integer_conv_follows = false;
    for (std::size_t r : index.consumers(result)) {
      const auto& next = index.node(r);
      bool writes_graph_output = false;
      for (const auto& o : next.output()) writes_graph_output |= index.is_graph_output(o);
      integer_conv_follows |= b.eligible(r) && next.op_type() == "Conv" && !writes_graph_output;
    }
    if (!integer_conv_follows) continue;
    b.make_float(i, "ort-cpu.float-image-conv");
    for (std::size_t n : silu) b.make_float(n, "ort-cpu.float-image-conv");
  }
}

// A quantized tensor whose only readers are one SiLU, x * Sigmoid(x), both integer kernels.
bool read_only_by_silu(const PlanBuilder& b, const std::vector<bool>& integer, const std::string& t) {
  const auto& index = b.index();
  const auto& readers = index.consumers(t);
  if (readers.size() != 2 || index.is_graph_output(t)) return false;
  for (std::size_t s : readers) {
    if (index.node(s).op_type() != "Sigmoid") continue;
    const std::size_t m = readers[0] == s ? readers[1] : readers[0];
    const auto& sigmoid_readers = index.consumers(index.node(s).output(0));
    if (index.node(m).op_type() == "Mul" && sigmoid_readers.size() == 1 && sigmoid_readers[0] == m &&
        integer[s] && integer[m])
      return true;
  }
  return false;
}

}  // namespace

void apply_ort_cpu_rules(PlanBuilder& b) {
  const auto& index = b.index();
  const auto& kernels = ort_cpu_integer_kernels();
  const auto& movers = ort_cpu_data_movement();
  keep_image_conv_float(b);
  // A tensor at the float boundary: a graph output, or read by a node that stays float.
  auto at_float_boundary = [&](const std::string& t) {
    if (index.is_graph_output(t)) return true;
    for (std::size_t c : index.consumers(t))
      if (!b.eligible(c)) return true;
    return false;
  };
  std::vector<bool> integer(index.node_count(), false);
  for (std::size_t i = 0; i < index.node_count(); ++i) {
    if (!b.eligible(i)) continue;
    const auto& node = index.node(i);
    const auto& op = node.op_type();
    if (!kernels.count(op) && !movers.count(op)) continue;
    bool output_can_be_quantized = true;
    for (const auto& out : node.output())
      output_can_be_quantized &= !b.is_float_activation(out) || !at_float_boundary(out);
    integer[i] = output_can_be_quantized || kFloatOutputOk.count(op);
    if (!integer[i]) b.keep_float(i, "ort-cpu.float-boundary");
  }
  for (std::size_t i = 0; i < index.node_count(); ++i) {
    if (!integer[i]) continue;
    const auto& node = index.node(i);
    const bool mover = movers.count(node.op_type()) > 0;
    // A data-movement op only carries data on its first input (the rest are shapes and indices).
    const int data_inputs = mover ? 1 : node.input_size();
    for (int k = 0; k < data_inputs; ++k)
      if (b.is_float_activation(node.input(k))) b.quantize_for(node.input(k), i, "ort-cpu.integer-op-input");
    for (const auto& out : node.output()) {
      if (!b.is_float_activation(out) || at_float_boundary(out)) continue;
      b.quantize_for_all(out, "ort-cpu.integer-op-output");
      if (mover && b.is_float_activation(node.input(0))) b.share_scale(node.input(0), out, "ort-cpu.data-movement-same-scale");
      // A Concat whose inputs have the output's scale copies bytes; with other scales
      // QLinearConcat requantizes every input value, a second rounding. On YOLO11n one scale
      // per Concat took its QLinearConcats from 2.1 to 0.8 ms per run (one thread) and raised
      // coco128 mAP50-95 from 0.4786 to 0.4859 (box SNR 29.1 to 31.9 dB), as trt's Concat groups.
      if (node.op_type() == "Concat")
        for (const auto& in : node.input())
          if (b.is_float_activation(in)) b.share_scale(in, out, "ort-cpu.concat-same-scale");
    }
    const auto& op = node.op_type();
    if (op != "Conv" && op != "Gemm" && op != "MatMul") continue;
    for (int k = 0; k < node.input_size() && k < 2; ++k) {
      const auto* w = index.initializer(node.input(k));
      if (!w) continue;
      int axis = op == "MatMul" ? w->dims_size() - 1 : weight_axis(node, k);
      bool bias = op != "MatMul" && node.input_size() > 2 && index.is_initializer(node.input(2)) && b.is_quantized(node.input(0));
      // Depthwise convolutions have their own kernel, which widens to 32 bits before adding.
      const bool depthwise = op == "Conv" && w->dims_size() >= 3 && w->dims(1) == 1 && attribute_int(node, "group", 1) > 1;
      const bool pair_safe = !depthwise && (op == "Conv" || w->dims_size() == 2);
      if (axis >= 0) b.quantize_weight(i, k, axis, bias, "ort-cpu.weight-per-channel", pair_safe);
    }
  }
  // A SiLU's input keeps its UINT8 steps for the values the SiLU does not flatten.
  for (std::size_t i = 0; i < index.node_count(); ++i) {
    if (!integer[i]) continue;
    for (const auto& out : index.node(i).output())
      if (b.is_quantized(out) && read_only_by_silu(b, integer, out))
        b.floor_range(out, kSiluInputFloor, "ort-cpu.silu-input-floor");
  }
}

}  // namespace yoloq::plan_detail
