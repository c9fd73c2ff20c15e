#pragma once
// Small ONNX graphs written out in the tests, so that every expected index value can be read off
// the test itself.
#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

#include "test_support.hpp"
#include "yoloq/onnx/model.hpp"

namespace yoloq::testing {

inline onnx::NodeProto& add_node(onnx::GraphProto& graph, const std::string& op, const std::string& name,
                                 const std::vector<std::string>& inputs, const std::vector<std::string>& outputs) {
  auto& node = *graph.add_node();
  node.set_op_type(op);
  node.set_name(name);
  for (const auto& i : inputs) node.add_input(i);
  for (const auto& o : outputs) node.add_output(o);
  return node;
}

inline void add_value(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>& list, const std::string& name,
                      std::vector<std::int64_t> shape, std::int32_t elem_type = onnx::TensorProto::FLOAT) {
  auto& v = *list.Add();
  v.set_name(name);
  auto& tt = *v.mutable_type()->mutable_tensor_type();
  tt.set_elem_type(elem_type);
  auto& s = *tt.mutable_shape();
  for (auto d : shape) {
    if (d < 0) s.add_dim()->set_dim_param("batch");
    else s.add_dim()->set_dim_value(d);
  }
}

// y = x + w with x: float [1, n] and w: float [n] = 0, 0.5, 1, ... ; a valid model ONNX Runtime
// runs, with a weight big enough (n * 4 bytes) to go to external data when asked.
inline Model add_model(std::int64_t n) {
  Model model;
  model.proto.set_ir_version(9);
  model.proto.set_producer_name("yoloq-test");
  auto* opset = model.proto.add_opset_import();
  opset->set_domain("");
  opset->set_version(19);
  auto& g = model.graph();
  g.set_name("add");
  add_value(*g.mutable_input(), "x", {1, n});
  add_value(*g.mutable_output(), "y", {1, n});
  Tensor w(DType::Float32, {n});
  for (std::int64_t i = 0; i < n; ++i) w.values<float>()[static_cast<std::size_t>(i)] = 0.5f * static_cast<float>(i);
  *g.add_initializer() = to_proto(w, "w");
  add_node(g, "Add", "add", {"x", "w"}, {"y"});
  return model;
}

// Writes add_model(300) with its weight "w" (1200 bytes) declared as external data at
// `location`, and does not write the data: the test decides what, if anything, is there.
inline void write_model_with_external_weight(const std::filesystem::path& model_path, const std::string& location) {
  Model model = add_model(300);
  auto& w = *model.graph().mutable_initializer(0);
  w.clear_raw_data();
  w.set_data_location(onnx::TensorProto::EXTERNAL);
  auto* entry = w.add_external_data();
  entry->set_key("location");
  entry->set_value(location);
  spit(model_path, model.proto.SerializeAsString());
}

}  // namespace yoloq::testing
