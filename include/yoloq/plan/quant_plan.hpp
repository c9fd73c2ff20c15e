#pragma once
// Stage 2, plan: the analysis that decides where Q/DQ goes. A QuantPlan is plain data, the only
// hand-off between deciding (plan_quantization) and rewriting (write_qdq_model); it prints as
// JSON, can be edited by a user and read back (--plan). Every decision carries the name of the
// rule that made it.
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "yoloq/onnx/model.hpp"

namespace yoloq {

enum class Target { Trt, OrtCpu };
enum class YoloHeadMode { Float, FloatDfl, Int8 };
// How activations are encoded. TensorRT takes symmetric INT8 (zero point 0). ONNX Runtime's x86
// CPU kernels fuse Conv and MatMul only with UINT8 activations (its QDQ selectors reject INT8
// activations off ARM), so ort-cpu uses UINT8 with a zero point from the calibrated min/max.
enum class ActivationType { Int8Symmetric, UInt8Asymmetric };

Target parse_target(const std::string& name);  // "trt", "ort-cpu"
std::string target_name(Target target);
YoloHeadMode parse_yolo_head(const std::string& name);  // "float", "float-dfl", "int8"
std::string yolo_head_name(YoloHeadMode mode);
ActivationType parse_activation_type(const std::string& name);  // "int8", "uint8"
std::string activation_type_name(ActivationType type);

// An activation tensor quantized per-tensor: one QuantizeLinear/DequantizeLinear pair, read by
// the listed consumer nodes (other readers, and the graph output if it is one, keep the float).
struct ActivationQuant {
  std::string tensor;
  std::vector<std::string> consumers;  // node names, sorted
  std::string rule;
};

// A constant weight quantized per output channel along `axis`, for one node's input.
struct WeightQuant {
  std::string node;
  std::string tensor;
  int axis = 0;
  // The bias (input 2 of Conv/Gemm) as INT32 with scale = input scale x weight scale, which
  // ONNX Runtime's CPU kernels need to fuse the node; TensorRT keeps it float.
  bool quantize_bias = false;
  std::string rule;
  // Scale each channel so that no two neighbouring weights along the reduction axis sum to more
  // than 128 in magnitude: x86 CPUs without VNNI multiply UINT8 activations by INT8 weights with
  // VPMADDUBSW, which adds two neighbouring products in 16 bits and saturates above 32767
  // (255 x 129 > 32767). See quantize_per_channel.
  bool u8s8_pair_safe = false;
};

// Tensors that must share one scale (the largest of their ranges).
struct ScaleGroup {
  std::vector<std::string> tensors;  // sorted
  std::string rule;
};

// A lower limit on an activation's range, applied before its scale and zero point are computed
// (UINT8 activations only: an INT8 range is symmetric). Values below `min` are clipped to it.
struct RangeFloor {
  std::string tensor;
  float min = 0.0f;
  std::string rule;
};

struct FloatNode {
  std::string node;
  std::string op_type;
  std::string rule;
};

// Float nodes the writer replaces by an equivalent form that runs faster (the same outputs),
// e.g. "dfl-softmax-last-axis" (plan/float_rewrites.hpp). The writer checks the nodes still have
// the form the kind names and refuses the plan otherwise.
struct FloatRewrite {
  std::string kind;
  std::vector<std::string> nodes;  // the nodes replaced, in graph order
  std::string rule;
};

struct QuantPlan {
  Target target = Target::Trt;
  YoloHeadMode yolo_head = YoloHeadMode::Float;
  // What the head analysis found (yolo/yolo_head.hpp): "pose: DFL (reg_max 16), ..."; empty when
  // the model has no YOLO head. Informational: the float_nodes carry the decisions.
  std::string head;
  ActivationType activation_type = ActivationType::Int8Symmetric;
  std::vector<ActivationQuant> activations;  // sorted by tensor
  std::vector<WeightQuant> weights;          // sorted by node, then tensor
  std::vector<ScaleGroup> scale_groups;      // sorted by first tensor
  std::vector<FloatNode> float_nodes;        // nodes of quantizable types kept in high precision
  std::vector<FloatRewrite> rewrites;        // float nodes written in a faster equivalent form
  std::vector<RangeFloor> range_floors;      // sorted by tensor

  std::vector<std::string> activation_tensors() const;  // what calibration must cover
  std::vector<std::string> weight_nodes() const;        // nodes with a quantized weight, each once, sorted
};

nlohmann::json to_json(const QuantPlan& plan);
QuantPlan plan_from_json(const nlohmann::json& json);       // throws Error on a malformed plan
QuantPlan load_plan(const std::filesystem::path& path);     // + names the file in errors
// Throws Error naming the first tensor or node the model does not have.
void validate_plan(const QuantPlan& plan, const GraphIndex& index);

struct PlanOptions {
  Target target = Target::Trt;
  // float by measurement (docs/placement.md, "The preset per kind"; bench/results/accuracy.md,
  // "The head's output convolutions float"): keeping the output convolutions float never lowered
  // the head's class-score SNR and, against float-dfl, raised trt's mAP50-95 in 6 of 7 measures on
  // unseen images (mean +0.14 points; 2 of 5 in sample, mean +0.02) and ort-cpu's in 4 of 6 (mean
  // +0.10); it costs 6 of YOLO11n's 90 convolutions (2.7% of its multiply-adds) on trt and no
  // measurable time on ort-cpu.
  YoloHeadMode yolo_head = YoloHeadMode::Float;
  // Whether the user chose the preset: then a model without a head is an error (the preset would
  // silently do nothing), where the default only warns when the metadata names a task.
  bool yolo_head_given = false;
  std::vector<std::string> op_types_to_quantize;  // empty = the target's defaults
  std::vector<std::string> op_types_to_exclude;
  std::vector<std::string> nodes_to_quantize;     // regexes matched from the start of node names
  std::vector<std::string> nodes_to_exclude;
};

struct PlanResult {
  QuantPlan plan;
  std::vector<std::string> warnings;  // e.g. an exclusion pattern that matched nothing
};

// The rules. Throws Error for an invalid regular expression or when nothing is quantizable.
PlanResult plan_quantization(const Model& model, const PlanOptions& options);

// Refuses a model whose opset the writer cannot raise to 13 without changing what it computes:
// below 10 (no Q/DQ at all), or 10 to 12 with an op whose meaning changed by 13.
void check_opset_for_qdq(const Model& model, const std::string& what);

}  // namespace yoloq
