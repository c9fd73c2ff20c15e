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

namespace {

// The tensor's only reader, when it has exactly one and is not a graph output.
std::optional<std::size_t> only_reader(const GraphIndex& index, const std::string& tensor) {
  const auto& readers = index.consumers(tensor);
  if (readers.size() != 1 || index.is_graph_output(tensor)) return std::nullopt;
  return readers[0];
}

std::optional<std::vector<std::int64_t>> int64_constant(const GraphIndex& index, const std::string& name) {
  const auto* init = index.initializer(name);
  if (!init || init->data_type() != onnx::TensorProto::INT64) return std::nullopt;
  const Tensor t = to_tensor(*init);
  const auto values = t.values<std::int64_t>();
  return std::vector<std::int64_t>(values.begin(), values.end());
}

bool has_axis(const onnx::NodeProto& node, std::int64_t axis, std::int64_t same_axis_from_end) {
  const auto* a = find_attribute(node, "axis");
  return a && (a->i() == axis || a->i() == same_axis_from_end);
}

}  // namespace

std::optional<BranchJoinNodes> match_branch_join(const GraphIndex& index, std::size_t split) {
  const auto& sp = index.node(split);
  if (sp.op_type() != "Split" || !has_axis(sp, 1, -2)) return std::nullopt;
  BranchJoinNodes join;
  join.split = split;
  if (sp.input_size() > 1 && !sp.input(1).empty()) {
    const auto sizes = int64_constant(index, sp.input(1));
    if (!sizes) return std::nullopt;
    join.channels = *sizes;
  } else {
    join.channels = attribute_ints(sp, "split");  // before opset 13
  }
  if (join.channels.size() < 2 || static_cast<int>(join.channels.size()) != sp.output_size()) return std::nullopt;
  const auto anchors = index.producer(sp.input(0));
  if (!anchors || index.node(*anchors).op_type() != "Concat" || !has_axis(index.node(*anchors), 2, -1) ||
      only_reader(index, sp.input(0)) != split)
    return std::nullopt;
  join.anchors_concat = *anchors;
  std::int64_t total = 0;
  for (auto c : join.channels) total += c;
  for (const auto& level : index.node(*anchors).input()) {
    const auto reshape = index.producer(level);
    if (!reshape || only_reader(index, level) != *anchors) return std::nullopt;
    const auto& r = index.node(*reshape);
    const auto shape = r.op_type() == "Reshape" ? int64_constant(index, r.input(1)) : std::nullopt;
    if (!shape || shape->size() != 3 || (*shape)[1] != total || (*shape)[2] != -1 || (*shape)[0] < 0 ||
        attribute_int(r, "allowzero", 0) != 0)
      return std::nullopt;
    if (join.reshapes.empty()) join.batch = (*shape)[0];
    if ((*shape)[0] != join.batch) return std::nullopt;
    const auto concat = index.producer(r.input(0));
    if (!concat || only_reader(index, r.input(0)) != *reshape) return std::nullopt;
    const auto& c = index.node(*concat);
    if (c.op_type() != "Concat" || !has_axis(c, 1, -3) || c.input_size() != static_cast<int>(join.channels.size()))
      return std::nullopt;
    for (int k = 0; k < c.input_size(); ++k) {
      const auto conv = index.producer(c.input(k));
      const auto* w = conv && index.node(*conv).op_type() == "Conv" && index.node(*conv).input_size() > 1
                          ? index.initializer(index.node(*conv).input(1))
                          : nullptr;
      if (!w || w->dims_size() < 1 || w->dims(0) != join.channels[static_cast<std::size_t>(k)]) return std::nullopt;
    }
    join.level_concats.push_back(*concat);
    join.reshapes.push_back(*reshape);
  }
  return join;
}

std::vector<std::string> branch_join_node_names(const GraphIndex& index, const BranchJoinNodes& join) {
  std::vector<std::string> names;
  for (std::size_t l = 0; l < join.level_concats.size(); ++l) {
    names.push_back(index.node_name(join.level_concats[l]));
    names.push_back(index.node_name(join.reshapes[l]));
  }
  names.push_back(index.node_name(join.anchors_concat));
  names.push_back(index.node_name(join.split));
  return names;
}

std::vector<FloatRewrite> plan_float_rewrites(const GraphIndex& index, const std::optional<YoloHead>& head,
                                              Target target, YoloHeadMode preset) {
  if (target != Target::OrtCpu || preset == YoloHeadMode::Int8 || !head) return {};
  std::vector<FloatRewrite> rewrites;
  for (std::size_t n : head->tail)
    if (const auto join = match_branch_join(index, n))
      rewrites.push_back({kBranchesJoinedApart, branch_join_node_names(index, *join), "ort-cpu.head-branches-joined-apart"});
  if (head->dfl_softmax)
    if (const auto dfl = match_dfl(index, *head->dfl_softmax))
      rewrites.push_back({kDflLastAxisSoftmax,
                          {index.node_name(dfl->transpose), index.node_name(dfl->softmax), index.node_name(dfl->conv)},
                          "ort-cpu.dfl-last-axis-softmax"});
  return rewrites;
}

}  // namespace yoloq
