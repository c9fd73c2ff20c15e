#include "yoloq/tune/bias_correction.hpp"

#include <map>
#include <set>

#include "yoloq/runtime/session.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/interrupt.hpp"

namespace yoloq {

namespace {

const std::set<std::string> kBiasedOps{"Conv", "ConvTranspose", "Gemm"};
constexpr const char* kShadowSuffix = "_yoloq_bias_shadow";

// Per channel (axis 1) sums of `quantized - reference` over every other axis, added to `sums`;
// `per_channel` counts the values each channel's sum has.
void add_channel_differences(const Tensor& quantized, const Tensor& reference, std::vector<double>& sums,
                             std::size_t& per_channel) {
  if (quantized.shape != reference.shape || quantized.shape.size() < 2)
    throw Error("bias correction: an op's output and its float copy's differ in shape");
  const auto channels = static_cast<std::size_t>(quantized.shape[1]);
  std::size_t inner = 1;
  for (std::size_t d = 2; d < quantized.shape.size(); ++d) inner *= static_cast<std::size_t>(quantized.shape[d]);
  const auto q = quantized.values<float>(), f = reference.values<float>();
  sums.resize(channels, 0.0);
  for (std::size_t i = 0; i < q.size(); ++i) sums[(i / inner) % channels] += double(q[i]) - f[i];
  per_channel += q.size() / channels;
}

}  // namespace

std::vector<BiasShift> measure_bias_shifts(const Model& float_model, const Model& quantized,
                                           const std::vector<std::string>& nodes, BatchSource& samples,
                                           std::size_t max_samples) {
  const GraphIndex float_index(float_model.graph());
  Model shadowed = quantized;
  std::vector<std::string> fetch;  // per node: its output, then its shadow's
  std::vector<BiasShift> shifts;
  for (const auto& name : nodes) {
    const auto found = float_index.find_node(name);
    if (!found) throw Error("bias correction: no node '" + name + "' in the float model");
    const auto& node = float_index.node(*found);
    BiasShift s{name, node.input(2), {}};
    // The float op again, reading the quantized model's tensor before its Q/DQ pair, with float
    // copies of the weight and bias (the writer replaced the originals).
    auto* shadow = shadowed.graph().add_node();
    *shadow = node;
    shadow->set_name(name + kShadowSuffix);
    shadow->clear_output();
    shadow->add_output(node.output(0) + kShadowSuffix);
    for (int i = 1; i < node.input_size(); ++i) {
      auto* copy = shadowed.graph().add_initializer();
      *copy = *float_index.initializer(node.input(i));
      copy->set_name(node.input(i) + "_" + name + kShadowSuffix);
      shadow->set_input(i, copy->name());
    }
    fetch.push_back(node.output(0));
    fetch.push_back(node.output(0) + kShadowSuffix);
    shifts.push_back(std::move(s));
  }
  if (shifts.empty()) return shifts;
  expose_as_outputs(shadowed, fetch);
  Session session(serialize_model(shadowed), "quantized model (with float copies for bias correction)");
  std::vector<std::vector<double>> sums(shifts.size());
  std::vector<std::size_t> counts(shifts.size(), 0);
  std::size_t seen = 0;
  samples.rewind();
  while (seen < max_samples) {
    auto batch = samples.next();
    if (!batch) break;
    check_interrupted();
    seen += samples.origins().size();
    const auto outputs = session.run(*batch, fetch);
    for (std::size_t k = 0; k < shifts.size(); ++k)
      add_channel_differences(outputs[2 * k], outputs[2 * k + 1], sums[k], counts[k]);
  }
  samples.rewind();
  if (seen == 0) throw Error("bias correction: no calibration samples to measure on");
  for (std::size_t k = 0; k < shifts.size(); ++k) {
    shifts[k].shift.resize(sums[k].size());
    for (std::size_t c = 0; c < sums[k].size(); ++c) shifts[k].shift[c] = sums[k][c] / static_cast<double>(counts[k]);
  }
  return shifts;
}

std::vector<BiasShift> measure_bias_shifts(const Model& float_model, const QuantPlan& plan, const Ranges& ranges,
                                           BatchSource& samples, const BiasCorrectionOptions& options) {
  const GraphIndex index(float_model.graph());
  std::vector<std::string> nodes;
  for (const auto& name : plan.weight_nodes()) {
    const auto& node = index.node(*index.find_node(name));  // validated with the plan
    if (!kBiasedOps.count(node.op_type()) || node.input_size() < 3 || node.input(2).empty()) continue;
    const auto* bias = index.initializer(node.input(2));
    if (!bias || bias->data_type() != onnx::TensorProto::FLOAT) continue;
    nodes.push_back(name);
  }
  return measure_bias_shifts(float_model, write_qdq_model(float_model, plan, ranges, options.write), nodes, samples,
                             options.max_samples);
}

Model with_corrected_biases(const Model& float_model, const std::vector<BiasShift>& shifts) {
  Model corrected = float_model;
  std::map<std::string, onnx::TensorProto*> initializers;
  for (auto& init : *corrected.graph().mutable_initializer()) initializers[init.name()] = &init;
  for (const auto& s : shifts) {
    auto* proto = initializers.at(s.bias);
    Tensor bias = to_tensor(*proto);
    auto values = bias.values<float>();
    if (values.size() != s.shift.size())
      throw Error("bias correction: '" + s.bias + "' has " + std::to_string(values.size()) + " values for " +
                  std::to_string(s.shift.size()) + " channels");
    for (std::size_t c = 0; c < values.size(); ++c) values[c] = static_cast<float>(values[c] - s.shift[c]);
    *proto = to_proto(bias, s.bias);
  }
  return corrected;
}

}  // namespace yoloq
