// The DFL rewrite (plan/float_rewrites.hpp): decided for ort-cpu only, written as a last-axis
// Softmax and a MatMul that give the DFL's values, and refused on nodes that are not a DFL.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "yoloq/plan/float_rewrites.hpp"
#include "yoloq/runtime/session.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/synth/graph_builder.hpp"
#include "yoloq/synth/yolo_synth.hpp"
#include "yoloq/write/qdq_writer.hpp"

namespace yoloq {
namespace {

// One level's DFL over 8 bins and 5 anchors: `box` [1, 32, 5] -> [1, 4, 5] distances.
Model dfl_graph() {
  GraphBuilder g;
  g.input("box", {1, 32, 5});
  g.initializer("shape4", int64_vector({1, 4, 8, 5}));
  g.node("Reshape", "dfl_reshape", {"box", "shape4"}, {"r"});
  g.node("Transpose", "dfl_transpose", {"r"}, {"t"}, {{"perm", std::vector<std::int64_t>{0, 2, 1, 3}}});
  g.node("Softmax", "dfl_softmax", {"t"}, {"p"}, {{"axis", std::int64_t{1}}});
  g.initializer("dfl.weight", float_tensor({1, 8, 1, 1}, {0, 1, 2, 3, 4, 5, 6, 7}));
  g.node("Conv", "dfl_conv", {"p", "dfl.weight"}, {"e"});
  g.initializer("shape3", int64_vector({1, 4, 5}));
  g.node("Reshape", "dfl_flat", {"e", "shape3"}, {"dist"});
  g.output("dist", {1, 4, 5});
  return g.model();
}

QuantPlan rewrite_plan(std::vector<std::string> nodes) {
  QuantPlan plan;
  plan.target = Target::OrtCpu;
  plan.rewrites.push_back({kDflLastAxisSoftmax, std::move(nodes), "ort-cpu.dfl-last-axis-softmax"});
  return plan;
}

TEST(FloatRewrites, DflBecomesALastAxisSoftmaxWithTheSameValues) {
  const Model f = dfl_graph();
  const Model q = write_qdq_model(f, rewrite_plan({"dfl_transpose", "dfl_softmax", "dfl_conv"}), Ranges{});
  std::vector<std::string> ops;
  for (const auto& n : q.graph().node()) ops.push_back(n.op_type());
  EXPECT_EQ(ops, (std::vector<std::string>{"Reshape", "Transpose", "Softmax", "MatMul", "Transpose", "Reshape"}));
  for (const auto& n : q.graph().node()) {
    if (n.op_type() == "Softmax") {
      EXPECT_EQ(n.attribute(0).i(), -1);
    }
  }
  for (const auto& t : q.graph().initializer()) EXPECT_NE(t.name(), "dfl.weight");  // read by nothing now

  Tensor box(DType::Float32, {1, 32, 5});
  std::mt19937 gen(7);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  for (auto& v : box.values<float>()) v = normal(gen);
  const auto expected = Session(serialize_model(f), "float").run({{"box", box}}, {"dist"})[0];
  const auto got = Session(serialize_model(q), "rewritten").run({{"box", box}}, {"dist"})[0];
  ASSERT_EQ(got.shape, expected.shape);
  // The expectation of each side by hand for one value: sum_k k * softmax(box[4 sides x 8 bins]).
  double by_hand = 0, norm = 0;
  for (int k = 0; k < 8; ++k) norm += std::exp(box.values<float>()[(2 * 8 + k) * 5 + 3]);
  for (int k = 0; k < 8; ++k) by_hand += k * std::exp(box.values<float>()[(2 * 8 + k) * 5 + 3]) / norm;
  EXPECT_NEAR(got.values<float>()[2 * 5 + 3], by_hand, 1e-5);
  for (std::size_t i = 0; i < got.numel(); ++i)
    EXPECT_NEAR(got.values<float>()[i], expected.values<float>()[i], 1e-5) << i;
}

TEST(FloatRewrites, NodesThatAreNotADflAreRefused) {
  EXPECT_THROW((void)write_qdq_model(dfl_graph(), rewrite_plan({"dfl_reshape", "dfl_softmax", "dfl_conv"}), Ranges{}),
               Error);
  auto plan = rewrite_plan({"dfl_transpose", "dfl_softmax", "dfl_conv"});
  plan.rewrites[0].kind = "something-else";
  EXPECT_THROW((void)write_qdq_model(dfl_graph(), plan, Ranges{}), Error);
  // A Softmax over another axis is no DFL.
  Model other = dfl_graph();
  for (auto& n : *other.graph().mutable_node())
    if (n.op_type() == "Softmax") n.mutable_attribute(0)->set_i(2);
  const GraphIndex index(other.graph());
  EXPECT_FALSE(match_dfl(index, *index.find_node("dfl_softmax")));
}

TEST(FloatRewrites, PlannedForOrtCpuWithAFloatDflOnly) {
  SynthOptions options;
  options.arch = "yolo11n-pose";
  options.imgsz = 64;
  const Model pose = synthesize_yolo(options);
  auto rewrites = [&](const Model& m, Target target, YoloHeadMode preset) {
    PlanOptions o;
    o.target = target;
    o.yolo_head = preset;
    return plan_quantization(m, o).plan.rewrites;
  };
  const auto ort = rewrites(pose, Target::OrtCpu, YoloHeadMode::FloatDfl);
  ASSERT_EQ(ort.size(), 1u);
  EXPECT_EQ(ort[0].kind, kDflLastAxisSoftmax);
  EXPECT_EQ(ort[0].nodes, (std::vector<std::string>{"/model.23/dfl/Transpose", "/model.23/dfl/Softmax",
                                                    "/model.23/dfl/conv/Conv"}));
  QuantPlan round_trip;
  round_trip.rewrites = ort;
  EXPECT_EQ(plan_from_json(to_json(round_trip)).rewrites[0].nodes, ort[0].nodes);
  EXPECT_EQ(rewrites(pose, Target::OrtCpu, YoloHeadMode::Float).size(), 1u);
  EXPECT_TRUE(rewrites(pose, Target::OrtCpu, YoloHeadMode::Int8).empty());  // its output is quantized
  EXPECT_TRUE(rewrites(pose, Target::Trt, YoloHeadMode::FloatDfl).empty());
  options.arch = "yolo26n";  // no DFL
  EXPECT_TRUE(rewrites(synthesize_yolo(options), Target::OrtCpu, YoloHeadMode::FloatDfl).empty());
}

}  // namespace
}  // namespace yoloq
