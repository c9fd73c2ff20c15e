#include "yoloq/tune/range_selection.hpp"

#include <algorithm>
#include <set>

#include "yoloq/calib/calibrate.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/interrupt.hpp"
#include "yoloq/write/qdq_writer.hpp"

namespace yoloq {

namespace {

constexpr const char* kPrefix = "yoloq_select/";

struct Unit {
  std::vector<std::string> tensors;  // every member (a group's unplanned ones still widen its union)
  std::vector<std::string> planned;  // the members the plan puts a Q/DQ pair on
};

// Scale groups first (restricted to what has a range), then each planned activation in none.
std::vector<Unit> selection_units(const QuantPlan& plan) {
  std::set<std::string> planned, grouped;
  for (const auto& a : plan.activations) planned.insert(a.tensor);
  std::vector<Unit> units;
  for (const auto& g : plan.scale_groups) {
    Unit u;
    for (const auto& t : g.tensors) {
      u.tensors.push_back(t);
      if (planned.count(t)) u.planned.push_back(t);
      grouped.insert(t);
    }
    if (!u.planned.empty()) units.push_back(std::move(u));
  }
  for (const auto& a : plan.activations)
    if (!grouped.count(a.tensor)) units.push_back({{a.tensor}, {a.tensor}});
  return units;
}

// `candidates` with every tensor that has candidates at `method`'s amax.
Ranges ranges_for(const Ranges& candidates, const std::string& method) {
  Ranges r;
  r.method = method;
  r.tensors = candidates.tensors;
  for (const auto& [t, by_method] : candidates.candidates) r.tensors.at(t).amax = by_method.at(method);
  return r;
}

// Builds the shadows into a copy of the float model and names the scalars to fetch.
class ShadowBuilder {
 public:
  ShadowBuilder(const Model& float_model, const QuantPlan& plan)
      : model_(float_model), index_(float_model.graph()), types_(infer_elem_types(index_)), plan_(plan) {
    for (const auto& a : plan.activations) consumers_of_[a.tensor] = {a.consumers.begin(), a.consumers.end()};
  }

  // The scalars of this unit at these parameters: the squared error of every float output of every
  // consumer of the unit's planned tensors, each consumer reading those tensors through Q/DQ.
  std::vector<std::string> add_candidate(const Unit& u, const std::string& tag,
                                         const std::map<std::string, ActivationQParams>& qparams) {
    std::map<std::string, std::string> dequantized;  // tensor -> its fake-quantized copy
    for (const auto& t : u.planned) {
      const std::string base = kPrefix + tag + "/" + t;
      const auto& q = qparams.at(t);
      Tensor scale(DType::Float32, {});
      scale.values<float>()[0] = q.scale;
      const bool uint8 = plan_.activation_type == ActivationType::UInt8Asymmetric;
      Tensor zero(uint8 ? DType::UInt8 : DType::Int8, {});
      if (uint8) zero.values<std::uint8_t>()[0] = static_cast<std::uint8_t>(q.zero_point);
      add_initializer(to_proto(scale, base + "/scale"));
      add_initializer(to_proto(zero, base + "/zero_point"));
      add_node("QuantizeLinear", base + "/q", {t, base + "/scale", base + "/zero_point"}, {base + "/quantized"});
      add_node("DequantizeLinear", base + "/dq", {base + "/quantized", base + "/scale", base + "/zero_point"},
               {base + "/dequantized"});
      dequantized[t] = base + "/dequantized";
    }
    std::set<std::string> consumers;
    for (const auto& t : u.planned) consumers.insert(consumers_of_.at(t).begin(), consumers_of_.at(t).end());
    std::vector<std::string> errors;
    for (const auto& name : consumers) {
      const auto found = index_.find_node(name);
      if (!found) throw Error("range selection: no node '" + name + "' in the model");
      const auto& node = index_.node(*found);
      const std::string base = kPrefix + tag + "/" + name;
      auto* copy = model_.graph().add_node();
      *copy = node;
      copy->set_name(base);
      for (int i = 0; i < copy->input_size(); ++i) {
        const auto d = dequantized.find(node.input(i));
        // Only where the plan quantizes this tensor for this consumer; other inputs stay float.
        if (d != dequantized.end() && consumers_of_.at(d->first).count(name)) copy->set_input(i, d->second);
      }
      for (int k = 0; k < copy->output_size(); ++k) {
        const std::string& original = node.output(k);
        if (original.empty()) continue;
        copy->set_output(k, base + "/" + original);
        if (!is_float32(types_, original)) continue;
        add_node("Sub", base + "/" + original + "/diff", {base + "/" + original, original},
                 {base + "/" + original + "/diff"});
        errors.push_back(add_sum_of_squares(base + "/" + original + "/diff"));
        if (!signal_.count(original)) signal_[original] = add_sum_of_squares(original);
      }
    }
    return errors;
  }

  // Per consumer output of the unit, its float power's scalar.
  std::vector<std::string> signals(const Unit& u) const {
    std::set<std::string> consumers;
    for (const auto& t : u.planned) consumers.insert(consumers_of_.at(t).begin(), consumers_of_.at(t).end());
    std::vector<std::string> out;
    for (const auto& name : consumers)
      for (const auto& o : index_.node(*index_.find_node(name)).output())
        if (signal_.count(o)) out.push_back(signal_.at(o));
    return out;
  }

  Model& model() { return model_; }

 private:
  void add_initializer(onnx::TensorProto proto) { *model_.graph().add_initializer() = std::move(proto); }
  void add_node(const std::string& op, const std::string& name, const std::vector<std::string>& inputs,
                const std::vector<std::string>& outputs) {
    auto* n = model_.graph().add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
  }
  // ReduceSumSquare without axes reduces every axis in every opset (axes became an input in 18).
  std::string add_sum_of_squares(const std::string& tensor) {
    const std::string out = tensor + "/sum_of_squares";
    add_node("ReduceSumSquare", out, {tensor}, {out});
    auto* keepdims = model_.graph().mutable_node(model_.graph().node_size() - 1)->add_attribute();
    keepdims->set_name("keepdims");
    keepdims->set_type(onnx::AttributeProto::INT);
    keepdims->set_i(0);
    return out;
  }

  Model model_;
  GraphIndex index_;
  std::map<std::string, std::int32_t> types_;
  const QuantPlan& plan_;
  std::map<std::string, std::set<std::string>> consumers_of_;
  std::map<std::string, std::string> signal_;  // consumer output -> its power's scalar
};

}  // namespace

RangeSelection select_ranges(const Model& float_model, const QuantPlan& plan, const Ranges& candidates,
                             BatchSource& samples, const RangeSelectionOptions& options) {
  const GraphIndex index(float_model.graph());
  std::vector<std::string> methods;
  for (const auto m : candidate_methods()) methods.push_back(method_name(m));
  std::map<std::string, Ranges> by_method;
  std::map<std::string, std::map<std::string, ActivationQParams>> qparams;
  for (const auto& m : methods) {
    by_method[m] = ranges_for(candidates, m);
    qparams[m] = activation_qparams(plan, by_method[m]);  // throws for a missing or invalid range
  }

  // Per unit with a choice, per method: the scalars to sum, or the earlier method whose
  // parameters are the same (no shadow built; same error).
  struct Pending {
    Unit unit;
    std::map<std::string, std::vector<std::string>> errors;
    std::map<std::string, std::string> same_as;
    std::vector<std::string> signals;
  };
  std::vector<Pending> pending;
  ShadowBuilder shadows(float_model, plan);
  for (const auto& u : selection_units(plan)) {
    const bool has_choice = std::any_of(u.tensors.begin(), u.tensors.end(),
                                        [&](const std::string& t) { return candidates.candidates.count(t) > 0; });
    if (!has_choice) continue;
    Pending p{u, {}, {}, {}};
    for (std::size_t k = 0; k < methods.size(); ++k) {
      const auto& m = methods[k];
      for (std::size_t j = 0; j < k && !p.same_as.count(m); ++j) {
        bool same = true;
        for (const auto& t : u.planned) {
          const auto &a = qparams[m].at(t), &b = qparams[methods[j]].at(t);
          same = same && a.scale == b.scale && a.zero_point == b.zero_point;
        }
        if (same) p.same_as[m] = p.same_as.count(methods[j]) ? p.same_as[methods[j]] : methods[j];
      }
      if (!p.same_as.count(m))
        p.errors[m] = shadows.add_candidate(u, std::to_string(pending.size()) + "/" + m, qparams[m]);
    }
    p.signals = shadows.signals(u);
    pending.push_back(std::move(p));
  }

  RangeSelection result;
  result.ranges = candidates;
  result.ranges.chosen.clear();
  std::vector<std::string> fetch;
  std::map<std::string, std::size_t> slot;
  for (const auto& p : pending) {
    for (const auto& [m, names] : p.errors)
      for (const auto& n : names)
        if (slot.emplace(n, fetch.size()).second) fetch.push_back(n);
    for (const auto& n : p.signals)
      if (slot.emplace(n, fetch.size()).second) fetch.push_back(n);
  }
  std::vector<double> sums(fetch.size(), 0.0);
  if (!fetch.empty()) {
    expose_as_outputs(shadows.model(), fetch);
    Session session(serialize_model(shadows.model()), "float model (with Q/DQ copies of consumers for range selection)",
                    options.runtime);
    samples.rewind();
    while (result.samples < options.max_samples) {
      auto batch = samples.next();
      if (!batch) break;
      check_interrupted();
      result.samples += samples.origins().empty() ? 1 : samples.origins().size();
      const auto outputs = session.run(*batch, fetch);
      for (std::size_t i = 0; i < fetch.size(); ++i) sums[i] += static_cast<double>(outputs[i].values<float>()[0]);
    }
    samples.rewind();
    if (result.samples == 0) throw Error("range selection: no calibration samples to measure on");
  }

  for (const auto& p : pending) {
    double signal = 0;
    for (const auto& n : p.signals) signal += sums[slot.at(n)];
    SelectedUnit s;
    s.tensors = p.unit.tensors;
    double best = 0;
    for (const auto& m : methods) {
      double noise = 0;
      for (const auto& n : p.errors.at(p.same_as.count(m) ? p.same_as.at(m) : m)) noise += sums[slot.at(n)];
      const double ratio = signal > 0 ? noise / signal : noise;
      s.noise_to_signal[m] = ratio;
      if (s.method.empty() || ratio < best) {
        best = ratio;
        s.method = m;
      }
    }
    for (const auto& t : p.unit.tensors) {
      const auto c = candidates.candidates.find(t);
      if (c == candidates.candidates.end()) continue;
      result.ranges.tensors.at(t).amax = c->second.at(s.method);
      result.ranges.chosen[t] = s.method;
    }
    result.units.push_back(std::move(s));
  }
  for (const auto& [t, r] : result.ranges.tensors)
    if (!result.ranges.chosen.count(t))
      result.ranges.chosen[t] = candidates.candidates.count(t) ? "mse" : index.is_graph_input(t) ? "input" : "fixed";
  return result;
}

std::map<std::string, std::size_t> chosen_method_counts(const Ranges& ranges) {
  std::map<std::string, std::size_t> counts;
  for (const auto& [t, m] : ranges.chosen) ++counts[m];
  return counts;
}

}  // namespace yoloq
