#pragma once
// Edits of a QuantPlan that keep it a plan: what accuracy tuning (tune/) changes when it measures
// a node in or out of quantization. Each returns a new plan and leaves the input alone.
#include <set>
#include <string>

#include "yoloq/plan/quant_plan.hpp"

namespace yoloq {

// `nodes` in high precision: their inputs are no longer quantized for them (an activation that no
// other node reads quantized is dropped), their weights stay float, and each is listed in
// float_nodes with `rule`. Scale groups stay: they only tie the scales of what is still quantized.
QuantPlan with_nodes_float(const QuantPlan& plan, const GraphIndex& index, const std::set<std::string>& nodes,
                           const std::string& rule);

// Only `nodes` quantized (their activation inputs and weights, as `plan` quantizes them).
QuantPlan with_only_nodes_quantized(const QuantPlan& plan, const std::set<std::string>& nodes);

// The plan's activations only (weights float), or its weights only (activations float).
QuantPlan activations_only(const QuantPlan& plan);
QuantPlan weights_only(const QuantPlan& plan);

}  // namespace yoloq
