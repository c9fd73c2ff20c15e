#pragma once
// The writer's building blocks for editing a graph: new nodes and their attributes (fresh names
// for them: yoloq/onnx/fresh_names.hpp).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "yoloq/onnx/fresh_names.hpp"
#include "yoloq/onnx/model.hpp"

namespace yoloq {

onnx::NodeProto make_node(const std::string& op, const std::string& name, const std::vector<std::string>& inputs,
                          const std::string& output, std::optional<std::int64_t> axis = std::nullopt);
void set_ints(onnx::NodeProto& node, const std::string& attribute, const std::vector<std::int64_t>& values);

}  // namespace yoloq
