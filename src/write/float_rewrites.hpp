#pragma once
#include "yoloq/onnx/model.hpp"
#include "yoloq/plan/quant_plan.hpp"

namespace yoloq {

// Replaces the nodes of each of the plan's rewrites in `out` (the model being written, whose Q/DQ
// nodes are in) by their faster form; `float_index` is the float model's. Throws Error when a
// rewrite's nodes are not the form its kind names.
void apply_float_rewrites(Model& out, const GraphIndex& float_index, const QuantPlan& plan);

}  // namespace yoloq
