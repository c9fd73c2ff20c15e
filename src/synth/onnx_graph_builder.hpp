#pragma once
// Builds an ONNX graph the way torch.onnx exports an nn.Module: nodes are named after the module
// scope they run in ("/model.2/m.0/cv1/conv/Conv", a second op of a type in one scope gets "_1"),
// outputs are "<node>_output_<i>", literal constants are deduplicated across the graph, and the
// nodes end up in the breadth-first topological order of the exported files. Parameters are
// declared with their role and filled in later (synthetic or copied), so that the graph's
// structure and its weights stay separate concerns. The nodes themselves are written by the
// generic GraphBuilder of yoloq/synth/graph_builder.hpp.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "synth/export_dialect.hpp"
#include "yoloq/synth/graph_builder.hpp"

namespace yoloq::yolo {

// What a parameter is for; synthetic weights are scaled by role.
enum class ParameterRole {
  HiddenConvWeight,   // a convolution followed by SiLU (BatchNorm folded in)
  LinearConvWeight,   // a convolution without activation (attention projections, FFN output)
  BoxOutputWeight,    // the Detect head's raw box distribution logits
  ClassOutputWeight,  // the Detect head's raw class logits
  DflWeight,          // the DFL's fixed 0..reg_max-1 projection
  Bias,               // the bias of the preceding weight (same output channels)
};

struct ParameterSpec {
  std::string name;
  std::vector<std::int64_t> shape;
  ParameterRole role = ParameterRole::HiddenConvWeight;
  ParameterRole weight_role = ParameterRole::HiddenConvWeight;  // for a bias: its weight's role
  // For a weight: the standard deviation that gives the convolution's output the second moment
  // its role calls for, given its input's (see yolo11_blocks.cpp); 0 for the fixed DFL weight.
  double weight_std = 0.0;
};

class OnnxGraphBuilder {
 public:
  explicit OnnxGraphBuilder(const ExportDialect& dialect) : dialect_(dialect) {}
  const ExportDialect& dialect() const { return dialect_; }

  // Leaves the scope entered by enter() when destroyed.
  class Scope {
   public:
    explicit Scope(OnnxGraphBuilder& builder) : builder_(&builder) {}
    ~Scope() { builder_->leave(); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    OnnxGraphBuilder* builder_;
  };

  // `scope` names the nodes ("cv2.0.0"); `parameter_path` names the weights ("0"), and differs
  // from the scope inside nn.Sequential, whose children torch.onnx scopes as "<parent>.<i>".
  [[nodiscard]] Scope enter(const std::string& scope,
                            std::optional<std::string> parameter_path = std::nullopt);

  void add_input(const std::string& name, const std::vector<std::int64_t>& shape);
  // Renames `tensor` (a node output) to `name` and declares it a graph output.
  void add_output(const std::string& tensor, const std::string& name,
                  const std::vector<std::int64_t>& shape);

  // A node of `op` in the current scope; returns its output names.
  std::vector<std::string> add_node(const std::string& op, const std::vector<std::string>& inputs,
                                    std::size_t output_count = 1,
                                    const Attributes& attributes = {});
  std::string add_node1(const std::string& op, const std::vector<std::string>& inputs,
                        const Attributes& attributes = {}) {
    return add_node(op, inputs, 1, attributes)[0];
  }

  // Renames the output `tensor` of the last node added to "<scope>/<label>_output_0", the name
  // of another op the exporter merged into that node; returns the new name.
  std::string rename_output(const std::string& tensor, const std::string& label);

  // A node that stood in the exporter's graph when it ordered the nodes but is gone from the
  // export: it passes `x` on, delays what consumes it by one step of the order, and finish()
  // removes it, wiring its consumers to `x`.
  std::string add_vanished_step(const std::string& x);

  // A constant written literally in the module's code (a shape, scale factor); named like the
  // exporter's folded Constant "<scope>/<label>[_k]_output_0", and shared with every other
  // literal of the same value. As the exporter's deduplication does, the shared constant keeps
  // the name of the one that the ordered graph uses first (see finish()).
  std::string literal_constant(const std::string& label, const Tensor& value);
  // A constant the exporter computed by folding (anchors, strides): never shared.
  std::string computed_constant(const std::string& label, const Tensor& value);
  // Split sizes, which the exporter names after the traced value's number: "onnx::Split_<id>".
  std::string split_sizes(const std::vector<std::int64_t>& sizes);

  // Ops the exporter folded away still used up a "_k" suffix in their scope and value numbers.
  void skip_folded(const std::string& label, int count);
  void skip_value_ids(int count) { next_value_id_ += count; }

  // A parameter of the current module: "<module path>.<suffix>" (suffix "conv.weight"); weights
  // get the dialect's weight suffix.
  std::string add_parameter(const std::string& suffix, std::vector<std::int64_t> shape,
                            ParameterRole role,
                            ParameterRole weight_role = ParameterRole::HiddenConvWeight,
                            double weight_std = 0.0);

  struct Result {
    Model model;                            // every initializer but the parameters
    std::vector<ParameterSpec> parameters;  // in the order the modules declared them
  };
  // Orders the nodes, names the shared and the Split constants, and returns the graph (the
  // dialect's IR version and opset) with parameters declared but not yet filled in.
  Result finish();

 private:
  void leave();
  std::string scope_path() const;                     // "/model.2/m.0"
  std::string parameter_prefix() const;               // "model.2.m.0."
  std::string scoped_name(const std::string& label);  // "/model.2/m.0/Conv_1", counting
  std::string add_constant(const std::string& name, const Tensor& value, bool shared);

  struct Frame {
    std::string scope, parameter_path;
    std::map<std::string, int> label_counts;
  };
  // Literals of one value: the first declared holds the initializer until finish() names it.
  struct LiteralGroup {
    Tensor value;
    std::vector<std::string> names;
  };

  ExportDialect dialect_;
  std::vector<Frame> frames_{Frame{}};
  std::int64_t next_value_id_ = 0;  // relative to the first id after the parameters, see finish()
  GraphBuilder graph_;                // in module call order; finish() orders it
  std::vector<LiteralGroup> literals_;
  std::map<std::string, std::string> vanished_;  // a vanished step's output -> its input
  std::vector<std::pair<std::string, std::int64_t>> split_constants_;  // placeholder -> value id
  std::vector<ParameterSpec> parameters_;
};

}  // namespace yoloq::yolo
