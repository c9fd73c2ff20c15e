#pragma once
// Builds small ONNX graphs inside tests: inputs, outputs, convolutions with deterministic
// weights, SiLU as Sigmoid * Mul, and arbitrary nodes.
#include <string>
#include <vector>

#include "yoloq/onnx/model.hpp"
#include "yoloq/tensor/tensor.hpp"

namespace yoloq::testing {

class GraphBuilder {
 public:
  explicit GraphBuilder(std::int64_t opset = 19) {
    model_.proto.set_ir_version(9);
    model_.proto.add_opset_import()->set_version(opset);
    model_.proto.mutable_graph()->set_name("test");
  }

  void input(const std::string& name, std::vector<std::int64_t> shape) { add_value(model_.graph().add_input(), name, shape); }
  void output(const std::string& name, std::vector<std::int64_t> shape = {}) { add_value(model_.graph().add_output(), name, shape); }

  onnx::NodeProto& node(const std::string& op, const std::string& name, std::vector<std::string> inputs,
                        std::vector<std::string> outputs) {
    auto* n = model_.graph().add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (auto& i : inputs) n->add_input(i);
    for (auto& o : outputs) n->add_output(o);
    return *n;
  }

  static void attr(onnx::NodeProto& n, const std::string& name, std::int64_t v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr(onnx::NodeProto& n, const std::string& name, std::vector<std::int64_t> v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
  }

  void initializer(const std::string& name, const Tensor& t) { *model_.graph().add_initializer() = to_proto(t, name); }

  // Weights: value (i % 7 - 3) * 0.1, distinct per element, all channels non-zero.
  void conv(const std::string& name, const std::string& x, const std::string& out, std::int64_t cout, std::int64_t cin,
            std::int64_t k = 1, bool bias = true) {
    Tensor w(DType::Float32, {cout, cin, k, k});
    auto v = w.values<float>();
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(static_cast<int>(i % 7) - 3) * 0.1f + 0.05f;
    initializer(name + ".weight", w);
    std::vector<std::string> inputs{x, name + ".weight"};
    if (bias) {
      Tensor b(DType::Float32, {cout});
      for (std::size_t i = 0; i < b.numel(); ++i) b.values<float>()[i] = 0.01f * static_cast<float>(i);
      initializer(name + ".bias", b);
      inputs.push_back(name + ".bias");
    }
    auto& n = node("Conv", name, inputs, {out});
    attr(n, "kernel_shape", std::vector<std::int64_t>{k, k});
    attr(n, "pads", std::vector<std::int64_t>{k / 2, k / 2, k / 2, k / 2});
  }

  // Conv followed by SiLU exported as Mul(x, Sigmoid(x)); returns the Mul's output name.
  std::string conv_silu(const std::string& name, const std::string& x, std::int64_t cout, std::int64_t cin, std::int64_t k = 1) {
    conv(name + "/conv", x, name + "/conv_out", cout, cin, k);
    node("Sigmoid", name + "/sigmoid", {name + "/conv_out"}, {name + "/sigmoid_out"});
    node("Mul", name + "/mul", {name + "/conv_out", name + "/sigmoid_out"}, {name + "/out"});
    return name + "/out";
  }

  Model& model() { return model_; }

 private:
  static void add_value(onnx::ValueInfoProto* v, const std::string& name, const std::vector<std::int64_t>& shape) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    auto* s = tt->mutable_shape();
    for (auto d : shape) s->add_dim()->set_dim_value(d);
  }

  Model model_;
};

inline Tensor int64_tensor(std::vector<std::int64_t> values) {
  Tensor t(DType::Int64, {static_cast<std::int64_t>(values.size())});
  std::copy(values.begin(), values.end(), t.values<std::int64_t>().begin());
  return t;
}

inline Tensor float_tensor(std::vector<std::int64_t> shape, std::vector<float> values) {
  Tensor t(DType::Float32, std::move(shape));
  std::copy(values.begin(), values.end(), t.values<float>().begin());
  return t;
}

}  // namespace yoloq::testing
