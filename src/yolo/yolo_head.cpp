#include "yoloq/yolo/yolo_head.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <map>

namespace yoloq {

namespace {

// The DFL's expectation: a 1x1 Conv from reg_max bins to one value (weights 0..reg_max-1).
// Returns reg_max, or 0 when `node` is not one.
int dfl_bins(const GraphIndex& index, const onnx::NodeProto& node) {
  if (node.op_type() != "Conv" || node.input_size() < 2) return 0;
  const auto* w = index.initializer(node.input(1));
  if (!w || w->dims_size() != 4 || w->dims(0) != 1 || w->dims(1) < 2 || w->dims(2) != 1 || w->dims(3) != 1) return 0;
  return static_cast<int>(w->dims(1));
}

std::optional<std::size_t> producer_of_type(const GraphIndex& index, const std::string& tensor, const std::string& op) {
  auto p = index.producer(tensor);
  if (p && index.node(*p).op_type() == op) return p;
  return std::nullopt;
}

// Shape and Size read a tensor's dimensions, not its values: a dynamic export computes its anchor
// grid from the feature maps' shapes, which makes neither those maps nor that grid part of a head.
bool reads_shape_only(const onnx::NodeProto& node) { return node.op_type() == "Shape" || node.op_type() == "Size"; }

// Walks upstream from `start` through shape-only and joining ops until it meets convolutions.
std::set<std::size_t> convs_upstream(const GraphIndex& index, const std::string& start) {
  static const std::set<std::string> passthrough{"Reshape", "Transpose", "Concat", "Split", "Slice", "Flatten"};
  std::set<std::size_t> convs, seen;
  std::deque<std::string> todo{start};
  while (!todo.empty()) {
    auto tensor = todo.front();
    todo.pop_front();
    auto p = index.producer(tensor);
    if (!p || !seen.insert(*p).second) continue;
    const auto& node = index.node(*p);
    if (node.op_type() == "Conv") {
      convs.insert(*p);
    } else if (passthrough.count(node.op_type())) {
      for (const auto& in : node.input())
        if (!in.empty() && !index.is_constant(in)) todo.push_back(in);
    }
  }
  return convs;
}

// Every node downstream of the output convolutions.
std::set<std::size_t> downstream_of(const GraphIndex& index, const std::set<std::size_t>& output_convs) {
  std::set<std::size_t> tail;
  std::deque<std::size_t> todo(output_convs.begin(), output_convs.end());
  while (!todo.empty()) {
    std::size_t n = todo.front();
    todo.pop_front();
    for (const auto& out : index.node(n).output())
      for (std::size_t c : index.consumers(out))
        if (!output_convs.count(c) && !reads_shape_only(index.node(c)) && tail.insert(c).second) todo.push_back(c);
  }
  return tail;
}

// The nodes feeding `tail` that compute from shapes and constants only: a dynamic export's anchor
// grid and strides (Shape -> Range -> ... -> the decode's Add and Mul). Their values are the same
// for every image, so they belong to the decoding; quantizing an anchor grid moves every box.
std::set<std::size_t> shape_arithmetic_feeding(const GraphIndex& index, const std::set<std::size_t>& tail) {
  std::map<std::size_t, bool> memo;
  // True when a node's value does not depend on any graph input's values.
  std::function<bool(std::size_t)> from_shapes = [&](std::size_t n) {
    if (auto it = memo.find(n); it != memo.end()) return it->second;
    memo[n] = false;  // a cycle cannot occur in a valid graph; this only stops recursion
    const auto& node = index.node(n);
    bool result = reads_shape_only(node);
    if (!result) {
      result = true;
      for (const auto& in : node.input()) {
        if (in.empty() || index.is_constant(in)) continue;
        const auto p = index.producer(in);
        if (!p || !from_shapes(*p)) {
          result = false;
          break;
        }
      }
    }
    return memo[n] = result;
  };
  std::set<std::size_t> found;
  std::deque<std::size_t> todo(tail.begin(), tail.end());
  while (!todo.empty()) {
    const auto& node = index.node(todo.front());
    todo.pop_front();
    for (const auto& in : node.input()) {
      if (in.empty() || index.is_constant(in)) continue;
      const auto p = index.producer(in);
      if (p && !tail.count(*p) && from_shapes(*p) && found.insert(*p).second) todo.push_back(*p);
    }
  }
  return found;
}

// The last convolutions before the graph's outputs: walking upstream from every output through
// any other op, the first Conv met on each path.
std::set<std::size_t> last_convs(const GraphIndex& index) {
  std::set<std::size_t> convs, seen;
  std::deque<std::string> todo;
  for (const auto& out : index.graph().output()) todo.push_back(out.name());
  while (!todo.empty()) {
    auto p = index.producer(todo.front());
    todo.pop_front();
    if (!p || !seen.insert(*p).second) continue;
    const auto& node = index.node(*p);
    if (node.op_type() == "Conv") {
      convs.insert(*p);
      continue;
    }
    if (reads_shape_only(node)) continue;
    for (const auto& in : node.input())
      if (!in.empty() && !index.is_constant(in)) todo.push_back(in);
  }
  return convs;
}

// The DFL: Reshape -> Transpose -> Softmax -> a 1x1 Conv over reg_max bins. Fills the DFL nodes
// and the box convolutions (those feeding its Reshape).
bool find_dfl(const GraphIndex& index, YoloHead& head) {
  for (std::size_t i : index.topological_order()) {
    const auto& softmax = index.node(i);
    if (softmax.op_type() != "Softmax") continue;
    const auto& consumers = index.consumers(softmax.output(0));
    if (consumers.size() != 1) continue;
    const int bins = dfl_bins(index, index.node(consumers[0]));
    if (bins == 0) continue;
    auto transpose = producer_of_type(index, softmax.input(0), "Transpose");
    if (!transpose) continue;
    auto reshape = producer_of_type(index, index.node(*transpose).input(0), "Reshape");
    if (!reshape) continue;
    auto box_convs = convs_upstream(index, index.node(*reshape).input(0));
    if (box_convs.empty()) continue;
    head.dfl_softmax = i;
    head.dfl_conv = consumers[0];
    head.reg_max = bins;
    head.box_convs = std::move(box_convs);
    return true;
  }
  return false;
}

// True when walking upstream from `tensor` through joins and reshapes meets a Slice: a keypoint
// visibility Sigmoid reads a Slice of the keypoint channels; the class scores are read whole.
bool reads_a_slice(const GraphIndex& index, const std::string& tensor) {
  static const std::set<std::string> joins{"Reshape", "Transpose", "Concat", "Split", "Flatten"};
  std::deque<std::string> todo{tensor};
  std::set<std::size_t> seen;
  while (!todo.empty()) {
    auto p = index.producer(todo.front());
    todo.pop_front();
    if (!p || !seen.insert(*p).second) continue;
    const auto& node = index.node(*p);
    if (node.op_type() == "Slice") return true;
    if (joins.count(node.op_type()))
      for (const auto& in : node.input())
        if (!in.empty() && !index.is_constant(in)) todo.push_back(in);
  }
  return false;
}

// The class probabilities: a Sigmoid over the class convolutions of `min_levels` or more levels
// joined by Reshape/Concat (a SiLU's Sigmoid reads one convolution directly), all of them output
// convolutions, not a slice of keypoints, and not the angle's (that one feeds a Sub).
std::optional<std::size_t> find_class_sigmoid(const GraphIndex& index, const std::set<std::size_t>& output_convs,
                                              std::size_t min_levels, std::set<std::size_t>& class_convs) {
  for (std::size_t i : index.topological_order()) {
    const auto& sigmoid = index.node(i);
    if (sigmoid.op_type() != "Sigmoid") continue;
    const auto input = index.producer(sigmoid.input(0));
    if (!input || index.node(*input).op_type() == "Conv") continue;
    auto convs = convs_upstream(index, sigmoid.input(0));
    if (convs.size() < min_levels || !std::includes(output_convs.begin(), output_convs.end(), convs.begin(), convs.end()))
      continue;
    if (reads_a_slice(index, sigmoid.input(0))) continue;
    bool arithmetic = false;
    for (std::size_t c : index.consumers(sigmoid.output(0)))
      arithmetic |= index.node(c).op_type() == "Sub" || index.node(c).op_type() == "Mul";
    if (arithmetic) continue;
    class_convs = std::move(convs);
    return i;
  }
  return std::nullopt;
}

// The nodes that feed only `output`: walking upstream from that graph output, the branch of its
// own (a segment model's Proto module), up to where it meets what other outputs read.
std::set<std::size_t> exclusive_branch(const GraphIndex& index, const std::string& output) {
  std::set<std::string> outputs;
  for (const auto& o : index.graph().output()) outputs.insert(o.name());
  std::set<std::size_t> branch;
  std::deque<std::string> todo{output};
  while (!todo.empty()) {
    auto p = index.producer(todo.front());
    todo.pop_front();
    if (!p || branch.count(*p)) continue;
    const auto& node = index.node(*p);
    bool only_branch = true;
    for (const auto& out : node.output()) {
      if (out != output && outputs.count(out)) only_branch = false;
      for (std::size_t c : index.consumers(out)) only_branch &= branch.count(c) > 0;
    }
    if (!only_branch) continue;
    branch.insert(*p);
    for (const auto& in : node.input())
      if (!in.empty() && !index.is_constant(in)) todo.push_back(in);
  }
  return branch;
}

// A segment model's prototypes: a rank-4 graph output whose branch holds convolutions.
std::set<std::size_t> find_prototypes(const GraphIndex& index) {
  for (const auto& out : index.graph().output()) {
    if (!out.type().tensor_type().has_shape() || out.type().tensor_type().shape().dim_size() != 4) continue;
    auto branch = exclusive_branch(index, out.name());
    for (std::size_t n : branch)
      if (index.node(n).op_type() == "Conv") return branch;
  }
  return {};
}

// The end-to-end selection: every TopK of the decoding, what follows them, and the score
// reduction, split and transpose that only feed them.
std::set<std::size_t> find_selection(const GraphIndex& index, const std::set<std::size_t>& tail) {
  static const std::set<std::string> feeds{"ReduceMax", "Split", "Transpose"};
  std::set<std::size_t> selection;
  std::deque<std::size_t> todo;
  for (std::size_t n : tail)
    if (index.node(n).op_type() == "TopK") todo.push_back(n);
  while (!todo.empty()) {  // downstream
    std::size_t n = todo.front();
    todo.pop_front();
    if (!selection.insert(n).second) continue;
    for (const auto& out : index.node(n).output())
      for (std::size_t c : index.consumers(out)) todo.push_back(c);
  }
  for (bool grew = true; grew;) {  // upstream, while a node only feeds the selection
    grew = false;
    for (std::size_t n : tail) {
      if (selection.count(n) || !feeds.count(index.node(n).op_type())) continue;
      bool only = true;
      for (const auto& out : index.node(n).output())
        for (std::size_t c : index.consumers(out)) only &= selection.count(c) > 0;
      if (only) grew = selection.insert(n).second;
    }
  }
  return selection;
}

// A classify model: Softmax <- Gemm/MatMul (+Add) <- Flatten/Reshape <- a global pool.
bool is_classifier(const GraphIndex& index) {
  if (index.graph().output_size() != 1) return false;
  auto p = index.producer(index.graph().output(0).name());
  if (!p || index.node(*p).op_type() != "Softmax") return false;
  p = index.producer(index.node(*p).input(0));
  if (p && index.node(*p).op_type() == "Add") p = index.producer(index.node(*p).input(0));
  if (!p || (index.node(*p).op_type() != "Gemm" && index.node(*p).op_type() != "MatMul")) return false;
  p = index.producer(index.node(*p).input(0));
  if (p && (index.node(*p).op_type() == "Flatten" || index.node(*p).op_type() == "Reshape"))
    p = index.producer(index.node(*p).input(0));
  static const std::set<std::string> pools{"GlobalAveragePool", "AveragePool", "ReduceMean", "GlobalMaxPool"};
  return p && pools.count(index.node(*p).op_type());
}

bool has_op(const GraphIndex& index, const std::set<std::size_t>& nodes, const std::set<std::string>& ops) {
  return std::any_of(nodes.begin(), nodes.end(), [&](std::size_t n) { return ops.count(index.node(n).op_type()) > 0; });
}

}  // namespace

std::string head_kind_name(HeadKind kind) {
  switch (kind) {
    case HeadKind::Detect: return "detect";
    case HeadKind::Segment: return "segment";
    case HeadKind::Pose: return "pose";
    case HeadKind::Obb: return "obb";
    case HeadKind::Classify: return "classify";
  }
  return "?";
}

std::optional<YoloHead> find_yolo_head(const GraphIndex& index) {
  YoloHead head;
  const auto last = last_convs(index);
  if (last.empty()) return std::nullopt;
  if (is_classifier(index)) {
    head.kind = HeadKind::Classify;
    head.output_convs = head.task_convs = last;
    head.tail = downstream_of(index, head.output_convs);
    return head;
  }
  const bool dfl = find_dfl(index, head);
  head.output_convs = last;
  if (dfl) {  // the DFL's Conv is a last convolution, but the box convolutions are behind it
    head.output_convs.erase(*head.dfl_conv);
    head.output_convs.insert(head.box_convs.begin(), head.box_convs.end());
  }
  // Without a DFL the class Sigmoid is what identifies the head, so it must join several levels.
  head.class_sigmoid = find_class_sigmoid(index, head.output_convs, dfl ? 1 : 2, head.class_convs);
  if (!dfl && !head.class_sigmoid) return std::nullopt;
  head.prototypes = find_prototypes(index);
  head.tail = downstream_of(index, head.output_convs);
  for (std::size_t n : shape_arithmetic_feeding(index, head.tail)) head.tail.insert(n);
  head.selection = find_selection(index, head.tail);
  std::set<std::size_t> rest;  // neither box nor class nor prototypes
  for (std::size_t conv : head.output_convs)
    if (!head.box_convs.count(conv) && !head.class_convs.count(conv) && !head.prototypes.count(conv)) rest.insert(conv);
  if (!dfl) {  // DFL-free: the box convolutions are the last ones that are not class convolutions
    head.box_convs = std::move(rest);
    rest.clear();
  }
  head.task_convs = std::move(rest);
  if (!head.prototypes.empty())
    head.kind = HeadKind::Segment;
  else if (has_op(index, head.tail, {"Cos", "Sin"}))
    head.kind = HeadKind::Obb;
  else if (!head.task_convs.empty())
    head.kind = HeadKind::Pose;
  return head;
}

std::string YoloHead::description() const {
  std::string text = head_kind_name(kind) + ": ";
  if (kind == HeadKind::Classify)
    return text + "pool, Linear and Softmax after " + std::to_string(output_convs.size()) + " output convolution";
  text += dfl_conv ? "DFL (reg_max " + std::to_string(reg_max) + ")" : "no DFL";
  std::set<std::size_t> box_class = box_convs;
  box_class.insert(class_convs.begin(), class_convs.end());
  text += ", " + std::to_string(box_class.size()) + " box/class";
  static const std::map<HeadKind, std::string> task_part{
      {HeadKind::Segment, "mask-coefficient"}, {HeadKind::Pose, "keypoint"}, {HeadKind::Obb, "angle"}};
  if (task_part.count(kind)) text += " + " + std::to_string(task_convs.size()) + " " + task_part.at(kind);
  text += " output convolutions";
  if (!prototypes.empty()) text += ", a " + std::to_string(prototypes.size()) + "-node prototype branch";
  text += ", " + std::to_string(tail.size()) + " decode nodes";
  if (end_to_end()) text += " (end-to-end selection: " + std::to_string(selection.size()) + " nodes)";
  return text;
}

}  // namespace yoloq
