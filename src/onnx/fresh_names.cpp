#include "yoloq/onnx/fresh_names.hpp"

namespace yoloq {

FreshNames::FreshNames(const onnx::GraphProto& graph) {
  for (const auto& n : graph.node()) {
    nodes_.insert(n.name());
    for (const auto& o : n.output()) tensors_.insert(o);
  }
  for (const auto& t : graph.initializer()) tensors_.insert(t.name());
  for (const auto& v : graph.input()) tensors_.insert(v.name());
}

std::string FreshNames::take(std::set<std::string>& used, const std::string& base) {
  std::string name = base;
  for (int k = 1; used.count(name); ++k) name = base + "_" + std::to_string(k);
  used.insert(name);
  return name;
}

}  // namespace yoloq
