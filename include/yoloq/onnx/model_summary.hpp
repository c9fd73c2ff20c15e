#pragma once
// What `yoloq inspect` shows and `verify` reuses: a model's interface, size and Q/DQ content.
// (The Ultralytics metadata inspect also shows is model-family knowledge: yoloq/yolo/metadata.hpp.)
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "yoloq/onnx/model.hpp"

namespace yoloq {

// The op types with a weight input (Conv, ConvTranspose, Gemm, MatMul): what "quantized
// Conv/Gemm/MatMul" counts everywhere, and what the trt rules quantize the inputs of.
bool is_weighted_op(const std::string& op_type);

struct WeightedOpCount {
  std::size_t total = 0;
  std::size_t quantized = 0;  // activation input and weight both fed by a DequantizeLinear
};

struct QdqStats {
  std::size_t quantize_linear = 0;
  std::size_t dequantize_linear = 0;
  std::size_t int8_weight_initializers = 0;  // INT8/UINT8 initializers with more than one element
  std::size_t int8_weight_bytes = 0;
  std::size_t float_weight_bytes = 0;
  std::map<std::string, WeightedOpCount> weighted_ops;  // by op type, weighted ops only
  WeightedOpCount weighted_total() const;
};

struct ModelSummary {
  std::int64_t ir_version = 0;
  std::map<std::string, std::int64_t> opsets;  // domain ("" = ai.onnx) -> version
  std::string producer_name, producer_version;
  std::vector<ValueInfo> inputs, outputs;
  std::size_t node_count = 0;
  std::map<std::string, std::size_t> op_histogram;
  std::size_t initializer_count = 0;
  std::size_t initializer_bytes = 0;
  QdqStats qdq;
};

ModelSummary summarize(const Model& model);
QdqStats qdq_stats(const Model& model);
nlohmann::json to_json(const ModelSummary& summary);
std::string to_text(const ModelSummary& summary);

}  // namespace yoloq
