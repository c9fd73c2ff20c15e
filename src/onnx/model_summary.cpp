#include "yoloq/onnx/model_summary.hpp"

#include <sstream>

namespace yoloq {

namespace {

std::size_t initializer_bytes(const onnx::TensorProto& t) {
  if (t.has_raw_data()) return t.raw_data().size();
  return static_cast<std::size_t>(t.float_data_size()) * 4 + static_cast<std::size_t>(t.int32_data_size()) * 4 +
         static_cast<std::size_t>(t.int64_data_size()) * 8 + static_cast<std::size_t>(t.double_data_size()) * 8;
}

nlohmann::json value_json(const ValueInfo& v) {
  return {{"name", v.name}, {"type", elem_type_name(v.elem_type)}, {"shape", v.shape}};
}

std::string value_text(const ValueInfo& v) {
  return v.name + " " + elem_type_name(v.elem_type) + " [" + shape_string(v.shape) + "]";
}

bool fed_by_dequantize(const GraphIndex& index, const onnx::NodeProto& node, int input) {
  if (node.input_size() <= input || node.input(input).empty()) return false;
  const auto producer = index.producer(node.input(input));
  return producer && index.node(*producer).op_type() == "DequantizeLinear";
}

}  // namespace

bool is_weighted_op(const std::string& op_type) {
  return op_type == "Conv" || op_type == "ConvTranspose" || op_type == "Gemm" || op_type == "MatMul";
}

WeightedOpCount QdqStats::weighted_total() const {
  WeightedOpCount total;
  for (const auto& [op, count] : weighted_ops) {
    total.total += count.total;
    total.quantized += count.quantized;
  }
  return total;
}

QdqStats qdq_stats(const Model& model) {
  QdqStats s;
  const GraphIndex index(model.graph());
  for (std::size_t i = 0; i < index.node_count(); ++i) {
    const auto& node = index.node(i);
    if (!is_weighted_op(node.op_type())) continue;
    auto& count = s.weighted_ops[node.op_type()];
    ++count.total;
    if (fed_by_dequantize(index, node, 0) && fed_by_dequantize(index, node, 1)) ++count.quantized;
  }
  for (const auto& n : model.graph().node()) {
    if (n.op_type() == "QuantizeLinear") ++s.quantize_linear;
    if (n.op_type() == "DequantizeLinear") ++s.dequantize_linear;
  }
  for (const auto& t : model.graph().initializer()) {
    std::size_t numel = 1;
    for (auto d : t.dims()) numel *= static_cast<std::size_t>(d);
    bool int8 = t.data_type() == onnx::TensorProto::INT8 || t.data_type() == onnx::TensorProto::UINT8;
    bool flt = t.data_type() == onnx::TensorProto::FLOAT || t.data_type() == onnx::TensorProto::FLOAT16;
    // Scalars (zero points) are not weights.
    if (int8 && numel > 1) {
      ++s.int8_weight_initializers;
      s.int8_weight_bytes += initializer_bytes(t);
    } else if (flt && numel > 1) {
      s.float_weight_bytes += initializer_bytes(t);
    }
  }
  return s;
}

ModelSummary summarize(const Model& model) {
  GraphIndex index(model.graph());
  ModelSummary s;
  s.ir_version = model.proto.ir_version();
  for (const auto& o : model.proto.opset_import()) s.opsets[o.domain() == "ai.onnx" ? "" : o.domain()] = o.version();
  s.producer_name = model.proto.producer_name();
  s.producer_version = model.proto.producer_version();
  s.inputs = index.inputs();
  s.outputs = index.outputs();
  s.node_count = index.node_count();
  s.op_histogram = index.op_histogram();
  s.initializer_count = static_cast<std::size_t>(model.graph().initializer_size());
  for (const auto& t : model.graph().initializer()) s.initializer_bytes += initializer_bytes(t);
  s.qdq = qdq_stats(model);
  return s;
}

nlohmann::json to_json(const ModelSummary& s) {
  nlohmann::json j;
  j["ir_version"] = s.ir_version;
  j["opset"] = s.opsets.count("") ? s.opsets.at("") : 0;
  j["opsets"] = s.opsets;
  j["producer"] = {{"name", s.producer_name}, {"version", s.producer_version}};
  j["inputs"] = nlohmann::json::array();
  for (const auto& v : s.inputs) j["inputs"].push_back(value_json(v));
  j["outputs"] = nlohmann::json::array();
  for (const auto& v : s.outputs) j["outputs"].push_back(value_json(v));
  j["node_count"] = s.node_count;
  j["op_histogram"] = s.op_histogram;
  j["initializers"] = {{"count", s.initializer_count}, {"bytes", s.initializer_bytes}};
  j["qdq"] = {{"quantize_linear", s.qdq.quantize_linear},
              {"dequantize_linear", s.qdq.dequantize_linear},
              {"int8_weight_initializers", s.qdq.int8_weight_initializers},
              {"int8_weight_bytes", s.qdq.int8_weight_bytes},
              {"float_weight_bytes", s.qdq.float_weight_bytes}};
  return j;
}

std::string to_text(const ModelSummary& s) {
  std::ostringstream o;
  o << "IR version " << s.ir_version << ", opset " << (s.opsets.count("") ? s.opsets.at("") : 0);
  for (const auto& [domain, v] : s.opsets)
    if (!domain.empty()) o << ", " << domain << " " << v;
  o << "\nproducer: " << (s.producer_name.empty() ? "(none)" : s.producer_name + " " + s.producer_version) << "\n";
  for (const auto& v : s.inputs) o << "input:  " << value_text(v) << "\n";
  for (const auto& v : s.outputs) o << "output: " << value_text(v) << "\n";
  o << "nodes: " << s.node_count << " (";
  bool first = true;
  for (const auto& [op, n] : s.op_histogram) o << (first ? "" : ", ") << op << " " << n, first = false;
  o << ")\n";
  o << "initializers: " << s.initializer_count << ", " << s.initializer_bytes << " bytes\n";
  o << "Q/DQ: " << s.qdq.quantize_linear << " QuantizeLinear, " << s.qdq.dequantize_linear << " DequantizeLinear, "
    << s.qdq.int8_weight_initializers << " INT8 weight initializers (" << s.qdq.int8_weight_bytes << " bytes INT8, "
    << s.qdq.float_weight_bytes << " bytes float)\n";
  return o.str();
}

}  // namespace yoloq
