#include "yoloq/plan/float_rewrites.hpp"

#include <algorithm>

namespace yoloq {

std::optional<DflNodes> match_dfl(const GraphIndex& index, std::size_t softmax) {
  const auto& sm = index.node(softmax);
  if (sm.op_type() != "Softmax") return std::nullopt;
  const auto* axis = find_attribute(sm, "axis");
  if (!axis || (axis->i() != 1 && axis->i() != -3)) return std::nullopt;  // opset 13's default is -1
  const auto transpose = index.producer(sm.input(0));
  if (!transpose || index.node(*transpose).op_type() != "Transpose" ||
      attribute_ints(index.node(*transpose), "perm") != std::vector<std::int64_t>{0, 2, 1, 3})
    return std::nullopt;
  if (index.consumers(index.node(*transpose).output(0)).size() != 1) return std::nullopt;
  const auto& readers = index.consumers(sm.output(0));
  if (readers.size() != 1) return std::nullopt;
  const auto& conv = index.node(readers[0]);
  if (conv.op_type() != "Conv" || conv.input_size() != 2 || conv.input(0) != sm.output(0)) return std::nullopt;
  const auto* w = index.initializer(conv.input(1));
  if (!w || w->data_type() != onnx::TensorProto::FLOAT || w->dims_size() != 4 || w->dims(0) != 1 || w->dims(2) != 1 ||
      w->dims(3) != 1)
    return std::nullopt;
  auto all_equal = [&](const char* attribute, std::int64_t value) {
    const auto values = attribute_ints(conv, attribute);
    return std::all_of(values.begin(), values.end(), [&](std::int64_t v) { return v == value; });
  };
  if (!all_equal("pads", 0) || !all_equal("strides", 1) || !all_equal("dilations", 1)) return std::nullopt;
  if (attribute_int(conv, "group", 1) != 1) return std::nullopt;
  return DflNodes{*transpose, softmax, readers[0]};
}

std::vector<FloatRewrite> plan_float_rewrites(const GraphIndex& index, const std::optional<YoloHead>& head,
                                              Target target, YoloHeadMode preset) {
  if (target != Target::OrtCpu || preset == YoloHeadMode::Int8 || !head || !head->dfl_softmax) return {};
  const auto dfl = match_dfl(index, *head->dfl_softmax);
  if (!dfl) return {};
  return {{kDflLastAxisSoftmax,
           {index.node_name(dfl->transpose), index.node_name(dfl->softmax), index.node_name(dfl->conv)},
           "ort-cpu.dfl-last-axis-softmax"}};
}

}  // namespace yoloq
