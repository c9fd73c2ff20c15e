#include "yoloq/yolo/detect_head.hpp"

#include <algorithm>
#include <deque>

namespace yoloq {

namespace {

bool is_dfl_conv(const GraphIndex& index, const onnx::NodeProto& node) {
  if (node.op_type() != "Conv" || node.input_size() < 2) return false;
  const auto* w = index.initializer(node.input(1));
  return w && w->dims_size() == 4 && w->dims(0) == 1 && w->dims(1) == 16 && w->dims(2) == 1 && w->dims(3) == 1;
}

std::optional<std::size_t> producer_of_type(const GraphIndex& index, const std::string& tensor, const std::string& op) {
  auto p = index.producer(tensor);
  if (p && index.node(*p).op_type() == op) return p;
  return std::nullopt;
}

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
        if (!output_convs.count(c) && tail.insert(c).second) todo.push_back(c);
  }
  return tail;
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
    for (const auto& in : node.input())
      if (!in.empty() && !index.is_constant(in)) todo.push_back(in);
  }
  return convs;
}

std::optional<DetectHead> find_dfl_head(const GraphIndex& index) {
  for (std::size_t i : index.topological_order()) {
    const auto& softmax = index.node(i);
    if (softmax.op_type() != "Softmax") continue;
    const auto& consumers = index.consumers(softmax.output(0));
    if (consumers.size() != 1 || !is_dfl_conv(index, index.node(consumers[0]))) continue;
    auto transpose = producer_of_type(index, softmax.input(0), "Transpose");
    if (!transpose) continue;
    auto reshape = producer_of_type(index, index.node(*transpose).input(0), "Reshape");
    if (!reshape) continue;

    DetectHead head;
    head.dfl_softmax = i;
    head.dfl_conv = consumers[0];
    head.output_convs = convs_upstream(index, index.node(*reshape).input(0));
    if (head.output_convs.empty()) continue;
    // Ultralytics 8.4 exports reshape each branch apart (boxes, class scores, and a segment
    // model's mask coefficients or a pose model's keypoints) and join them only at the output, so
    // the branches that do not pass the DFL are found from the outputs: their last convolutions.
    for (std::size_t conv : last_convs(index))
      if (conv != *head.dfl_conv) head.output_convs.insert(conv);
    head.tail = downstream_of(index, head.output_convs);
    return head;
  }
  return std::nullopt;
}

std::optional<DetectHead> find_dfl_free_head(const GraphIndex& index) {
  const auto last = last_convs(index);
  for (std::size_t i : index.topological_order()) {
    const auto& sigmoid = index.node(i);
    if (sigmoid.op_type() != "Sigmoid") continue;
    // The class scores of several levels: a Sigmoid over Concat/Reshape of two or more of the
    // last convolutions (a SiLU's Sigmoid reads one convolution directly).
    const auto input = index.producer(sigmoid.input(0));
    if (!input || index.node(*input).op_type() == "Conv") continue;
    const auto class_convs = convs_upstream(index, sigmoid.input(0));
    if (class_convs.size() < 2 || !std::includes(last.begin(), last.end(), class_convs.begin(), class_convs.end()))
      continue;
    DetectHead head;
    head.output_convs = last;
    head.tail = downstream_of(index, head.output_convs);
    return head;
  }
  return std::nullopt;
}

}  // namespace

std::optional<DetectHead> find_detect_head(const GraphIndex& index) {
  if (auto head = find_dfl_head(index)) return head;
  return find_dfl_free_head(index);
}

}  // namespace yoloq
