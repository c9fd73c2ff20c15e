// QuantPlan's names, JSON form and validation.
#include "yoloq/plan/quant_plan.hpp"

#include <algorithm>
#include <limits>
#include <set>
#include <type_traits>

#include "yoloq/support/error.hpp"
#include "yoloq/support/file_io.hpp"

namespace yoloq {

Target parse_target(const std::string& name) {
  if (name == "trt") return Target::Trt;
  if (name == "ort-cpu") return Target::OrtCpu;
  throw Error("unknown target '" + name + "' (expected trt or ort-cpu)");
}

std::string target_name(Target t) { return t == Target::Trt ? "trt" : "ort-cpu"; }

YoloHeadMode parse_yolo_head(const std::string& name) {
  if (name == "float") return YoloHeadMode::Float;
  if (name == "float-dfl") return YoloHeadMode::FloatDfl;
  if (name == "int8") return YoloHeadMode::Int8;
  throw Error("unknown --yolo_head '" + name + "' (expected float, float-dfl or int8)");
}

std::string yolo_head_name(YoloHeadMode m) {
  switch (m) {
    case YoloHeadMode::Float: return "float";
    case YoloHeadMode::FloatDfl: return "float-dfl";
    case YoloHeadMode::Int8: return "int8";
  }
  return "?";
}

ActivationType parse_activation_type(const std::string& name) {
  if (name == "int8") return ActivationType::Int8Symmetric;
  if (name == "uint8") return ActivationType::UInt8Asymmetric;
  throw Error("unknown activation_type '" + name + "' (expected int8 or uint8)");
}

std::string activation_type_name(ActivationType t) { return t == ActivationType::Int8Symmetric ? "int8" : "uint8"; }

std::vector<std::string> QuantPlan::activation_tensors() const {
  std::set<std::string> names;
  for (const auto& a : activations) names.insert(a.tensor);
  for (const auto& g : scale_groups) names.insert(g.tensors.begin(), g.tensors.end());
  return {names.begin(), names.end()};
}

std::vector<std::string> QuantPlan::weight_nodes() const {
  std::set<std::string> names;
  for (const auto& w : weights) names.insert(w.node);
  return {names.begin(), names.end()};
}

nlohmann::json to_json(const QuantPlan& plan) {
  nlohmann::json j;
  j["target"] = target_name(plan.target);
  j["yolo_head"] = yolo_head_name(plan.yolo_head);
  if (!plan.head.empty()) j["head"] = plan.head;
  j["activation_type"] = activation_type_name(plan.activation_type);
  j["activations"] = nlohmann::json::array();
  for (const auto& a : plan.activations)
    j["activations"].push_back({{"tensor", a.tensor}, {"consumers", a.consumers}, {"rule", a.rule}});
  j["weights"] = nlohmann::json::array();
  for (const auto& w : plan.weights)
    j["weights"].push_back({{"node", w.node}, {"tensor", w.tensor}, {"axis", w.axis}, {"quantize_bias", w.quantize_bias}, {"rule", w.rule}, {"u8s8_pair_safe", w.u8s8_pair_safe}});
  j["scale_groups"] = nlohmann::json::array();
  for (const auto& g : plan.scale_groups) j["scale_groups"].push_back({{"tensors", g.tensors}, {"rule", g.rule}});
  j["float_nodes"] = nlohmann::json::array();
  for (const auto& f : plan.float_nodes)
    j["float_nodes"].push_back({{"node", f.node}, {"op_type", f.op_type}, {"rule", f.rule}});
  if (!plan.rewrites.empty()) {
    j["rewrites"] = nlohmann::json::array();
    for (const auto& r : plan.rewrites) j["rewrites"].push_back({{"kind", r.kind}, {"nodes", r.nodes}, {"rule", r.rule}});
  }
  if (!plan.range_floors.empty()) {
    j["range_floors"] = nlohmann::json::array();
    for (const auto& f : plan.range_floors) j["range_floors"].push_back({{"tensor", f.tensor}, {"min", f.min}, {"rule", f.rule}});
  }
  return j;
}

namespace {
template <typename T>
T field(const nlohmann::json& j, const char* key, const std::string& where, T fallback, bool required) {
  if (!j.contains(key)) {
    if (required) throw Error(where + ": missing field '" + key + "'");
    return fallback;
  }
  if constexpr (std::is_same_v<T, int>) {
    // get<int>() of 1e300 or 2^40 would convert out of range (undefined for a double).
    const auto& v = j.at(key);
    if (!v.is_number_integer() || v.get<std::int64_t>() < std::numeric_limits<int>::min() ||
        (v.is_number_unsigned() ? v.get<std::uint64_t>() > std::numeric_limits<int>::max()
                                : v.get<std::int64_t>() > std::numeric_limits<int>::max()))
      throw Error(where + ": field '" + key + "' must be an integer");
  }
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error(where + ": field '" + key + "' has the wrong type");
  }
}
}  // namespace

QuantPlan plan_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw Error("plan: expected a JSON object");
  QuantPlan plan;
  plan.target = parse_target(field<std::string>(j, "target", "plan", "trt", false));
  plan.yolo_head = parse_yolo_head(field<std::string>(j, "yolo_head", "plan", "float", false));
  plan.head = field<std::string>(j, "head", "plan", "", false);
  plan.activation_type = parse_activation_type(field<std::string>(
      j, "activation_type", "plan", plan.target == Target::Trt ? "int8" : "uint8", false));
  auto list = [&](const char* key) {
    auto v = j.contains(key) ? j.at(key) : nlohmann::json::array();
    if (!v.is_array()) throw Error(std::string("plan: '") + key + "' must be an array");
    return v;
  };
  for (const auto& a : list("activations")) {
    if (!a.is_object()) throw Error("plan: activations entries must be objects");
    plan.activations.push_back({field<std::string>(a, "tensor", "plan activation", "", true),
                                field<std::vector<std::string>>(a, "consumers", "plan activation", {}, true),
                                field<std::string>(a, "rule", "plan activation", "user", false)});
  }
  for (const auto& w : list("weights")) {
    if (!w.is_object()) throw Error("plan: weights entries must be objects");
    plan.weights.push_back({field<std::string>(w, "node", "plan weight", "", true),
                            field<std::string>(w, "tensor", "plan weight", "", true),
                            field<int>(w, "axis", "plan weight", 0, true),
                            field<bool>(w, "quantize_bias", "plan weight", false, false),
                            field<std::string>(w, "rule", "plan weight", "user", false),
                            field<bool>(w, "u8s8_pair_safe", "plan weight", false, false)});
  }
  for (const auto& g : list("scale_groups")) {
    if (!g.is_object()) throw Error("plan: scale_groups entries must be objects");
    plan.scale_groups.push_back({field<std::vector<std::string>>(g, "tensors", "plan scale group", {}, true),
                                 field<std::string>(g, "rule", "plan scale group", "user", false)});
  }
  for (const auto& f : list("float_nodes")) {
    if (!f.is_object()) throw Error("plan: float_nodes entries must be objects");
    plan.float_nodes.push_back({field<std::string>(f, "node", "plan float node", "", true),
                                field<std::string>(f, "op_type", "plan float node", "", false),
                                field<std::string>(f, "rule", "plan float node", "user", false)});
  }
  for (const auto& r : list("rewrites")) {
    if (!r.is_object()) throw Error("plan: rewrites entries must be objects");
    plan.rewrites.push_back({field<std::string>(r, "kind", "plan rewrite", "", true),
                             field<std::vector<std::string>>(r, "nodes", "plan rewrite", {}, true),
                             field<std::string>(r, "rule", "plan rewrite", "user", false)});
  }
  for (const auto& f : list("range_floors")) {
    if (!f.is_object()) throw Error("plan: range_floors entries must be objects");
    // A float's range: converting a larger double (-1e300) to float is undefined.
    if (!f.contains("min") || !f.at("min").is_number() || !(f.at("min").get<double>() <= 0.0) ||
        f.at("min").get<double>() < -static_cast<double>(std::numeric_limits<float>::max()))
      throw Error("plan: range floor 'min' must be a number from -3.4e38 to 0");
    plan.range_floors.push_back({field<std::string>(f, "tensor", "plan range floor", "", true),
                                 f.at("min").get<float>(),
                                 field<std::string>(f, "rule", "plan range floor", "user", false)});
  }
  return plan;
}

QuantPlan load_plan(const std::filesystem::path& path) {
  std::string text = read_file(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": not valid JSON: " + e.what());
  }
  try {
    return plan_from_json(j);
  } catch (const Error& e) {
    throw Error(path.string() + ": " + e.what());
  }
}

void validate_plan(const QuantPlan& plan, const GraphIndex& index) {
  auto known_tensor = [&](const std::string& t) {
    return index.producer(t).has_value() || index.is_graph_input(t) || index.is_initializer(t);
  };
  for (const auto& a : plan.activations) {
    if (!known_tensor(a.tensor)) throw Error("plan: tensor '" + a.tensor + "' is not in the model");
    if (index.is_initializer(a.tensor)) throw Error("plan: activation '" + a.tensor + "' is a constant initializer");
    for (const auto& c : a.consumers) {
      const auto consumer = index.find_node(c);
      if (!consumer) throw Error("plan: node '" + c + "' (consumer of '" + a.tensor + "') is not in the model");
      const auto& node = index.node(*consumer);
      if (std::find(node.input().begin(), node.input().end(), a.tensor) == node.input().end())
        throw Error("plan: node '" + c + "' does not read tensor '" + a.tensor + "'");
    }
  }
  for (const auto& w : plan.weights) {
    if (!index.find_node(w.node)) throw Error("plan: node '" + w.node + "' is not in the model");
    const auto* init = index.initializer(w.tensor);
    if (!init) throw Error("plan: weight '" + w.tensor + "' is not an initializer of the model");
    if (w.axis < 0 || w.axis >= init->dims_size())
      throw Error("plan: weight '" + w.tensor + "' has no axis " + std::to_string(w.axis));
    if (init->data_type() != onnx::TensorProto::FLOAT) throw Error("plan: weight '" + w.tensor + "' is not float32");
  }
  for (const auto& g : plan.scale_groups)
    for (const auto& t : g.tensors)
      if (!known_tensor(t)) throw Error("plan: scale group tensor '" + t + "' is not in the model");
  for (const auto& f : plan.float_nodes)
    if (!index.find_node(f.node)) throw Error("plan: float node '" + f.node + "' is not in the model");
  for (const auto& f : plan.range_floors)
    if (!known_tensor(f.tensor)) throw Error("plan: range floor tensor '" + f.tensor + "' is not in the model");
  for (const auto& r : plan.rewrites)
    for (const auto& n : r.nodes)
      if (!index.find_node(n)) throw Error("plan: node '" + n + "' of the " + r.kind + " rewrite is not in the model");
}

}  // namespace yoloq
