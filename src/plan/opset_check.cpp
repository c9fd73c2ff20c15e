// The writer raises the model's opset to 13 (per-channel DequantizeLinear needs it). That is
// only sound when no op of the graph changed meaning between the model's opset and 13, so
// instead of silently rewriting such a graph we refuse it and say how to convert it.
#include <map>

#include "yoloq/plan/quant_plan.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq {

namespace {

// Ops whose inputs, attributes or semantics changed in opsets 11 to 13, with the opset of the
// change (ONNX's Changelog.md).
const std::map<std::string, std::int64_t> kChangedBy13{
    {"Clip", 11},   {"Pad", 11},           {"Resize", 11},    {"Split", 13},   {"Squeeze", 13},
    {"Unsqueeze", 13}, {"ReduceSum", 13}, {"Softmax", 13},   {"LogSoftmax", 13}, {"Hardmax", 13},
    {"Gather", 11}, {"Concat", 11},        {"Flatten", 11},   {"TopK", 11},    {"ArgMax", 12},
    {"ArgMin", 12}, {"MaxPool", 12},       {"Scatter", 11},   {"OneHot", 11},  {"Round", 11}};

}  // namespace

void check_opset_for_qdq(const Model& model, const std::string& what) {
  const std::int64_t opset = model.opset();
  if (opset >= 13) return;
  if (opset < 10)
    throw Error(what + ": opset " + std::to_string(opset) +
                " is older than 10, the first with QuantizeLinear and DequantizeLinear; convert the model to "
                "opset 13 or newer (onnx.version_converter) and quantize that");
  for (const auto& n : model.graph().node()) {
    if (!n.domain().empty() && n.domain() != "ai.onnx") continue;
    auto it = kChangedBy13.find(n.op_type());
    if (it != kChangedBy13.end() && it->second > opset)
      throw Error(what + ": opset " + std::to_string(opset) + ": node '" + n.name() + "' (" + n.op_type() +
                  ") changed in opset " + std::to_string(it->second) +
                  ", and Q/DQ per channel needs opset 13; convert the model to opset 13 or newer "
                  "(onnx.version_converter) and quantize that");
  }
}

}  // namespace yoloq
