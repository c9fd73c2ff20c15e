#pragma once
// Names that no node or tensor of a graph uses yet, for the nodes and tensors a pass adds (a "_1",
// "_2" suffix where the name is taken).
#include <set>
#include <string>

#include "yoloq/onnx/model.hpp"

namespace yoloq {

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
