#include "yoloq/plan/plan_edits.hpp"

#include <algorithm>

namespace yoloq {

namespace {

// Keeps the consumers `keep` accepts; drops activations left with none.
template <typename Keep>
void filter_activation_consumers(QuantPlan& plan, Keep keep) {
  for (auto& a : plan.activations) std::erase_if(a.consumers, [&](const std::string& c) { return !keep(c); });
  std::erase_if(plan.activations, [](const ActivationQuant& a) { return a.consumers.empty(); });
}

}  // namespace

QuantPlan with_nodes_float(const QuantPlan& plan, const GraphIndex& index, const std::set<std::string>& nodes,
                           const std::string& rule) {
  QuantPlan out = plan;
  filter_activation_consumers(out, [&](const std::string& c) { return !nodes.count(c); });
  std::erase_if(out.weights, [&](const WeightQuant& w) { return nodes.count(w.node) > 0; });
  for (std::size_t i = 0; i < index.node_count(); ++i)
    if (nodes.count(index.node_name(i)) &&
        std::none_of(out.float_nodes.begin(), out.float_nodes.end(),
                     [&](const FloatNode& f) { return f.node == index.node_name(i); }))
      out.float_nodes.push_back({index.node_name(i), index.node(i).op_type(), rule});
  return out;
}

QuantPlan with_only_nodes_quantized(const QuantPlan& plan, const std::set<std::string>& nodes) {
  QuantPlan out = plan;
  filter_activation_consumers(out, [&](const std::string& c) { return nodes.count(c) > 0; });
  std::erase_if(out.weights, [&](const WeightQuant& w) { return !nodes.count(w.node); });
  return out;
}

QuantPlan activations_only(const QuantPlan& plan) {
  QuantPlan out = plan;
  out.weights.clear();
  return out;
}

QuantPlan weights_only(const QuantPlan& plan) {
  QuantPlan out = plan;
  out.activations.clear();
  // An INT32 bias takes its scale from the input's: with the input float it stays float too.
  for (auto& w : out.weights) w.quantize_bias = false;
  return out;
}

}  // namespace yoloq
