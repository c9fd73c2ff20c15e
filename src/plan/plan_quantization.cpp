// Entry point of the plan stage: decides which nodes may be quantized (target op types, user
// inclusions and exclusions, the YOLO head preset), then applies the target's placement rules.
#include <optional>
#include <regex>
#include <set>

#include "plan/plan_builder.hpp"
#include "yoloq/plan/float_rewrites.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/yolo/metadata.hpp"
#include "yoloq/yolo/yolo_head.hpp"

namespace yoloq {

namespace {

const std::set<std::string> kTrtOps{"Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Concat",
                                    "MaxPool", "AveragePool", "GlobalAveragePool", "Resize"};

std::set<std::string> ort_cpu_ops() {
  auto ops = plan_detail::ort_cpu_integer_kernels();
  ops.insert(plan_detail::ort_cpu_data_movement().begin(), plan_detail::ort_cpu_data_movement().end());
  return ops;
}

struct NamePattern {
  std::string text;
  std::regex regex;
  bool matched = false;
};

std::vector<NamePattern> compile(const std::vector<std::string>& patterns, const char* flag) {
  std::vector<NamePattern> out;
  for (const auto& p : patterns) {
    try {
      out.push_back({p, std::regex(p, std::regex::ECMAScript), false});
    } catch (const std::regex_error& e) {
      throw Error(std::string(flag) + ": invalid regular expression '" + p + "': " + e.what());
    }
  }
  return out;
}

// ModelOpt matches node-name patterns from the start of the name (Python's re.match).
bool matches(std::vector<NamePattern>& patterns, const std::string& name) {
  bool any = false;
  for (auto& p : patterns)
    if (std::regex_search(name, p.regex, std::regex_constants::match_continuous)) p.matched = any = true;
  return any;
}

// What the head analysis looks for, for the messages below.
const char* const kHeadsLookedFor =
    "a DFL (Reshape, Transpose, Softmax, 1x1 Conv), a class Sigmoid over several levels' output convolutions, "
    "or a classifier's pool, Linear and Softmax";

// A preset the user chose on a model without a head would do nothing: an error. With the default,
// a model whose Ultralytics metadata names a task but whose head is not found (or is another kind)
// is quantized like any network, which the user should know.
void check_head_found(const Model& model, const std::optional<YoloHead>& head, const PlanOptions& options,
                      std::vector<std::string>& warnings) {
  if (!head && options.yolo_head_given)
    throw Error("--yolo_head " + yolo_head_name(options.yolo_head) + ": no YOLO head found in the model (looked for " +
                kHeadsLookedFor + "); leave --yolo_head out to quantize it as a plain network");
  const auto metadata = read_yolo_metadata(model);
  if (!metadata || metadata->task.empty()) return;
  if (!head)
    warnings.push_back("the model's metadata says task '" + metadata->task + "' but no " + metadata->task +
                       " head was found (looked for " + kHeadsLookedFor +
                       "); the head will be quantized like the body");
  else if (head_kind_name(head->kind) != metadata->task)
    warnings.push_back("the model's metadata says task '" + metadata->task + "' but its head has the structure of a " +
                       head_kind_name(head->kind) + " head (" + head->description() + ")");
}

}  // namespace

PlanResult plan_quantization(const Model& model, const PlanOptions& options) {
  check_opset_for_qdq(model, model.path.empty() ? "model" : model.path.string());
  GraphIndex index(model.graph());
  PlanResult result;
  const auto target_ops = options.target == Target::Trt ? kTrtOps : ort_cpu_ops();
  std::set<std::string> allowed = options.op_types_to_quantize.empty()
                                      ? target_ops
                                      : std::set<std::string>(options.op_types_to_quantize.begin(), options.op_types_to_quantize.end());
  std::set<std::string> excluded_ops(options.op_types_to_exclude.begin(), options.op_types_to_exclude.end());
  auto include = compile(options.nodes_to_quantize, "--nodes_to_quantize");
  auto exclude = compile(options.nodes_to_exclude, "--nodes_to_exclude");

  std::map<std::size_t, std::string> head_rule;
  const auto head = find_yolo_head(index);
  check_head_found(model, head, options, result.warnings);
  if (head) {
    if (options.yolo_head != YoloHeadMode::Int8) {
      for (auto n : head->tail) head_rule[n] = n == head->dfl_conv || n == head->dfl_softmax ? "yolo-head.dfl" : "yolo-head.decode";
      if (options.yolo_head == YoloHeadMode::Float)
        for (auto n : head->output_convs) head_rule[n] = "yolo-head.output-conv";
    }
  }

  std::vector<bool> eligible(index.node_count(), false);
  std::vector<FloatNode> float_nodes;
  for (std::size_t i = 0; i < index.node_count(); ++i) {
    const auto& op = index.node(i).op_type();
    const std::string name = index.node_name(i);
    std::string rule;
    if (!allowed.count(op)) continue;  // not a quantizable type: not a decision worth listing
    if (excluded_ops.count(op)) rule = "user.op_types_to_exclude";
    else if (matches(exclude, name)) rule = "user.nodes_to_exclude";
    else if (!include.empty() && !matches(include, name)) rule = "user.nodes_to_quantize";
    else if (head_rule.count(i)) rule = head_rule[i];
    if (rule.empty())
      eligible[i] = true;
    else
      float_nodes.push_back({name, op, rule});
  }
  for (const auto& p : exclude)
    if (!p.matched) result.warnings.push_back("--nodes_to_exclude pattern '" + p.text + "' matches no node");
  for (const auto& p : include)
    if (!p.matched) result.warnings.push_back("--nodes_to_quantize pattern '" + p.text + "' matches no node");

  plan_detail::PlanBuilder builder(index, std::move(eligible));
  if (options.target == Target::Trt)
    plan_detail::apply_trt_rules(builder);
  else
    plan_detail::apply_ort_cpu_rules(builder);
  result.plan = builder.finish(options.target, options.yolo_head, std::move(float_nodes));
  if (head) result.plan.head = head->description();
  result.plan.rewrites = plan_float_rewrites(index, head, options.target, options.yolo_head);

  if (result.plan.activations.empty() && result.plan.weights.empty()) {
    std::string ops;
    for (const auto& [op, n] : index.op_histogram()) ops += (ops.empty() ? "" : ", ") + op + " " + std::to_string(n);
    throw Error("nothing to quantize for target " + target_name(options.target) + ": the model has " + ops);
  }
  return result;
}

}  // namespace yoloq
