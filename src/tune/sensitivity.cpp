#include "yoloq/tune/sensitivity.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <span>
#include <utility>

#include "yoloq/plan/plan_edits.hpp"
#include "yoloq/scales/scales.hpp"
#include "yoloq/support/interrupt.hpp"
#include "yoloq/support/progress.hpp"

namespace yoloq {

namespace {

struct WeightedOp {
  std::string node, op_type, input, output;
};

std::vector<WeightedOp> weighted_ops(const QuantPlan& plan, const GraphIndex& index) {
  std::vector<WeightedOp> ops;
  for (const auto& name : plan.weight_nodes()) {
    const auto& node = index.node(*index.find_node(name));  // validated with the plan
    ops.push_back({name, node.op_type(), node.input(0), node.output(0)});
  }
  return ops;
}

// The noise power of quantizing `values` with one activation's parameters, as QuantizeLinear and
// DequantizeLinear compute it (round half to even, saturate).
double activation_noise(std::span<const float> values, const ActivationQParams& q, ActivationType type) {
  double noise = 0;
  for (const float x : values) {
    float dequantized;
    if (type == ActivationType::Int8Symmetric) {
      dequantized = static_cast<float>(quantize_symmetric(x, q.scale)) * q.scale;
    } else {
      const float level = std::clamp(std::nearbyint(x / q.scale) + static_cast<float>(q.zero_point), 0.0f, 255.0f);
      dequantized = (level - static_cast<float>(q.zero_point)) * q.scale;
    }
    noise += (double(x) - dequantized) * (double(x) - dequantized);
  }
  return noise;
}

double power(std::span<const float> values) {
  double p = 0;
  for (const float x : values) p += double(x) * x;
  return p;
}

// Noise-to-signal of a weight quantized per channel as the writer does; no data needed.
double weight_noise_to_signal(const GraphIndex& index, const WeightQuant& w) {
  const Tensor weight = to_tensor(*index.initializer(w.tensor));
  const auto q = quantize_per_channel(weight, w.axis, w.u8s8_pair_safe, w.tensor);
  std::size_t inner = 1;
  for (std::size_t d = static_cast<std::size_t>(w.axis) + 1; d < weight.shape.size(); ++d)
    inner *= static_cast<std::size_t>(weight.shape[d]);
  const auto channels = static_cast<std::size_t>(weight.shape[static_cast<std::size_t>(w.axis)]);
  const auto f = weight.values<float>();
  const auto levels = q.values.values<std::int8_t>();
  double signal = 0, noise = 0;
  for (std::size_t i = 0; i < f.size(); ++i) {
    const double dequantized = double(levels[i]) * q.scales[(i / inner) % channels];
    signal += double(f[i]) * f[i];
    noise += (f[i] - dequantized) * (f[i] - dequantized);
  }
  return signal > 0 ? noise / signal : 0;
}

double to_db(double noise_to_signal) {
  return noise_to_signal > 0 ? std::min(kMaxLocalSqnrDb, -10 * std::log10(noise_to_signal)) : kMaxLocalSqnrDb;
}

}  // namespace

SensitivityResult analyze_sensitivity(const Model& float_model, const QuantPlan& plan, const Ranges& ranges,
                                      const HeldOutMetric& metric, const SensitivityOptions& options) {
  const GraphIndex index(float_model.graph());
  const auto ops = weighted_ops(plan, index);
  SensitivityResult result;
  result.metric_name = metric.name();
  result.metric_unit = metric.unit();
  result.float_value = metric.float_value();
  result.samples = metric.samples();
  result.data = metric.description();

  // From one pass of the float model: each op's quantized input, for the activation error as its
  // Q/DQ pair will make it; and the op's output, to compare with the quantized model's.
  const auto qparams = activation_qparams(plan, ranges);
  std::vector<std::string> tensors;
  std::map<std::string, std::size_t> slot;
  auto add_tensor = [&](const std::string& t) {
    if (slot.count(t)) return;
    slot[t] = tensors.size();
    tensors.push_back(t);
  };
  std::set<std::string> quantized_inputs;  // "node\ttensor" pairs the plan quantizes
  for (const auto& a : plan.activations)
    for (const auto& c : a.consumers) quantized_inputs.insert(c + "\t" + a.tensor);
  for (const auto& op : ops) {
    if (quantized_inputs.count(op.node + "\t" + op.input)) add_tensor(op.input);
    add_tensor(op.output);
  }
  std::vector<std::string> exposed_names;  // graph inputs are fed, not fetched
  for (const auto& t : tensors)
    if (!index.is_graph_input(t)) exposed_names.push_back(t);

  const std::size_t top_k = std::min(options.top_k, ops.size());
  ProgressLine progress("measuring sensitivity", 1 + 2 * top_k, !options.quiet, "steps", "steps");
  const RuntimeOptions runtime;
  Model float_exposed = float_model;
  expose_as_outputs(float_exposed, exposed_names);
  Session float_session(serialize_model(float_exposed), "float model (with exposed tensors)", runtime);
  const Model quantized = write_qdq_model(float_model, plan, ranges, options.write);
  Model quantized_exposed = quantized;
  expose_as_outputs(quantized_exposed, exposed_names);
  Session quantized_session(serialize_model(quantized_exposed), "quantized model (with exposed tensors)", runtime);
  std::vector<double> signal(tensors.size()), activation_noise_power(tensors.size()), output_noise(tensors.size());
  for (const auto& batch : metric.batches()) {
    check_interrupted();
    auto float_values = float_session.run(batch, exposed_names);
    const auto quantized_values = quantized_session.run(batch, exposed_names);
    std::map<std::string, const Tensor*> by_name;
    for (std::size_t i = 0; i < exposed_names.size(); ++i) by_name[exposed_names[i]] = &float_values[i];
    for (const auto& [name, tensor] : batch) by_name[name] = &tensor;
    for (std::size_t t = 0; t < tensors.size(); ++t) {
      const auto f = by_name.at(tensors[t])->values<float>();
      signal[t] += power(f);
      if (auto q = qparams.find(tensors[t]); q != qparams.end())
        activation_noise_power[t] += activation_noise(f, q->second, plan.activation_type);
    }
    for (std::size_t i = 0; i < exposed_names.size(); ++i) {
      const auto f = std::as_const(float_values[i]).values<float>();
      const auto q = quantized_values[i].values<float>();
      double noise = 0;
      for (std::size_t k = 0; k < f.size(); ++k) noise += (double(f[k]) - q[k]) * (double(f[k]) - q[k]);
      output_noise[slot.at(exposed_names[i])] += noise;
    }
  }
  result.quantized_value = metric.measure(quantized);
  std::size_t steps = 0;
  auto step_done = [&] {
    ++steps;
    progress.update(steps, steps);
  };
  step_done();

  std::map<std::string, const WeightQuant*> weight_of;
  for (const auto& w : plan.weights) weight_of.emplace(w.node, &w);
  for (const auto& op : ops) {
    OpSensitivity s;
    s.node = op.node;
    s.op_type = op.op_type;
    const double activation_ratio =
        slot.count(op.input) && signal[slot.at(op.input)] > 0
            ? activation_noise_power[slot.at(op.input)] / signal[slot.at(op.input)]
            : 0;
    const double weight_ratio = weight_noise_to_signal(index, *weight_of.at(op.node));
    s.local_sqnr_activations = to_db(activation_ratio);
    s.local_sqnr_weights = to_db(weight_ratio);
    s.local_sqnr_both = to_db(activation_ratio + weight_ratio);  // independent errors add
    const std::size_t out = slot.at(op.output);
    s.output_sqnr = output_noise[out] > 0 ? 10 * std::log10(signal[out] / output_noise[out]) : kMaxLocalSqnrDb;
    result.ops.push_back(std::move(s));
  }
  std::stable_sort(result.ops.begin(), result.ops.end(),
                   [](const OpSensitivity& a, const OpSensitivity& b) { return a.local_sqnr_both < b.local_sqnr_both; });

  for (std::size_t k = 0; k < top_k; ++k) {
    check_interrupted();
    auto& s = result.ops[k];
    s.metric_all_but = metric.measure(
        write_qdq_model(float_model, with_nodes_float(plan, index, {s.node}, "sensitivity"), ranges, options.write));
    step_done();
    s.metric_only = metric.measure(write_qdq_model(float_model, with_only_nodes_quantized(plan, {s.node}), ranges, options.write));
    step_done();
  }
  progress.finish(steps, steps);
  // The measured ones first, by what returning the op to float recovers.
  std::stable_sort(result.ops.begin(), result.ops.begin() + static_cast<std::ptrdiff_t>(top_k),
                   [](const OpSensitivity& a, const OpSensitivity& b) { return *a.metric_all_but > *b.metric_all_but; });
  return result;
}

}  // namespace yoloq
