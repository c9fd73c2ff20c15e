#include "plan/plan_builder.hpp"

#include <algorithm>

namespace yoloq::plan_detail {

PlanBuilder::PlanBuilder(const GraphIndex& index, std::vector<bool> eligible)
    : index_(index), eligible_(std::move(eligible)), types_(infer_elem_types(index)) {}

bool PlanBuilder::is_float_activation(const std::string& tensor) const {
  if (tensor.empty() || index_.is_constant(tensor)) return false;
  if (!index_.producer(tensor) && !index_.is_graph_input(tensor)) return false;
  auto it = types_.find(tensor);
  return it != types_.end() && it->second == onnx::TensorProto::FLOAT;
}

bool PlanBuilder::quantize_for(const std::string& tensor, std::size_t consumer, const std::string& rule) {
  auto [it, inserted] = activations_.try_emplace(tensor, std::set<std::string>{}, rule);
  bool added = it->second.first.insert(index_.node_name(consumer)).second;
  // One tensor can be quantized for several reasons (a Conv input that is also a residual).
  auto& rules = it->second.second;
  if (added && !inserted && ("+" + rules + "+").find("+" + rule + "+") == std::string::npos) rules += "+" + rule;
  return added || inserted;
}

void PlanBuilder::quantize_for_all(const std::string& tensor, const std::string& rule) {
  for (std::size_t c : index_.consumers(tensor)) quantize_for(tensor, c, rule);
}

bool PlanBuilder::quantize_weight(std::size_t node, int input, int axis, bool quantize_bias, const std::string& rule,
                                 bool u8s8_pair_safe) {
  const auto& n = index_.node(node);
  const auto* init = index_.initializer(n.input(input));
  if (!init || init->data_type() != onnx::TensorProto::FLOAT || axis >= init->dims_size()) return false;
  weights_.push_back({index_.node_name(node), n.input(input), axis, quantize_bias, rule, u8s8_pair_safe});
  return true;
}

void PlanBuilder::keep_float(std::size_t node, const std::string& rule) {
  float_nodes_.push_back({index_.node_name(node), index_.node(node).op_type(), rule});
}

void PlanBuilder::make_float(std::size_t node, const std::string& rule) {
  keep_float(node, rule);
  eligible_[node] = false;
}

std::string PlanBuilder::find(const std::string& t) {
  auto it = parent_.find(t);
  if (it == parent_.end()) return parent_[t] = t;
  if (it->second == t) return t;
  return it->second = find(it->second);
}

void PlanBuilder::share_scale(const std::string& a, const std::string& b, const std::string& rule) {
  std::string ra = find(a), rb = find(b);
  if (ra == rb) return;
  if (rb < ra) std::swap(ra, rb);  // the smallest name is the root: deterministic
  parent_[rb] = ra;
  if (!group_rule_.count(ra)) group_rule_[ra] = rule;
}

void PlanBuilder::floor_range(const std::string& tensor, float min, const std::string& rule) {
  floors_[tensor] = {tensor, min, rule};
}

QuantPlan PlanBuilder::finish(Target target, YoloHeadMode head, std::vector<FloatNode> float_nodes) {
  QuantPlan plan;
  plan.target = target;
  plan.yolo_head = head;
  plan.activation_type = target == Target::Trt ? ActivationType::Int8Symmetric : ActivationType::UInt8Asymmetric;
  for (auto& [tensor, entry] : activations_)
    plan.activations.push_back({tensor, {entry.first.begin(), entry.first.end()}, entry.second});
  plan.weights = weights_;
  std::sort(plan.weights.begin(), plan.weights.end(),
            [](const auto& a, const auto& b) { return std::tie(a.node, a.tensor) < std::tie(b.node, b.tensor); });
  std::map<std::string, std::vector<std::string>> groups;
  std::vector<std::string> members;
  for (const auto& [t, _] : parent_) members.push_back(t);
  for (const auto& t : members) groups[find(t)].push_back(t);
  for (auto& [root, tensors] : groups) {
    if (tensors.size() < 2) continue;
    std::sort(tensors.begin(), tensors.end());
    std::string rule;
    for (const auto& t : tensors)
      if (group_rule_.count(t)) rule = group_rule_[t];
    plan.scale_groups.push_back({tensors, rule});
  }
  std::sort(plan.scale_groups.begin(), plan.scale_groups.end(),
            [](const auto& a, const auto& b) { return a.tensors.front() < b.tensors.front(); });
  float_nodes.insert(float_nodes.end(), float_nodes_.begin(), float_nodes_.end());
  std::sort(float_nodes.begin(), float_nodes.end(), [](const auto& a, const auto& b) { return a.node < b.node; });
  plan.float_nodes = std::move(float_nodes);
  for (const auto& [tensor, floor] : floors_)
    if (activations_.count(tensor)) plan.range_floors.push_back(floor);
  return plan;
}

int weight_axis(const onnx::NodeProto& node, int input) {
  const auto& op = node.op_type();
  if (op == "Conv") return 0;
  if (op == "ConvTranspose") return 1;
  if (op == "Gemm") return attribute_int(node, "transB", 0) ? 0 : 1;
  if (op == "MatMul" && input == 1) return 1;
  return -1;
}

}  // namespace yoloq::plan_detail
