// Q/DQ placement on small graphs built here, each with the exact expected decisions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "test_support.hpp"
#include "yoloq/plan/quant_plan.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/synth/graph_builder.hpp"

namespace yoloq {
namespace {

using Consumers = std::map<std::string, std::set<std::string>>;
using Groups = std::set<std::set<std::string>>;

Consumers activations(const QuantPlan& plan) {
  Consumers out;
  for (const auto& a : plan.activations) out[a.tensor] = {a.consumers.begin(), a.consumers.end()};
  return out;
}

std::map<std::string, int> weights(const QuantPlan& plan) {
  std::map<std::string, int> out;
  for (const auto& w : plan.weights) out[w.node + ":" + w.tensor] = w.axis;
  return out;
}

Groups groups(const QuantPlan& plan) {
  Groups out;
  for (const auto& g : plan.scale_groups) out.insert({g.tensors.begin(), g.tensors.end()});
  return out;
}

std::map<std::string, std::string> float_nodes(const QuantPlan& plan) {
  std::map<std::string, std::string> out;
  for (const auto& f : plan.float_nodes) out[f.node] = f.rule;
  return out;
}

QuantPlan plan_for(const Model& m, Target target = Target::Trt, YoloHeadMode head = YoloHeadMode::Float) {
  PlanOptions o;
  o.target = target;
  o.yolo_head = head;
  return plan_quantization(m, o).plan;
}

TEST(TrtPlacement, ConvChainQuantizesWeightedInputsOnlyAndNeverTheGraphOutput) {
  GraphBuilder g;
  g.input("x", {1, 3, 8, 8});
  auto a = g.conv_silu("c1", "x", 4, 3);
  g.conv("c2", a, "y", 2, 4);
  g.output("y");
  auto plan = plan_for(g.model());
  EXPECT_EQ(activations(plan), (Consumers{{"x", {"c1/conv"}}, {"c1/out", {"c2"}}}));
  EXPECT_EQ(weights(plan), (std::map<std::string, int>{{"c1/conv:c1/conv.weight", 0}, {"c2:c2.weight", 0}}));
  EXPECT_TRUE(plan.scale_groups.empty());
  EXPECT_TRUE(plan.float_nodes.empty());
}

TEST(TrtPlacement, ResidualAddWithSiluQuantizesOnlyTheResidualInput) {
  GraphBuilder g;
  g.input("x", {1, 4, 8, 8});
  auto a = g.conv_silu("cv1", "x", 4, 4);
  auto b = g.conv_silu("cv2", a, 4, 4);
  g.node("Add", "add", {a, b}, {"sum"});
  g.conv("head", "sum", "y", 2, 4);
  g.output("y");
  auto plan = plan_for(g.model());
  // `a` feeds cv2 and is the residual; `b` is fused into cv2 with its SiLU and stays unquantized.
  EXPECT_EQ(activations(plan), (Consumers{{"x", {"cv1/conv"}}, {"cv1/out", {"cv2/conv", "add"}}, {"sum", {"head"}}}));
  EXPECT_FALSE(activations(plan).count("cv2/out"));
}

TEST(TrtPlacement, ResidualDetectionWorksWhicheverSideTheSkipIsOn) {
  GraphBuilder g;
  g.input("x", {1, 4, 8, 8});
  auto a = g.conv_silu("cv1", "x", 4, 4);
  auto b = g.conv_silu("cv2", a, 4, 4);
  g.node("Add", "add", {b, a}, {"sum"});
  g.output("sum");
  auto plan = plan_for(g.model());
  EXPECT_EQ(activations(plan), (Consumers{{"x", {"cv1/conv"}}, {"cv1/out", {"cv2/conv", "add"}}}));
}

TEST(TrtPlacement, SppfPutsMaxPoolsAndConcatInOneScaleGroup) {
  GraphBuilder g;
  g.input("x", {1, 4, 8, 8});
  auto s = g.conv_silu("cv1", "x", 4, 4);
  for (int i = 1; i <= 3; ++i) {
    g.node("MaxPool", "mp" + std::to_string(i), {i == 1 ? s : "m" + std::to_string(i - 1)}, {"m" + std::to_string(i)},
           {{"kernel_shape", std::vector<std::int64_t>{5, 5}}, {"pads", std::vector<std::int64_t>{2, 2, 2, 2}}});
  }
  g.node("Concat", "cat", {s, "m1", "m2", "m3"}, {"cat_out"}, {{"axis", 1}});
  g.conv("cv2", "cat_out", "y", 4, 16);
  g.output("y");
  auto plan = plan_for(g.model());
  EXPECT_EQ(activations(plan), (Consumers{{"x", {"cv1/conv"}},
                                          {"cv1/out", {"cat", "mp1"}},
                                          {"m1", {"cat", "mp2"}},
                                          {"m2", {"cat", "mp3"}},
                                          {"m3", {"cat"}},
                                          {"cat_out", {"cv2"}}}));
  EXPECT_EQ(groups(plan), (Groups{{"cat_out", "cv1/out", "m1", "m2", "m3"}}));
}

TEST(TrtPlacement, UpsampleAndConcatShareOneScale) {
  GraphBuilder g;
  g.input("x", {1, 4, 4, 4});
  g.input("skip", {1, 4, 8, 8});
  auto a = g.conv_silu("cv1", "x", 4, 4);
  g.initializer("scales", float_tensor({4}, {1, 1, 2, 2}));
  g.node("Resize", "up", {a, "", "scales"}, {"up_out"});
  g.node("Concat", "cat", {"up_out", "skip"}, {"cat_out"}, {{"axis", 1}});
  g.conv("cv2", "cat_out", "y", 4, 8);
  g.output("y");
  auto plan = plan_for(g.model());
  EXPECT_EQ(activations(plan), (Consumers{{"x", {"cv1/conv"}},
                                          {"cv1/out", {"up"}},
                                          {"up_out", {"cat"}},
                                          {"skip", {"cat"}},
                                          {"cat_out", {"cv2"}}}));
  EXPECT_EQ(groups(plan), (Groups{{"cat_out", "cv1/out", "skip", "up_out"}}));
}

TEST(TrtPlacement, AttentionQuantizesBothInputsOfBothMatMuls) {
  GraphBuilder g;
  for (auto n : {"q", "k", "v"}) g.input(n, {1, 2, 4, 4});
  g.node("MatMul", "qk", {"q", "k"}, {"scores"});
  g.initializer("scale", float_tensor({}, {0.5f}));
  g.node("Mul", "scale_mul", {"scores", "scale"}, {"scaled"});
  g.node("Softmax", "softmax", {"scaled"}, {"probs"}, {{"axis", -1}});
  g.node("MatMul", "pv", {"v", "probs"}, {"attn"});
  g.output("attn");
  auto plan = plan_for(g.model());
  EXPECT_EQ(activations(plan),
            (Consumers{{"q", {"qk"}}, {"k", {"qk"}}, {"v", {"pv"}}, {"probs", {"pv"}}}));
  EXPECT_TRUE(plan.weights.empty());
}

TEST(TrtPlacement, WeightAxesFollowTheOpType) {
  GraphBuilder g;
  g.input("x", {2, 4});
  g.initializer("w_t", float_tensor({3, 4}, std::vector<float>(12, 0.5f)));
  g.node("Gemm", "gemm_t", {"x", "w_t"}, {"a"}, {{"transB", 1}});
  g.initializer("w_n", float_tensor({3, 5}, std::vector<float>(15, 0.5f)));
  g.node("Gemm", "gemm_n", {"a", "w_n"}, {"b"});
  g.initializer("w_m", float_tensor({5, 6}, std::vector<float>(30, 0.5f)));
  g.node("MatMul", "matmul", {"b", "w_m"}, {"c"});
  g.output("c");
  auto plan = plan_for(g.model());
  EXPECT_EQ(weights(plan), (std::map<std::string, int>{{"gemm_t:w_t", 0}, {"gemm_n:w_n", 1}, {"matmul:w_m", 1}}));
}

TEST(TrtPlacement, ConvTransposeWeightsArePerChannelOnAxisOne) {
  GraphBuilder g;
  g.input("x", {1, 4, 4, 4});
  g.initializer("w", float_tensor({4, 2, 2, 2}, std::vector<float>(32, 0.25f)));
  g.node("ConvTranspose", "deconv", {"x", "w"}, {"y"});
  g.output("y");
  EXPECT_EQ(weights(plan_for(g.model())), (std::map<std::string, int>{{"deconv:w", 1}}));
}

// The DFL of one 16-anchor level: `box` [1, 64, 16] (4 x 16 bins) -> `dist` [1, 4, 16], with the
// node names the placement tests expect (dfl_reshape, dfl_transpose, dfl_softmax, dfl_conv,
// dfl_flat).
void add_dfl(GraphBuilder& g, const std::string& box, const std::string& dist) {
  g.initializer("shape_dfl", int64_vector({1, 4, 16, 16}));
  g.node("Reshape", "dfl_reshape", {box, "shape_dfl"}, {"dfl_r"});
  g.node("Transpose", "dfl_transpose", {"dfl_r"}, {"dfl_t"}, {{"perm", std::vector<std::int64_t>{0, 2, 1, 3}}});
  g.node("Softmax", "dfl_softmax", {"dfl_t"}, {"dfl_p"}, {{"axis", 1}});
  std::vector<float> bins(16);
  for (int i = 0; i < 16; ++i) bins[i] = static_cast<float>(i);
  g.initializer("dfl.weight", float_tensor({1, 16, 1, 1}, bins));
  g.node("Conv", "dfl_conv", {"dfl_p", "dfl.weight"}, {"dfl_out"});
  g.initializer("shape_box", int64_vector({1, 4, 16}));
  g.node("Reshape", "dfl_flat", {"dfl_out", "shape_box"}, {dist});
}

// A miniature Detect head with one level: box branch (4 x 16 DFL bins) and class branch (2
// classes), the DFL, the decode and the final Concat.
Model mini_yolo_head() {
  GraphBuilder g;
  g.input("x", {1, 3, 4, 4});
  auto f = g.conv_silu("neck", "x", 8, 3);
  auto b1 = g.conv_silu("box1", f, 8, 8);
  g.conv("box_out", b1, "box_raw", 64, 8);
  auto c1 = g.conv_silu("cls1", f, 8, 8);
  g.conv("cls_out", c1, "cls_raw", 2, 8);
  g.node("Concat", "level_cat", {"box_raw", "cls_raw"}, {"level"}, {{"axis", 1}});
  g.initializer("shape_flat", int64_vector({1, 66, 16}));
  g.node("Reshape", "flatten", {"level", "shape_flat"}, {"flat"});
  g.initializer("split_sizes", int64_vector({64, 2}));
  g.node("Split", "split", {"flat", "split_sizes"}, {"box", "cls"}, {{"axis", 1}});
  add_dfl(g, "box", "dist");
  g.initializer("anchors", float_tensor({1, 4, 16}, std::vector<float>(64, 2.0f)));
  g.node("Add", "decode_add", {"dist", "anchors"}, {"boxes_grid"});
  g.initializer("stride", float_tensor({1}, {8.0f}));
  g.node("Mul", "decode_stride", {"boxes_grid", "stride"}, {"boxes"});
  g.node("Sigmoid", "cls_sigmoid", {"cls"}, {"scores"});
  g.node("Concat", "final_cat", {"boxes", "scores"}, {"output0"}, {{"axis", 1}});
  g.output("output0", {1, 6, 16});
  return g.model();
}

// The same head as Ultralytics 8.4 exports it for a pose model: each branch (boxes, 2 class
// scores, 1 keypoint x, y) reshaped on its own and joined only at the output, and a keypoint
// decode (x 2, + grid, x stride) that does not pass the DFL.
Model mini_pose_head_84() {
  GraphBuilder g;
  g.input("x", {1, 3, 4, 4});
  auto f = g.conv_silu("neck", "x", 8, 3);
  g.conv("box_out", g.conv_silu("box1", f, 8, 8), "box_raw", 64, 8);
  g.conv("cls_out", g.conv_silu("cls1", f, 8, 8), "cls_raw", 2, 8);
  g.conv("kpt_out", g.conv_silu("kpt1", f, 8, 8), "kpt_raw", 2, 8);
  g.initializer("shape_box64", int64_vector({1, 64, 16}));
  g.node("Reshape", "box_flat", {"box_raw", "shape_box64"}, {"box"});
  g.initializer("shape_two", int64_vector({1, 2, 16}));
  g.node("Reshape", "cls_flat", {"cls_raw", "shape_two"}, {"cls"});
  g.node("Reshape", "kpt_flat", {"kpt_raw", "shape_two"}, {"kpt"});
  add_dfl(g, "box", "dist");
  g.initializer("anchors", float_tensor({1, 4, 16}, std::vector<float>(64, 2.0f)));
  g.node("Add", "decode_add", {"dist", "anchors"}, {"boxes"});
  g.node("Sigmoid", "cls_sigmoid", {"cls"}, {"scores"});
  g.initializer("two", float_tensor({1}, {2.0f}));
  g.node("Mul", "kpt_scale", {"kpt", "two"}, {"kpt2"});
  g.initializer("grid", float_tensor({1, 2, 16}, std::vector<float>(32, 0.5f)));
  g.node("Add", "kpt_grid", {"kpt2", "grid"}, {"kpt_grid_out"});
  g.initializer("stride", float_tensor({1}, {8.0f}));
  g.node("Mul", "kpt_stride", {"kpt_grid_out", "stride"}, {"kpts"});
  g.node("Concat", "final_cat", {"boxes", "scores", "kpts"}, {"output0"}, {{"axis", 1}});
  g.output("output0", {1, 8, 16});
  return g.model();
}

TEST(TrtPlacement, BranchesJoinedOnlyAtTheOutputAreAllPartOfTheHead) {
  // Every branch's output convolution is the head's, and everything after them is decode: the
  // class scores' Reshape and Sigmoid and the keypoint arithmetic too, not only the DFL's path.
  const std::map<std::string, std::string> decode{
      {"box_flat", "yolo-head.decode"},  {"cls_flat", "yolo-head.decode"},   {"kpt_flat", "yolo-head.decode"},
      {"dfl_reshape", "yolo-head.decode"}, {"dfl_transpose", "yolo-head.decode"}, {"dfl_softmax", "yolo-head.dfl"},
      {"dfl_conv", "yolo-head.dfl"},      {"dfl_flat", "yolo-head.decode"},   {"decode_add", "yolo-head.decode"},
      {"cls_sigmoid", "yolo-head.decode"}, {"kpt_scale", "yolo-head.decode"},  {"kpt_grid", "yolo-head.decode"},
      {"kpt_stride", "yolo-head.decode"}, {"final_cat", "yolo-head.decode"}};
  auto with_convs = decode;
  for (const char* conv : {"box_out", "cls_out", "kpt_out"}) with_convs[conv] = "yolo-head.output-conv";
  // trt keeps float only what it would otherwise quantize: ops with Q/DQ rules (Add, Concat, Conv).
  auto trt_float = [](const std::map<std::string, std::string>& all) {
    std::map<std::string, std::string> out;
    for (const auto& [node, rule] : all)
      if (node.find("flat") == std::string::npos && node != "dfl_reshape" && node != "dfl_transpose" &&
          node != "dfl_softmax" && node != "cls_sigmoid" && node != "kpt_scale" && node != "kpt_stride")
        out[node] = rule;
    return out;
  };
  EXPECT_EQ(float_nodes(plan_for(mini_pose_head_84(), Target::Trt, YoloHeadMode::Float)), trt_float(with_convs));
  EXPECT_EQ(float_nodes(plan_for(mini_pose_head_84(), Target::Trt, YoloHeadMode::FloatDfl)), trt_float(decode));
  // ort-cpu: the whole decode stays float, and under float-dfl the output convolutions, which
  // would write a tensor only float nodes read, run in float too (the float boundary).
  auto ort = decode;
  ort.erase("dfl_softmax");  // no integer Softmax kernel: never a candidate, so never listed
  for (const char* conv : {"box_out", "cls_out", "kpt_out"}) ort[conv] = "ort-cpu.float-boundary";
  // The neck's convolution reads the 3-channel image: float, with its SiLU, on ort-cpu.
  for (const char* node : {"neck/conv", "neck/sigmoid", "neck/mul"}) ort[node] = "ort-cpu.float-image-conv";
  EXPECT_EQ(float_nodes(plan_for(mini_pose_head_84(), Target::OrtCpu, YoloHeadMode::FloatDfl)), ort);
}

TEST(TrtPlacement, YoloHeadFloatKeepsOutputConvsDflAndDecodeFloat) {
  auto plan = plan_for(mini_yolo_head(), Target::Trt, YoloHeadMode::Float);
  EXPECT_EQ(activations(plan), (Consumers{{"x", {"neck/conv"}}, {"neck/out", {"box1/conv", "cls1/conv"}}}));
  EXPECT_EQ(float_nodes(plan), (std::map<std::string, std::string>{{"box_out", "yolo-head.output-conv"},
                                                                   {"cls_out", "yolo-head.output-conv"},
                                                                   {"level_cat", "yolo-head.decode"},
                                                                   {"dfl_conv", "yolo-head.dfl"},
                                                                   {"decode_add", "yolo-head.decode"},
                                                                   {"final_cat", "yolo-head.decode"}}));
  EXPECT_FALSE(weights(plan).count("dfl_conv:dfl.weight"));
}

TEST(TrtPlacement, YoloHeadFloatDflQuantizesTheOutputConvs) {
  auto plan = plan_for(mini_yolo_head(), Target::Trt, YoloHeadMode::FloatDfl);
  EXPECT_EQ(activations(plan), (Consumers{{"x", {"neck/conv"}},
                                          {"neck/out", {"box1/conv", "cls1/conv"}},
                                          {"box1/out", {"box_out"}},
                                          {"cls1/out", {"cls_out"}}}));
  EXPECT_TRUE(weights(plan).count("box_out:box_out.weight"));
  EXPECT_FALSE(weights(plan).count("dfl_conv:dfl.weight"));
  EXPECT_EQ(float_nodes(plan).count("dfl_conv"), 1u);
  EXPECT_EQ(float_nodes(plan).count("box_out"), 0u);
}

TEST(TrtPlacement, YoloHeadInt8QuantizesTheDflButNotTheGraphOutput) {
  auto plan = plan_for(mini_yolo_head(), Target::Trt, YoloHeadMode::Int8);
  EXPECT_EQ(activations(plan), (Consumers{{"x", {"neck/conv"}},
                                          {"neck/out", {"box1/conv", "cls1/conv"}},
                                          {"box1/out", {"box_out"}},
                                          {"cls1/out", {"cls_out"}},
                                          {"dfl_p", {"dfl_conv"}}}));
  EXPECT_EQ(weights(plan).at("dfl_conv:dfl.weight"), 0);
  EXPECT_TRUE(plan.float_nodes.empty());
}

// A miniature YOLO26 head (Mul, Sigmoid and TopK are not TensorRT-quantizable types, so only
// the Concats and the Add are listed as kept float): no DFL (each level's box convolution gives the 4 distances), two
// levels, 2 classes, box decoding, the Sigmoid over the joined class convolutions, the final
// Concat and an end-to-end top-k selection.
Model mini_dfl_free_head() {
  GraphBuilder g;
  g.input("x", {1, 3, 4, 4});
  auto f = g.conv_silu("neck", "x", 8, 3);
  g.initializer("shape_box", int64_vector({1, 4, 16}));
  g.initializer("shape_cls", int64_vector({1, 2, 16}));
  for (const std::string level : {"0", "1"}) {
    auto b = g.conv_silu("box" + level, f, 8, 8);
    g.conv("box_out" + level, b, "box_raw" + level, 4, 8);
    g.node("Reshape", "box_flat" + level, {"box_raw" + level, "shape_box"}, {"box_flat" + level});
    auto c = g.conv_silu("cls" + level, f, 8, 8);
    g.conv("cls_out" + level, c, "cls_raw" + level, 2, 8);
    g.node("Reshape", "cls_flat" + level, {"cls_raw" + level, "shape_cls"}, {"cls_flat" + level});
  }
  g.node("Concat", "box_cat", {"box_flat0", "box_flat1"}, {"dist"}, {{"axis", 2}});
  g.node("Concat", "cls_cat", {"cls_flat0", "cls_flat1"}, {"logits"}, {{"axis", 2}});
  g.initializer("anchors", float_tensor({1, 4, 32}, std::vector<float>(128, 2.0f)));
  g.node("Add", "decode_add", {"dist", "anchors"}, {"boxes_grid"});
  g.initializer("stride", float_tensor({1}, {8.0f}));
  g.node("Mul", "decode_stride", {"boxes_grid", "stride"}, {"boxes"});
  g.node("Sigmoid", "cls_sigmoid", {"logits"}, {"scores"});
  g.node("Concat", "final_cat", {"boxes", "scores"}, {"decoded"}, {{"axis", 1}});
  g.initializer("k", int64_vector({4}));
  g.node("TopK", "select", {"decoded", "k"}, {"output0", "indices"}, {{"axis", 2}});
  g.output("output0", {1, 6, 4});
  return g.model();
}

TEST(TrtPlacement, DflFreeHeadKeepsDecodeFloatAndQuantizesTheOutputConvs) {
  auto plan = plan_for(mini_dfl_free_head(), Target::Trt, YoloHeadMode::FloatDfl);
  EXPECT_EQ(float_nodes(plan), (std::map<std::string, std::string>{{"box_cat", "yolo-head.decode"},
                                                                   {"cls_cat", "yolo-head.decode"},
                                                                   {"decode_add", "yolo-head.decode"},
                                                                   {"final_cat", "yolo-head.decode"}}));
  for (const char* conv : {"box_out0", "box_out1", "cls_out0", "cls_out1"})
    EXPECT_TRUE(weights(plan).count(std::string(conv) + ":" + conv + ".weight")) << conv;
  // --yolo_head float: the four output convolutions stay float too, and nothing else does.
  plan = plan_for(mini_dfl_free_head(), Target::Trt, YoloHeadMode::Float);
  const auto kept = float_nodes(plan);
  EXPECT_EQ(kept.size(), 8u);
  for (const char* conv : {"box_out0", "box_out1", "cls_out0", "cls_out1"})
    EXPECT_EQ(kept.count(conv), 1u) << conv;
  EXPECT_EQ(kept.count("neck/conv"), 0u);
}

TEST(TrtPlacement, SiluSigmoidsAreNotAHead) {
  // Sigmoids that each read one convolution (SiLU) are no class branch: no head, nothing kept.
  GraphBuilder g;
  g.input("x", {1, 3, 4, 4});
  auto a = g.conv_silu("c1", "x", 4, 3);
  auto b = g.conv_silu("c2", a, 4, 4);
  g.node("Concat", "cat", {a, b}, {"y"}, {{"axis", 1}});
  g.output("y", {1, 8, 4, 4});
  EXPECT_TRUE(plan_for(g.model(), Target::Trt, YoloHeadMode::Float).float_nodes.empty());
}

TEST(OrtCpuPlacement, QuantizesInputsAndOutputsOfIntegerOpsForAllReaders) {
  GraphBuilder g;
  g.input("x", {1, 8, 8, 8});  // 8 channels: not an image (see FirstConvolutionOfTheImageStaysFloat)
  auto a = g.conv_silu("c1", "x", 4, 8);
  g.conv("c2", a, "y", 2, 4);
  g.output("y");
  auto plan = plan_for(g.model(), Target::OrtCpu);
  EXPECT_EQ(activations(plan), (Consumers{{"x", {"c1/conv"}},
                                          {"c1/conv_out", {"c1/sigmoid", "c1/mul"}},
                                          {"c1/sigmoid_out", {"c1/mul"}},
                                          {"c1/out", {"c2"}}}));
  for (const auto& w : plan.weights) EXPECT_TRUE(w.quantize_bias) << w.node;
  // The SiLU's input, read by nothing else, is clipped below -6, where the SiLU is flat.
  ASSERT_EQ(plan.range_floors.size(), 1u);
  EXPECT_EQ(plan.range_floors[0].tensor, "c1/conv_out");
  EXPECT_EQ(plan.range_floors[0].min, -6.0f);
  EXPECT_EQ(plan.range_floors[0].rule, "ort-cpu.silu-input-floor");
  EXPECT_TRUE(plan_for(g.model(), Target::Trt).range_floors.empty());
}

TEST(OrtCpuPlacement, NoRangeFloorForATensorThatAnotherOpAlsoReads) {
  GraphBuilder g;
  g.input("x", {1, 8, 8, 8});
  g.conv("c1", "x", "c1_out", 4, 8);
  g.node("Sigmoid", "sig", {"c1_out"}, {"sig_out"});
  g.node("Mul", "mul", {"c1_out", "sig_out"}, {"silu_out"});
  g.node("Add", "add", {"c1_out", "silu_out"}, {"sum"});  // reads the SiLU's input too: not flat below -6
  g.conv("c2", "sum", "y", 2, 4);
  g.output("y");
  const auto plan = plan_for(g.model(), Target::OrtCpu);
  EXPECT_TRUE(activations(plan).count("c1_out"));
  EXPECT_TRUE(plan.range_floors.empty());
}

TEST(OrtCpuPlacement, FirstConvolutionOfTheImageStaysFloat) {
  // A convolution of a graph input with at most 4 channels runs in float with its SiLU; the
  // quantization starts at the SiLU's output. With 5 channels it is an integer kernel again.
  for (const std::int64_t channels : {3, 5}) {
    GraphBuilder g;
    g.input("x", {1, channels, 8, 8});
    auto a = g.conv_silu("c1", "x", 4, channels);
    g.conv("c2", g.conv_silu("c2a", a, 4, 4), "y", 2, 4);
    g.output("y");
    const auto plan = plan_for(g.model(), Target::OrtCpu);
    const auto acts = activations(plan);
    const auto kept = float_nodes(plan);
    if (channels == 3) {
      EXPECT_EQ(kept, (std::map<std::string, std::string>{{"c1/conv", "ort-cpu.float-image-conv"},
                                                           {"c1/sigmoid", "ort-cpu.float-image-conv"},
                                                           {"c1/mul", "ort-cpu.float-image-conv"},
                                                           {"c2", "ort-cpu.float-boundary"}}));
      EXPECT_FALSE(acts.count("x"));
      EXPECT_FALSE(acts.count("c1/conv_out"));
      EXPECT_EQ(acts.at("c1/out"), (std::set<std::string>{"c2a/conv"}));
      EXPECT_FALSE(weights(plan).count("c1/conv:c1/conv.weight"));
    } else {
      EXPECT_EQ(kept, (std::map<std::string, std::string>{{"c2", "ort-cpu.float-boundary"}}));
      EXPECT_EQ(acts.at("x"), (std::set<std::string>{"c1/conv"}));
      EXPECT_TRUE(weights(plan).count("c1/conv:c1/conv.weight"));
    }
  }
  // Only where an INT8 convolution reads its result: here the next one writes the graph output
  // (float), so the image's convolution stays the model's one integer kernel.
  GraphBuilder g;
  g.input("x", {1, 3, 8, 8});
  g.conv("c2", g.conv_silu("c1", "x", 4, 3), "y", 2, 4);
  g.output("y");
  const auto plan = plan_for(g.model(), Target::OrtCpu);
  EXPECT_EQ(float_nodes(plan), (std::map<std::string, std::string>{{"c2", "ort-cpu.float-boundary"}}));
  EXPECT_TRUE(activations(plan).count("x"));
}

TEST(OrtCpuPlacement, TensorsReadOnlyByTheFloatHeadStayFloat) {
  auto plan = plan_for(mini_yolo_head(), Target::OrtCpu, YoloHeadMode::FloatDfl);
  const auto acts = activations(plan);
  // The output convolutions are INT8, but their raw box and class outputs enter the float head.
  EXPECT_TRUE(acts.count("box1/out"));
  EXPECT_TRUE(acts.count("cls1/out"));
  EXPECT_FALSE(acts.count("box_raw"));
  EXPECT_FALSE(acts.count("cls_raw"));
  EXPECT_EQ(plan.activation_type, ActivationType::UInt8Asymmetric);
}

TEST(OrtCpuPlacement, SplitMaxPoolAndConcatRunOnUint8WithTheScaleOfTheirInput) {
  GraphBuilder g;
  g.input("x", {1, 8, 8, 8});
  auto a = g.conv_silu("c1", "x", 4, 8);
  g.node("Split", "split", {a}, {"s0", "s1"});
  g.node("MaxPool", "mp", {"s1"}, {"m"},
         {{"kernel_shape", std::vector<std::int64_t>{3, 3}}, {"pads", std::vector<std::int64_t>{1, 1, 1, 1}}});
  g.node("Concat", "cat", {"s0", "m"}, {"cat_out"}, {{"axis", 1}});
  g.conv("c2", "cat_out", "y", 2, 4);
  g.output("y");
  auto plan = plan_for(g.model(), Target::OrtCpu);
  EXPECT_EQ(activations(plan), (Consumers{{"x", {"c1/conv"}},
                                          {"c1/conv_out", {"c1/sigmoid", "c1/mul"}},
                                          {"c1/sigmoid_out", {"c1/mul"}},
                                          {"c1/out", {"split"}},
                                          {"s0", {"cat"}},
                                          {"s1", {"mp"}},
                                          {"m", {"cat"}},
                                          {"cat_out", {"c2"}}}));
  // The Concat joins them: its inputs and output share one scale too, so it copies bytes.
  EXPECT_EQ(groups(plan), (Groups{{"c1/out", "cat_out", "m", "s0", "s1"}}));
  // c2 writes the graph output, which stays float, so it cannot become a QLinearConv: it runs in
  // float with its float weights.
  EXPECT_EQ(float_nodes(plan), (std::map<std::string, std::string>{{"c2", "ort-cpu.float-boundary"}}));
  EXPECT_EQ(weights(plan), (std::map<std::string, int>{{"c1/conv:c1/conv.weight", 0}}));
}

TEST(OrtCpuPlacement, ConcatInputsShareTheOutputsScale) {
  // Two branches with their own ranges: joined by a Concat, they get its scale (one group), so
  // ONNX Runtime's QLinearConcat copies instead of requantizing every value.
  GraphBuilder g;
  g.input("x", {1, 8, 8, 8});
  auto a = g.conv_silu("c1", "x", 4, 8);
  auto b = g.conv_silu("c2", "x", 4, 8);
  g.node("Concat", "cat", {a, b}, {"cat_out"}, {{"axis", 1}});
  g.conv("c3", "cat_out", "y", 2, 8);
  g.output("y");
  const auto plan = plan_for(g.model(), Target::OrtCpu);
  EXPECT_EQ(groups(plan), (Groups{{"c1/out", "c2/out", "cat_out"}}));
  ASSERT_EQ(plan.scale_groups.size(), 1u);
  EXPECT_EQ(plan.scale_groups[0].rule, "ort-cpu.concat-same-scale");
}

TEST(OrtCpuPlacement, WeightsArePairSafeExceptForDepthwiseConvolutions) {
  GraphBuilder g;
  g.input("x", {1, 8, 8, 8});
  auto a = g.conv_silu("pw", "x", 4, 8);
  GraphBuilder::set_attribute(g.conv("dw", a, "dw_out", 4, 1, 3), "group", 4);
  g.node("Sigmoid", "sig", {"dw_out"}, {"y"});
  g.output("y");
  auto plan = plan_for(g.model(), Target::OrtCpu);
  std::map<std::string, bool> pair_safe;
  for (const auto& w : plan.weights) pair_safe[w.node] = w.u8s8_pair_safe;
  EXPECT_EQ(pair_safe, (std::map<std::string, bool>{{"dw", false}, {"pw/conv", true}}));
}

TEST(Placement, ExclusionsByOpTypeAndNodeNameKeepNodesFloat) {
  GraphBuilder g;
  g.input("x", {1, 3, 8, 8});
  auto a = g.conv_silu("c1", "x", 4, 3);
  g.conv("c2", a, "y", 2, 4);
  g.output("y");
  PlanOptions o;
  o.nodes_to_exclude = {"c2", "nomatch"};
  auto result = plan_quantization(g.model(), o);
  EXPECT_EQ(activations(result.plan), (Consumers{{"x", {"c1/conv"}}}));
  EXPECT_EQ(float_nodes(result.plan), (std::map<std::string, std::string>{{"c2", "user.nodes_to_exclude"}}));
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_THAT(result.warnings[0], ::testing::HasSubstr("'nomatch'"));
  // Matching is from the start of the name: "1/conv" matches nothing.
  o.nodes_to_exclude = {"1/conv"};
  EXPECT_EQ(plan_quantization(g.model(), o).warnings.size(), 1u);
}

TEST(Placement, InvalidRegexAndNothingQuantizableAreErrors) {
  GraphBuilder g;
  g.input("x", {1, 3});
  g.node("Relu", "relu", {"x"}, {"y"});
  g.output("y");
  PlanOptions o;
  EXPECT_THROW(
      {
        try {
          plan_quantization(g.model(), o);
        } catch (const Error& e) {
          EXPECT_THAT(e.what(), ::testing::HasSubstr("Relu 1"));
          throw;
        }
      },
      Error);
  o.nodes_to_exclude = {"(unclosed"};
  EXPECT_THROW(plan_quantization(g.model(), o), Error);
}

TEST(QuantPlanJson, RoundTripsAndRejectsUnknownTensors) {
  auto m = mini_yolo_head();
  // ort-cpu plans also carry u8s8_pair_safe weights and UINT8 activations.
  auto ort_plan = plan_for(m, Target::OrtCpu, YoloHeadMode::Int8);
  EXPECT_EQ(to_json(plan_from_json(to_json(ort_plan))), to_json(ort_plan));
  auto plan = plan_for(m, Target::Trt, YoloHeadMode::FloatDfl);
  auto back = plan_from_json(to_json(plan));
  EXPECT_EQ(to_json(back), to_json(plan));
  GraphIndex index(m.graph());
  EXPECT_NO_THROW(validate_plan(back, index));
  back.activations.push_back({"no_such_tensor", {"box_out"}, "user"});
  EXPECT_THROW(validate_plan(back, index), Error);
  // Range floors: written and read back, unknown tensors and positive floors refused.
  ASSERT_FALSE(ort_plan.range_floors.empty());
  EXPECT_TRUE(to_json(ort_plan).contains("range_floors"));
  EXPECT_FALSE(to_json(plan).contains("range_floors"));
  auto floored = plan_from_json(to_json(ort_plan));
  EXPECT_NO_THROW(validate_plan(floored, index));
  floored.range_floors.push_back({"no_such_tensor", -1.0f, "user"});
  EXPECT_THROW(validate_plan(floored, index), Error);
  EXPECT_THROW(plan_from_json(nlohmann::json::parse(R"({"range_floors": [{"tensor": "x", "min": 1}]})")), Error);
  EXPECT_THROW(plan_from_json(nlohmann::json::parse(R"({"range_floors": [{"tensor": "x"}]})")), Error);
  EXPECT_THROW(plan_from_json(nlohmann::json::parse(R"({"range_floors": [{"tensor": "x", "min": -1e300}]})")), Error);
  EXPECT_THROW(plan_from_json(nlohmann::json::parse(R"({"activations": [{"consumers": []}]})")), Error);
}

// An axis that is not a small integer was an out-of-range conversion (1e300 to int).
TEST(QuantPlanJson, AxisMustBeAnInteger) {
  for (const char* axis : {"1e300", "1.5", "4294967296", "\"0\""})
    EXPECT_THROW(plan_from_json(nlohmann::json::parse(std::string(R"({"weights": [{"node": "c", "tensor": "w", "axis": )") +
                                                      axis + "}]}")),
                 Error)
        << axis;
  EXPECT_EQ(plan_from_json(nlohmann::json::parse(R"({"weights": [{"node": "c", "tensor": "w", "axis": 1}]})")).weights[0].axis, 1);
}

TEST(OpsetCheck, BelowTenIsRefusedAndTenToTwelveOnlyWithoutChangedOps) {
  auto conv_model = [](std::int64_t opset, bool squeeze) {
    GraphBuilder g(opset);
    g.input("x", {1, 3, 4, 4});
    g.conv("c", "x", squeeze ? "h" : "y", 2, 3);
    if (squeeze) g.node("Squeeze", "sq", {"h"}, {"y"});
    g.output("y");
    return g.model();
  };
  PlanOptions o;
  EXPECT_EQ(testing::error_message([&] { plan_quantization(conv_model(9, false), o); }),
            "model: opset 9 is older than 10, the first with QuantizeLinear and DequantizeLinear; convert the model to "
            "opset 13 or newer (onnx.version_converter) and quantize that");
  EXPECT_NO_THROW(plan_quantization(conv_model(11, false), o));
  EXPECT_EQ(testing::error_message([&] { plan_quantization(conv_model(12, true), o); }),
            "model: opset 12: node 'sq' (Squeeze) changed in opset 13, and Q/DQ per channel needs opset 13; convert the "
            "model to opset 13 or newer (onnx.version_converter) and quantize that");
  EXPECT_NO_THROW(plan_quantization(conv_model(13, true), o));
}

}  // namespace
}  // namespace yoloq
