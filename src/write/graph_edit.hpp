#pragma once
// The writer's building blocks for editing a graph: new nodes, and names that no node or tensor of
// the graph uses yet (a "_1", "_2" suffix where the name is taken).
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "yoloq/onnx/model.hpp"

namespace yoloq {

onnx::NodeProto make_node(const std::string& op, const std::string& name, const std::vector<std::string>& inputs,
                          const std::string& output, std::optional<std::int64_t> axis = std::nullopt);
void set_ints(onnx::NodeProto& node, const std::string& attribute, const std::vector<std::int64_t>& values);

class FreshNames {
 public:
  // Every node, node output, initializer and graph input name of `graph` counts as used.
  explicit FreshNames(const onnx::GraphProto& graph);
  std::string node(const std::string& base) { return take(nodes_, base); }
  std::string tensor(const std::string& base) { return take(tensors_, base); }

 private:
  static std::string take(std::set<std::string>& used, const std::string& base);
  std::set<std::string> nodes_, tensors_;
};

}  // namespace yoloq
