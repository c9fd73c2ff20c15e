#pragma once
// Internal to the plan stage: the state the placement rules share while they decide. The rules
// (plan_rules_trt.cpp, plan_rules_ort_cpu.cpp) only add decisions; finish() turns them into a
// sorted, deterministic QuantPlan.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "yoloq/plan/quant_plan.hpp"

namespace yoloq::plan_detail {

class PlanBuilder {
 public:
  PlanBuilder(const GraphIndex& index, std::vector<bool> eligible);

  const GraphIndex& index() const { return index_; }
  bool eligible(std::size_t node) const { return eligible_[node]; }
  // A float32 tensor that is computed at run time (a graph input or a node output).
  bool is_float_activation(const std::string& tensor) const;

  // Q/DQ on `tensor` where node `consumer` reads it. Returns true when this is new.
  bool quantize_for(const std::string& tensor, std::size_t consumer, const std::string& rule);
  bool is_quantized(const std::string& tensor) const { return activations_.count(tensor) > 0; }
  // Q/DQ on `tensor` for every node that reads it.
  void quantize_for_all(const std::string& tensor, const std::string& rule);
  bool quantize_weight(std::size_t node, int input, int axis, bool quantize_bias, const std::string& rule,
                       bool u8s8_pair_safe = false);
  void share_scale(const std::string& a, const std::string& b, const std::string& rule);
  // Clip `tensor`'s range below at `min` (<= 0) before its scale is computed (UINT8 only).
  void floor_range(const std::string& tensor, float min, const std::string& rule);
  // An eligible node that the target's rules leave in high precision, listed with the rule.
  void keep_float(std::size_t node, const std::string& rule);
  // keep_float, and the node is no longer eligible: the rules that run after treat it as any other
  // float node (its inputs and outputs are at the float boundary).
  void make_float(std::size_t node, const std::string& rule);

  QuantPlan finish(Target target, YoloHeadMode head, std::vector<FloatNode> float_nodes);

 private:
  std::string find(const std::string& t);

  const GraphIndex& index_;
  std::vector<bool> eligible_;
  std::map<std::string, std::int32_t> types_;
  std::map<std::string, std::pair<std::set<std::string>, std::string>> activations_;  // tensor -> consumers, rule
  std::vector<WeightQuant> weights_;
  std::vector<FloatNode> float_nodes_;
  std::map<std::string, std::string> parent_;  // union-find over scale-group members
  std::map<std::string, std::string> group_rule_;
  std::map<std::string, RangeFloor> floors_;
};

// Per-channel axis of a constant weight, as TensorRT and ONNX Runtime expect it: Conv 0,
// ConvTranspose 1, Gemm 0 with transB else 1, MatMul's constant B 1 (its last axis).
int weight_axis(const onnx::NodeProto& node, int input);

void apply_trt_rules(PlanBuilder& builder);
void apply_ort_cpu_rules(PlanBuilder& builder);

// The op types ONNX Runtime's CPU provider runs on UINT8 data: integer kernels, which requantize
// to their own output scale, and data movement, which needs one scale in and out.
const std::set<std::string>& ort_cpu_integer_kernels();
const std::set<std::string>& ort_cpu_data_movement();

}  // namespace yoloq::plan_detail
