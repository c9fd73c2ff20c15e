#pragma once
// Stage 1, load: the only module that reads and writes ONNX files. A Model owns the ModelProto
// with all external data read in; a GraphIndex answers structural questions (producers,
// consumers, initializers, topological order, element types, node names). Analyses ask the index;
// the transforms (write stage, synth) build and edit NodeProtos directly.
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "yoloq/tensor/tensor.hpp"

namespace yoloq {

struct Model {
  onnx::ModelProto proto;
  std::filesystem::path path;  // where it was loaded from (empty when built in memory)

  onnx::GraphProto& graph() { return *proto.mutable_graph(); }
  const onnx::GraphProto& graph() const { return proto.graph(); }
  std::int64_t opset(const std::string& domain = "") const;  // 0 when the domain is not imported
};

// Reads a model file; external data is read from files inside the model's folder only.
Model load_model(const std::filesystem::path& path);
Model parse_model(const std::string& bytes, const std::string& what);  // no external data

struct SaveOptions {
  bool external_data = false;  // weights in "<name>.data" beside the model
  // Above this serialized size external data is used regardless (protobuf's 2 GB limit). Tests
  // lower it to exercise the external-data path with small models.
  std::uint64_t external_data_threshold = (std::uint64_t{1} << 31) - (std::uint64_t{1} << 20);
  std::uint64_t external_min_bytes = 1024;  // initializers smaller than this stay inline
};
void save_model(const Model& model, const std::filesystem::path& path, const SaveOptions& options = {});
// Protobuf cannot serialize a message larger than this (2 GB - 1).
inline constexpr std::uint64_t kMaxSerializedModelBytes = (std::uint64_t{1} << 31) - 1;
std::string serialize_model(const Model& model);  // in memory; throws above kMaxSerializedModelBytes

struct ValueInfo {
  std::string name;
  std::int32_t elem_type = 0;       // onnx::TensorProto_DataType
  std::vector<std::int64_t> shape;  // -1 for a dynamic dimension
  std::vector<std::string> dim_names;
  bool has_shape = false;
};
std::string elem_type_name(std::int32_t elem_type);  // "float32", "int8", ...

class GraphIndex {
 public:
  explicit GraphIndex(const onnx::GraphProto& graph);

  const onnx::GraphProto& graph() const { return *graph_; }
  std::size_t node_count() const { return static_cast<std::size_t>(graph_->node_size()); }
  const onnx::NodeProto& node(std::size_t i) const { return graph_->node(static_cast<int>(i)); }

  // Index of the node producing `tensor`; nullopt for graph inputs, initializers, unknown names.
  std::optional<std::size_t> producer(const std::string& tensor) const;
  // Indices of nodes reading `tensor`, in graph order (each node once).
  const std::vector<std::size_t>& consumers(const std::string& tensor) const;
  const onnx::TensorProto* initializer(const std::string& name) const;
  bool is_initializer(const std::string& name) const { return initializer(name) != nullptr; }
  bool is_graph_input(const std::string& name) const;
  bool is_graph_output(const std::string& name) const;
  // A tensor whose value is fixed: an initializer or the output of a Constant node.
  bool is_constant(const std::string& name) const;

  // Node indices, producers before consumers; ties keep graph order. Throws on a cycle.
  const std::vector<std::size_t>& topological_order() const { return topo_; }
  std::map<std::string, std::size_t> op_histogram() const;

  std::vector<ValueInfo> inputs() const;  // graph inputs that are not initializers
  std::vector<ValueInfo> outputs() const;
  // Type and shape of any tensor the model declares (inputs, outputs, value_info, initializers).
  std::optional<ValueInfo> value_info(const std::string& tensor) const;

  // How plans, reports and errors refer to a node: its name, or for an unnamed node
  // "<op_type>_<index>" (with "_" appended until it collides with no other node's name).
  // name_unnamed_nodes writes exactly these names into a model.
  const std::string& node_name(std::size_t node) const { return node_names_[node]; }
  // The node node_name() calls `name`; nullopt when there is none.
  std::optional<std::size_t> find_node(const std::string& name) const;

 private:
  void name_nodes();
  const onnx::GraphProto* graph_;
  std::unordered_map<std::string, std::size_t> producer_;
  std::unordered_map<std::string, std::vector<std::size_t>> consumers_;
  std::unordered_map<std::string, const onnx::TensorProto*> initializers_;
  std::unordered_map<std::string, const onnx::ValueInfoProto*> value_infos_;
  std::vector<std::string> input_names_, output_names_;
  std::vector<std::size_t> topo_;
  std::vector<std::string> node_names_;
  std::unordered_map<std::string, std::size_t> node_by_name_;
};

// Gives every unnamed node the name GraphIndex::node_name reports for it.
void name_unnamed_nodes(Model& model);

// Makes each of `tensors` that is not yet a graph output one (declared float32, shape left to the
// runtime), so that a session can return intermediate tensors.
void expose_as_outputs(Model& model, const std::vector<std::string>& tensors);

// Attribute helpers, so callers do not walk AttributeProto lists.
const onnx::AttributeProto* find_attribute(const onnx::NodeProto& node, const std::string& name);
std::int64_t attribute_int(const onnx::NodeProto& node, const std::string& name, std::int64_t fallback);
std::vector<std::int64_t> attribute_ints(const onnx::NodeProto& node, const std::string& name);

// Initializer <-> Tensor (float32, float16, uint8, int8, int32, int64).
Tensor to_tensor(const onnx::TensorProto& proto);
onnx::TensorProto to_proto(const Tensor& tensor, const std::string& name);

}  // namespace yoloq

namespace yoloq {
// Element type of every tensor, from declarations where present and otherwise propagated through
// the graph by op semantics (Shape gives int64, Cast its "to", TopK's indices int64, most ops
// their first typed input's type). Unknown tensors are absent. The plan uses it so that shape
// arithmetic is never quantized; calibration to list the float activations.
std::map<std::string, std::int32_t> infer_elem_types(const GraphIndex& index);
// Whether `types` (from infer_elem_types) knows `tensor` as float32.
bool is_float32(const std::map<std::string, std::int32_t>& types, const std::string& tensor);

// Every float32 activation: the float graph inputs and every float node output that is not a
// constant (initializers and Constant outputs excluded), in topological order.
std::vector<std::string> float_activation_tensors(const GraphIndex& index);
inline std::vector<std::string> float_activation_tensors(const Model& model) {
  return float_activation_tensors(GraphIndex(model.graph()));
}
}  // namespace yoloq
