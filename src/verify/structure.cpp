// The structural part of verify: interface equality and what the Q/DQ nodes cover.
#include "yoloq/onnx/model_summary.hpp"
#include "yoloq/verify/verify.hpp"

namespace yoloq {

namespace {

std::string describe(const ValueInfo& v) {
  return v.name + " " + elem_type_name(v.elem_type) + " [" + shape_string(v.shape) + "]";
}

void compare_values(const std::string& kind, const std::vector<ValueInfo>& a,
                    const std::vector<ValueInfo>& b, std::vector<std::string>& differences) {
  if (a.size() != b.size())
    differences.push_back(kind + " count: float " + std::to_string(a.size()) + ", quantized " +
                          std::to_string(b.size()));
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    if (a[i].name != b[i].name || a[i].elem_type != b[i].elem_type || a[i].shape != b[i].shape)
      differences.push_back(kind + " " + std::to_string(i) + ": float " + describe(a[i]) +
                            ", quantized " + describe(b[i]));
}

}  // namespace

bool has_int8_activations(const Model& quant_model) {
  const GraphIndex index(quant_model.graph());
  for (std::size_t i = 0; i < index.node_count(); ++i) {
    const auto& node = index.node(i);
    if (node.op_type() != "QuantizeLinear" || node.input_size() < 3) continue;
    if (index.is_initializer(node.input(0))) continue;  // a weight's pair (--weights_qdq)
    const auto* zero_point = index.initializer(node.input(2));
    if (zero_point && zero_point->data_type() == onnx::TensorProto::INT8) return true;
  }
  return false;
}

void skip_speed_for_int8_activations(VerifyOptions& options, const Model& quant_model) {
  if (options.speed_runs <= 0 || !has_int8_activations(quant_model)) return;
  options.speed_runs = 0;
  options.speed_note = kTrtSpeedNote;
}

StructureReport compare_structure(const Model& float_model, const Model& quant_model) {
  StructureReport report;
  const GraphIndex float_index(float_model.graph()), quant_index(quant_model.graph());
  compare_values("input", float_index.inputs(), quant_index.inputs(), report.interface_differences);
  compare_values("output", float_index.outputs(), quant_index.outputs(),
                 report.interface_differences);

  for (std::size_t i = 0; i < quant_index.node_count(); ++i) {
    const auto& node = quant_index.node(i);
    if (node.op_type() == "DequantizeLinear")
      for (std::size_t consumer : quant_index.consumers(node.output(0)))
        ++report.dequantized_inputs_by_op[quant_index.node(consumer).op_type()];
  }
  const QdqStats quant_stats = qdq_stats(quant_model);
  report.weighted_ops = quant_stats.weighted_ops;
  report.quantize_linear = quant_stats.quantize_linear;
  report.dequantize_linear = quant_stats.dequantize_linear;
  report.int8_weight_bytes = quant_stats.int8_weight_bytes;
  report.float_weight_bytes = quant_stats.float_weight_bytes;
  report.float_model_weight_bytes = qdq_stats(float_model).float_weight_bytes;
  return report;
}

}  // namespace yoloq
