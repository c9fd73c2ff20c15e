#pragma once
// ONNX graphs written node by node with the names given: the one builder behind the synthesized
// YOLO graphs (src/synth/onnx_graph_builder.hpp names their nodes as torch.onnx does, on top of
// this one) and behind the small graphs of the tests. Nodes stay in the order they are added and
// nothing is validated, so a test can also build the broken graphs it needs (cycles, tensors
// nothing produces).
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "yoloq/onnx/model.hpp"
#include "yoloq/tensor/tensor.hpp"

namespace yoloq {

// A Tensor attribute is a Constant's value.
using AttributeValue =
    std::variant<std::int64_t, std::vector<std::int64_t>, float, std::string, Tensor>;
using Attributes = std::vector<std::pair<std::string, AttributeValue>>;

// A 1-D INT64 tensor: shapes, axes, split sizes.
Tensor int64_vector(const std::vector<std::int64_t>& values);
// A float32 tensor of `shape`; `values` has one value per element.
Tensor float_tensor(std::vector<std::int64_t> shape, const std::vector<float>& values);

class GraphBuilder {
 public:
  // An empty model importing the default-domain `opset`, its graph named "main_graph" as
  // torch.onnx names it.
  explicit GraphBuilder(std::int64_t opset = 19, std::int64_t ir_version = 9);
  // Goes on with `model`: what is added comes after what its graph already has.
  explicit GraphBuilder(Model model) : model_(std::move(model)) {}

  // A graph input or output; a negative dimension is the dynamic "batch".
  void input(const std::string& name, const std::vector<std::int64_t>& shape,
             std::int32_t elem_type = onnx::TensorProto::FLOAT);
  void output(const std::string& name, const std::vector<std::int64_t>& shape = {},
              std::int32_t elem_type = onnx::TensorProto::FLOAT);
  void initializer(const std::string& name, const Tensor& value);
  onnx::NodeProto& node(const std::string& op, const std::string& name,
                        const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const Attributes& attributes = {});
  static void set_attribute(onnx::NodeProto& node, const std::string& name,
                            const AttributeValue& value);

  // For graphs whose structure is what matters: a Conv `name` with weight "<name>.weight"
  // [cout, cin, k, k] valued (i % 7 - 3) * 0.1 + 0.05 (no channel all zero) and bias
  // "<name>.bias" valued 0.01 * channel, padded to keep the spatial size.
  onnx::NodeProto& conv(const std::string& name, const std::string& x, const std::string& out,
                        std::int64_t cout, std::int64_t cin, std::int64_t k = 1, bool bias = true);
  // conv() "<name>/conv" and SiLU as exported, Mul(x, Sigmoid(x)) ("<name>/sigmoid",
  // "<name>/mul"); returns the Mul's output, "<name>/out".
  std::string conv_silu(const std::string& name, const std::string& x, std::int64_t cout,
                        std::int64_t cin, std::int64_t k = 1);

  Model& model() { return model_; }
  onnx::GraphProto& graph() { return model_.graph(); }

 private:
  Model model_;
};

}  // namespace yoloq
