// The float rewrites (plan/float_rewrites.hpp), decided for ort-cpu only. The DFL: written as a
// last-axis Softmax and a MatMul that give the DFL's values, and refused on nodes that are not a
// DFL. The head's branch join: each branch's levels joined on their own, the Split's outputs
// exactly, and refused on other nodes or when the plan quantizes a tensor it removes.
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

QuantPlan rewrite_plan(std::vector<std::string> nodes, const std::string& kind = kDflLastAxisSoftmax) {
  QuantPlan plan;
  plan.target = Target::OrtCpu;
  plan.rewrites.push_back({kind, std::move(nodes), "ort-cpu." + kind});
  return plan;
}

// Two levels (4x4 and 2x2) of a box branch (8 channels) and a class branch (3 channels), joined
// as older Ultralytics exports join them: per level Concat over channels, Reshape to [1, 11, -1],
// Concat over anchors, Split [8, 3] back into the branches.
Model branch_join_graph(std::int64_t class_channels = 3) {
  GraphBuilder g;
  g.input("p0", {1, 4, 4, 4});
  g.input("p1", {1, 4, 2, 2});
  g.initializer("shape", int64_vector({1, 11, -1}));
  std::vector<std::string> levels;
  for (const std::string l : {"0", "1"}) {
    g.conv("box" + l, "p" + l, "box_raw" + l, 8, 4);
    g.conv("cls" + l, "p" + l, "cls_raw" + l, class_channels, 4);
    g.node("Concat", "level_cat" + l, {"box_raw" + l, "cls_raw" + l}, {"level" + l}, {{"axis", std::int64_t{1}}});
    g.node("Reshape", "level_flat" + l, {"level" + l, "shape"}, {"flat" + l});
    levels.push_back("flat" + l);
  }
  g.node("Concat", "anchors_cat", levels, {"all"}, {{"axis", std::int64_t{2}}});
  g.initializer("sizes", int64_vector({8, 3}));
  g.node("Split", "split", {"all", "sizes"}, {"box", "cls"}, {{"axis", std::int64_t{1}}});
  g.node("Sigmoid", "scores", {"cls"}, {"probabilities"});
  g.output("box", {1, 8, 20});
  g.output("probabilities", {1, 3, 20});
  return g.model();
}

const std::vector<std::string> kJoinNodes{"level_cat0",  "level_flat0", "level_cat1",
                                          "level_flat1", "anchors_cat", "split"};

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

TEST(FloatRewrites, BranchesJoinedApartGiveTheSplitsOutputsExactly) {
  const Model f = branch_join_graph();
  const GraphIndex index(f.graph());
  const auto join = match_branch_join(index, *index.find_node("split"));
  ASSERT_TRUE(join);
  EXPECT_EQ(branch_join_node_names(index, *join), kJoinNodes);
  EXPECT_EQ(join->channels, (std::vector<std::int64_t>{8, 3}));
  const Model q = write_qdq_model(f, rewrite_plan(kJoinNodes, kBranchesJoinedApart), Ranges{});
  std::map<std::string, int> ops;
  for (const auto& n : q.graph().node()) ++ops[n.op_type()];
  // Per branch a Reshape per level and one Concat; no Split, no Concat over channels.
  EXPECT_EQ(ops, (std::map<std::string, int>{{"Conv", 4}, {"Reshape", 4}, {"Concat", 2}, {"Sigmoid", 1}}));
  for (const auto& t : q.graph().initializer()) {
    EXPECT_NE(t.name(), "shape");  // read by nothing now
    EXPECT_NE(t.name(), "sizes");
  }
  Tensor p0(DType::Float32, {1, 4, 4, 4}), p1(DType::Float32, {1, 4, 2, 2});
  std::mt19937 gen(3);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  for (auto* t : {&p0, &p1})
    for (auto& v : t->values<float>()) v = normal(gen);
  const NamedTensors inputs{{"p0", p0}, {"p1", p1}};
  const auto expected = Session(serialize_model(f), "float").run(inputs, {"box", "probabilities"});
  const auto got = Session(serialize_model(q), "rewritten").run(inputs, {"box", "probabilities"});
  for (std::size_t k = 0; k < 2; ++k) {
    ASSERT_EQ(got[k].shape, expected[k].shape);
    for (std::size_t i = 0; i < got[k].numel(); ++i)
      EXPECT_EQ(got[k].values<float>()[i], expected[k].values<float>()[i]) << k << " " << i;  // data movement only
  }
}

TEST(FloatRewrites, BranchJoinIsRefusedOnOtherNodesAndOnQuantizedInnerTensors) {
  // Split sizes that are not the convolutions' channels: no match.
  const Model other = branch_join_graph(4);
  const GraphIndex index(other.graph());
  EXPECT_FALSE(match_branch_join(index, *index.find_node("split")));
  // Nodes out of order, or not the pattern's.
  auto shuffled = kJoinNodes;
  std::swap(shuffled[0], shuffled[2]);
  EXPECT_THROW((void)write_qdq_model(branch_join_graph(), rewrite_plan(shuffled, kBranchesJoinedApart), Ranges{}),
               Error);
  EXPECT_THROW((void)write_qdq_model(branch_join_graph(), rewrite_plan({"scores"}, kBranchesJoinedApart), Ranges{}),
               Error);
  // A plan that quantizes a tensor the rewrite removes.
  auto plan = rewrite_plan(kJoinNodes, kBranchesJoinedApart);
  plan.activation_type = ActivationType::UInt8Asymmetric;
  plan.activations.push_back({"all", {"split"}, "user"});
  Ranges ranges;
  ranges.tensors["all"] = TensorRange{-4.0f, 4.0f, 4.0f};
  try {
    (void)write_qdq_model(branch_join_graph(), plan, ranges);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("removes tensor 'all'"), std::string::npos) << e.what();
  }
}

TEST(FloatRewrites, PlannedForOrtCpuWithAFloatHeadOnly) {
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
  // The detect graph joins its branches per level first, as the shared YOLO11n's export does (the
  // pose export joins them apart already).
  options.arch = "yolo11n";
  const auto detect = rewrites(synthesize_yolo(options), Target::OrtCpu, YoloHeadMode::FloatDfl);
  ASSERT_EQ(detect.size(), 2u);
  EXPECT_EQ(detect[0].kind, kBranchesJoinedApart);
  EXPECT_EQ(detect[0].nodes.size(), 8u);  // 3 levels' Concat and Reshape, the anchors' Concat, the Split
  EXPECT_EQ(detect[0].nodes.back(), "/model.23/Split");
  EXPECT_EQ(detect[1].kind, kDflLastAxisSoftmax);
  options.arch = "yolo26n";  // no DFL, branches joined apart
  EXPECT_TRUE(rewrites(synthesize_yolo(options), Target::OrtCpu, YoloHeadMode::FloatDfl).empty());
}

}  // namespace
}  // namespace yoloq
