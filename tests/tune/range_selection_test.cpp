// --calibration_method auto's selection step on a hand-built graph whose errors are computed by
// hand: the error is measured at the consumer's output (a Relu ignores the negative side it
// clips), a scale group is chosen as one with its union, and UINT8 plans use their zero point.
#include "yoloq/tune/range_selection.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "test_support.hpp"
#include "yoloq/calib/calibrate.hpp"
#include "yoloq/synth/graph_builder.hpp"
#include "yoloq/tensor/npy.hpp"
#include "yoloq/write/qdq_writer.hpp"

namespace yoloq {
namespace {

using testing::ScratchDir;

constexpr std::int64_t kWidth = 256;

// x -> Mul(x, 1) = t -> Relu -> y ; u = 0.5 x, v = -2 x -> Concat -> c
Model selection_model() {
  GraphBuilder g;
  g.input("x", {1, kWidth});
  g.initializer("one", float_tensor({}, {1.0f}));
  g.initializer("half", float_tensor({}, {0.5f}));
  g.initializer("minus_two", float_tensor({}, {-2.0f}));
  g.node("Mul", "lin", {"x", "one"}, {"t"});
  g.node("Relu", "relu", {"t"}, {"y"});
  g.node("Mul", "mul_u", {"x", "half"}, {"u"});
  g.node("Mul", "mul_v", {"x", "minus_two"}, {"v"});
  g.node("Concat", "concat", {"u", "v"}, {"c"}, {{"axis", 1}});
  g.output("y", {1, kWidth});
  g.output("c", {1, 2 * kWidth});
  Model m = std::move(g.model());
  m.path = "selection.onnx";
  return m;
}

// 4 samples: nine in ten values in [-8, 0), the rest in [0, 1).
Tensor selection_samples() {
  Tensor t(DType::Float32, {4, kWidth});
  std::uint32_t state = 7;
  for (auto& x : t.values<float>()) {
    state = state * 1664525u + 1013904223u;
    const float r = static_cast<float>(state >> 8) / static_cast<float>(1u << 24);
    x = r < 0.9f ? -8.0f * r / 0.9f : (r - 0.9f) / 0.1f;
  }
  return t;
}

QuantPlan selection_plan(ActivationType type) {
  QuantPlan plan;
  plan.activation_type = type;
  plan.activations = {{"t", {"relu"}, "test"}, {"u", {"concat"}, "test"}, {"v", {"concat"}, "test"}};
  plan.scale_groups = {{{"u", "v"}, "test"}};
  return plan;
}

// Hand-picked candidates (what calibrate() with Auto would keep), so that each unit has a clear
// answer: t's smallest threshold clips only what the Relu discards.
Ranges selection_candidates() {
  Ranges r;
  r.method = "auto";
  r.tensors["x"] = {-8, 1, 8};
  r.tensors["t"] = {-8, 1, 8};
  r.tensors["u"] = {-4, 0.5f, 4};
  r.tensors["v"] = {-2, 16, 16};
  r.candidates["t"] = {{"mse", 6.0f}, {"percentile", 8.0f}, {"entropy", 1.0f}, {"max", 8.0f}};
  r.candidates["u"] = {{"mse", 3.0f}, {"percentile", 4.0f}, {"entropy", 0.5f}, {"max", 4.0f}};
  r.candidates["v"] = {{"mse", 12.0f}, {"percentile", 15.0f}, {"entropy", 2.0f}, {"max", 16.0f}};
  return r;
}

float fake_quantize(float x, const ActivationQParams& q, ActivationType type) {
  if (type == ActivationType::Int8Symmetric) return static_cast<float>(quantize_symmetric(x, q.scale)) * q.scale;
  const float level = std::clamp(std::nearbyint(x / q.scale) + static_cast<float>(q.zero_point), 0.0f, 255.0f);
  return (level - static_cast<float>(q.zero_point)) * q.scale;
}

// The expected noise-to-signal of each unit at method m, from the definition.
std::pair<double, double> by_hand(const Tensor& samples, const QuantPlan& plan, const Ranges& candidates,
                                  const std::string& m) {
  Ranges at = candidates;
  for (const auto& [t, c] : candidates.candidates) at.tensors.at(t).amax = c.at(m);
  const auto q = activation_qparams(plan, at);
  double relu_noise = 0, relu_signal = 0, cat_noise = 0, cat_signal = 0;
  for (const float x : samples.values<float>()) {
    const float y = std::max(x, 0.0f), yq = std::max(fake_quantize(x, q.at("t"), plan.activation_type), 0.0f);
    relu_noise += double(y - yq) * (y - yq);
    relu_signal += double(y) * y;
    const float u = x * 0.5f, v = x * -2.0f;
    const float uq = fake_quantize(u, q.at("u"), plan.activation_type);
    const float vq = fake_quantize(v, q.at("v"), plan.activation_type);
    cat_noise += double(u - uq) * (u - uq) + double(v - vq) * (v - vq);
    cat_signal += double(u) * u + double(v) * v;
  }
  return {relu_noise / relu_signal, cat_noise / cat_signal};
}

void expect_selection_matches_hand(ActivationType type) {
  ScratchDir dir;
  const Model model = selection_model();
  const Tensor samples = selection_samples();
  write_npy(dir / "x.npy", samples);
  SourceOptions source;
  source.path = dir / "x.npy";
  auto data = make_calibration_data(model, source, false);
  const auto plan = selection_plan(type);
  const auto candidates = selection_candidates();
  const auto selection = select_ranges(model, plan, candidates, *data.calibration);
  EXPECT_EQ(selection.samples, 4u);
  ASSERT_EQ(selection.units.size(), 2u);
  const auto& group = selection.units[0];
  const auto& relu = selection.units[1];
  EXPECT_EQ(group.tensors, (std::vector<std::string>{"u", "v"}));
  EXPECT_EQ(relu.tensors, (std::vector<std::string>{"t"}));
  std::string best_relu, best_group;
  double lowest_relu = 1e300, lowest_group = 1e300;
  for (const auto m : candidate_methods()) {
    const std::string name = method_name(m);
    const auto [relu_expected, group_expected] = by_hand(samples, plan, candidates, name);
    EXPECT_NEAR(relu.noise_to_signal.at(name), relu_expected, 1e-3 * relu_expected + 1e-12) << name;
    EXPECT_NEAR(group.noise_to_signal.at(name), group_expected, 1e-3 * group_expected + 1e-12) << name;
    if (relu_expected < lowest_relu) lowest_relu = relu_expected, best_relu = name;
    if (group_expected < lowest_group) lowest_group = group_expected, best_group = name;
  }
  EXPECT_EQ(relu.method, best_relu);
  EXPECT_EQ(group.method, best_group);
  // Percentile and max give t the same threshold: the same error, measured once.
  EXPECT_EQ(relu.noise_to_signal.at("percentile"), relu.noise_to_signal.at("max"));
  // The chosen method's own candidate is each tensor's amax; graph inputs are marked as such.
  const auto& r = selection.ranges;
  EXPECT_EQ(r.tensors.at("t").amax, candidates.candidates.at("t").at(relu.method));
  EXPECT_EQ(r.tensors.at("u").amax, candidates.candidates.at("u").at(group.method));
  EXPECT_EQ(r.tensors.at("v").amax, candidates.candidates.at("v").at(group.method));
  EXPECT_EQ(r.chosen.at("t"), relu.method);
  EXPECT_EQ(r.chosen.at("u"), group.method);
  EXPECT_EQ(r.chosen.at("v"), group.method);
  EXPECT_EQ(r.chosen.at("x"), "input");
  EXPECT_EQ(r.tensors.at("t").min, -8.0f);  // only amax changes
}

TEST(RangeSelection, Int8ErrorsAtTheConsumersOutputMatchTheDefinition) {
  expect_selection_matches_hand(ActivationType::Int8Symmetric);
  // For the Relu, the threshold that clips the whole negative side (entropy's 1.0) wins: at the
  // Relu's output, clipping -8 to -1 costs nothing, and the finer step helps [0, 1).
  ScratchDir dir;
  const Model model = selection_model();
  write_npy(dir / "x.npy", selection_samples());
  SourceOptions source;
  source.path = dir / "x.npy";
  auto data = make_calibration_data(model, source, false);
  const auto selection =
      select_ranges(model, selection_plan(ActivationType::Int8Symmetric), selection_candidates(), *data.calibration);
  EXPECT_EQ(selection.units[1].method, "entropy");
  EXPECT_LT(selection.units[1].noise_to_signal.at("entropy"), selection.units[1].noise_to_signal.at("mse"));
}

TEST(RangeSelection, Uint8ErrorsUseTheZeroPointTheWriterWouldWrite) {
  expect_selection_matches_hand(ActivationType::UInt8Asymmetric);
}

TEST(RangeSelection, CountsEachMethodOnce) {
  Ranges r;
  r.chosen = {{"a", "mse"}, {"b", "mse"}, {"c", "entropy"}, {"x", "input"}};
  const auto counts = chosen_method_counts(r);
  EXPECT_EQ(counts, (std::map<std::string, std::size_t>{{"entropy", 1}, {"input", 1}, {"mse", 2}}));
}

}  // namespace
}  // namespace yoloq
