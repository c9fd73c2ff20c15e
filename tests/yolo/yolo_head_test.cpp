// The head found by structure: every kind on the synth graph of each family and task (the graphs
// of Ultralytics' exports), a DFL whose reg_max is not 16, and the shared real models. The
// placement each preset gives is in tests/plan/head_presets_test.cpp.
#include <gtest/gtest.h>

#include "test_support.hpp"
#include "yoloq/synth/graph_builder.hpp"
#include "synth/synth_test_support.hpp"
#include "yoloq/synth/yolo_synth.hpp"
#include "yoloq/yolo/yolo_head.hpp"

namespace yoloq {
namespace {

std::multiset<std::string> op_types(const GraphIndex& index, const std::set<std::size_t>& nodes) {
  std::multiset<std::string> out;
  for (auto n : nodes) out.insert(index.node(n).op_type());
  return out;
}

// The channels each convolution writes.
std::multiset<std::int64_t> out_channels(const GraphIndex& index, const std::set<std::size_t>& convs) {
  std::multiset<std::int64_t> out;
  for (auto n : convs) out.insert(index.initializer(index.node(n).input(1))->dims(0));
  return out;
}

// The graph of `name` at 64 pixels: the head is the same at every size, and small is fast.
Model synth(const std::string& name) { return synthesize_yolo(testing::arch(name, 64)); }

struct Expected {
  std::string arch;
  HeadKind kind;
  int reg_max;
  std::multiset<std::int64_t> box, classes, task;  // output channels of each branch's convolutions
  std::size_t prototypes, selection;
};

TEST(YoloHead, EveryFamilyAndTaskIsFoundWithItsParts) {
  using M = std::multiset<std::int64_t>;
  const M box16{64, 64, 64}, box1{4, 4, 4}, cls80{80, 80, 80};  // synth's 80 classes for every task
  // The YOLO11 detect synth is the 8.3 export: each level's box and class channels are joined
  // before the DFL, so both branches are read through it and through the class Sigmoid.
  const M joined{64, 64, 64, 80, 80, 80};
  const std::vector<Expected> expected{
      {"yolo11n", HeadKind::Detect, 16, joined, joined, {}, 0, 0},
      {"yolo11n-seg", HeadKind::Segment, 16, box16, cls80, {32, 32, 32}, 10, 0},
      {"yolo11n-pose", HeadKind::Pose, 16, box16, cls80, {51, 51, 51}, 0, 0},
      {"yolo11n-obb", HeadKind::Obb, 16, box16, cls80, {1, 1, 1}, 0, 0},
      {"yolo26n", HeadKind::Detect, 1, box1, cls80, {}, 0, 0},
      {"yolo26n-e2e", HeadKind::Detect, 1, box1, cls80, {}, 0, 19},
      {"yolov8n", HeadKind::Detect, 16, box16, cls80, {}, 0, 0},
      {"yolov10n-e2e", HeadKind::Detect, 16, box16, cls80, {}, 0, 19},
  };
  for (const auto& e : expected) {
    const Model model = synth(e.arch);
    const GraphIndex index(model.graph());
    const auto head = find_yolo_head(index);
    ASSERT_TRUE(head) << e.arch;
    EXPECT_EQ(head_kind_name(head->kind), head_kind_name(e.kind)) << e.arch;
    EXPECT_EQ(head->reg_max, e.reg_max) << e.arch;
    EXPECT_EQ(head->dfl_conv.has_value(), e.reg_max > 1) << e.arch;
    EXPECT_EQ(out_channels(index, head->box_convs), e.box) << e.arch;
    EXPECT_EQ(out_channels(index, head->class_convs), e.classes) << e.arch;
    EXPECT_EQ(out_channels(index, head->task_convs), e.task) << e.arch;
    EXPECT_EQ(head->prototypes.size(), e.prototypes) << e.arch;
    EXPECT_EQ(head->selection.size(), e.selection) << e.arch;
    ASSERT_TRUE(head->class_sigmoid) << e.arch;
    EXPECT_TRUE(head->tail.count(*head->class_sigmoid)) << e.arch;
    EXPECT_EQ(op_types(index, head->selection).count("TopK"), e.selection ? 2u : 0u) << e.arch;
    for (auto n : head->selection) EXPECT_TRUE(head->tail.count(n)) << e.arch;
  }
}

TEST(YoloHead, ClassifierIsItsPoolLinearAndSoftmax) {
  const Model model = synth("yolo11n-cls");
  const GraphIndex index(model.graph());
  const auto head = find_yolo_head(index);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->kind, HeadKind::Classify);
  EXPECT_EQ(head->output_convs.size(), 1u);
  EXPECT_EQ(op_types(index, head->tail),
            (std::multiset<std::string>{"Sigmoid", "Mul", "GlobalAveragePool", "Flatten", "Gemm", "Softmax"}));
  EXPECT_FALSE(head->class_sigmoid);
  EXPECT_EQ(head->description(), "classify: pool, Linear and Softmax after 1 output convolution");
}

TEST(YoloHead, DescriptionNamesKindDflAndParts) {
  auto describe = [](const std::string& arch) {
    const Model model = synth(arch);
    return find_yolo_head(GraphIndex(model.graph()))->description();
  };
  EXPECT_EQ(describe("yolo11n-pose"),
            "pose: DFL (reg_max 16), 6 box/class + 3 keypoint output convolutions, 37 decode nodes");
  EXPECT_EQ(describe("yolo26n-e2e"),
            "detect: no DFL, 6 box/class output convolutions, 35 decode nodes (end-to-end selection: 19 nodes)");
  EXPECT_EQ(describe("yolo11n-seg"),
            "segment: DFL (reg_max 16), 6 box/class + 3 mask-coefficient output convolutions, a 10-node prototype "
            "branch, 30 decode nodes");
}

// A one-level DFL head with 8 bins per side: reg_max comes from the DFL weight, not a constant.
TEST(YoloHead, RegMaxIsReadFromTheDflWeights) {
  GraphBuilder g;
  g.input("x", {1, 3, 4, 4});
  auto f = g.conv_silu("neck", "x", 8, 3);
  g.conv("box_out", g.conv_silu("box1", f, 8, 8), "box_raw", 32, 8);
  g.conv("cls_out", g.conv_silu("cls1", f, 8, 8), "cls_raw", 2, 8);
  g.initializer("shape_box", int64_vector({1, 4, 8, 16}));
  g.node("Reshape", "dfl_reshape", {"box_raw", "shape_box"}, {"dfl_r"});
  g.node("Transpose", "dfl_transpose", {"dfl_r"}, {"dfl_t"}, {{"perm", std::vector<std::int64_t>{0, 2, 1, 3}}});
  g.node("Softmax", "dfl_softmax", {"dfl_t"}, {"dfl_p"}, {{"axis", 1}});
  g.initializer("dfl.weight", float_tensor({1, 8, 1, 1}, {0, 1, 2, 3, 4, 5, 6, 7}));
  g.node("Conv", "dfl_conv", {"dfl_p", "dfl.weight"}, {"dfl_out"});
  g.initializer("shape_dist", int64_vector({1, 4, 16}));
  g.node("Reshape", "dfl_flat", {"dfl_out", "shape_dist"}, {"dist"});
  g.initializer("shape_cls", int64_vector({1, 2, 16}));
  g.node("Reshape", "cls_flat", {"cls_raw", "shape_cls"}, {"cls"});
  g.node("Sigmoid", "cls_sigmoid", {"cls"}, {"scores"});
  g.node("Concat", "final_cat", {"dist", "scores"}, {"output0"}, {{"axis", 1}});
  g.output("output0", {1, 6, 16});
  const GraphIndex index(g.model().graph());
  const auto head = find_yolo_head(index);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->reg_max, 8);
  EXPECT_EQ(index.node_name(*head->dfl_conv), "dfl_conv");
  EXPECT_EQ(index.node_name(*head->class_sigmoid), "cls_sigmoid");
  EXPECT_EQ(head->kind, HeadKind::Detect);
  EXPECT_EQ(out_channels(index, head->box_convs), (std::multiset<std::int64_t>{32}));
  EXPECT_EQ(out_channels(index, head->class_convs), (std::multiset<std::int64_t>{2}));
}

// A dynamic export computes its anchor grid from the feature map's shape (Shape -> ... -> Add):
// those nodes hold the same values for every image, so they are the decoding's, not the body's,
// and the Shape's input is no path that makes the backbone part of the head.
TEST(YoloHead, AnchorsComputedFromShapesArePartOfTheDecode) {
  GraphBuilder g;
  g.input("x", {1, 3, 4, 4});
  auto f = g.conv_silu("neck", "x", 8, 3);
  g.conv("cls_out0", g.conv_silu("cls0", f, 8, 8), "cls_raw0", 2, 8);
  g.conv("cls_out1", g.conv_silu("cls1", f, 8, 8), "cls_raw1", 2, 8);
  g.conv("box_out", g.conv_silu("box1", f, 8, 8), "box_raw", 4, 8);
  g.node("Concat", "cls_cat", {"cls_raw0", "cls_raw1"}, {"cls"}, {{"axis", 1}});
  g.node("Sigmoid", "cls_sigmoid", {"cls"}, {"scores"});
  g.node("Shape", "grid_shape", {f}, {"shape"});
  g.node("Cast", "grid_cast", {"shape"}, {"shape_f"}, {{"to", std::int64_t{1}}});
  g.initializer("half", float_tensor({1}, {0.5f}));
  g.node("Mul", "grid_half", {"shape_f", "half"}, {"grid"});
  g.node("ReduceMax", "grid_max", {"grid"}, {"grid_one"}, {{"keepdims", std::int64_t{1}}});
  g.node("Add", "decode_add", {"box_raw", "grid_one"}, {"boxes"});
  g.node("Concat", "final_cat", {"boxes", "scores"}, {"output0"}, {{"axis", 1}});
  g.output("output0", {1, 8, 4, 4});
  const GraphIndex index(g.model().graph());
  const auto head = find_yolo_head(index);
  ASSERT_TRUE(head);
  std::set<std::string> tail;
  for (auto n : head->tail) tail.insert(index.node_name(n));
  EXPECT_EQ(tail, (std::set<std::string>{"cls_cat", "cls_sigmoid", "grid_shape", "grid_cast", "grid_half", "grid_max",
                                         "decode_add", "final_cat"}));
  std::set<std::string> convs;
  for (auto n : head->output_convs) convs.insert(index.node_name(n));
  EXPECT_EQ(convs, (std::set<std::string>{"cls_out0", "cls_out1", "box_out"}));
}

TEST(YoloHead, PlainNetworkHasNone) {
  GraphBuilder g;
  g.input("x", {1, 3, 4, 4});
  auto a = g.conv_silu("c1", "x", 4, 3);
  g.output(g.conv_silu("c2", a, 4, 4), {1, 4, 4, 4});
  EXPECT_FALSE(find_yolo_head(GraphIndex(g.model().graph())));
}

TEST(YoloHeadRealData, Yolo11HasADflAndSixOutputConvolutions) {
  if (!testing::have_real_data()) GTEST_SKIP() << "no shared data at " << testing::data_dir();
  const Model model = load_model(testing::float_model());
  const GraphIndex index(model.graph());
  const auto head = find_yolo_head(index);
  ASSERT_TRUE(head);
  ASSERT_TRUE(head->dfl_conv);
  EXPECT_EQ(head->kind, HeadKind::Detect);
  EXPECT_EQ(index.node(*head->dfl_softmax).op_type(), "Softmax");
  EXPECT_EQ(head->output_convs.size(), 6u);  // box and class, three levels
  EXPECT_EQ(op_types(index, head->tail).count("Sigmoid"), 1u);  // the class scores' only
}

TEST(YoloHeadRealData, Yolo26EndToEndHeadHasNoDflAndKeepsItsSelectionInTheTail) {
  const auto path = testing::data_dir() / "models" / "yolo26n-coco-640.onnx";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  const Model model = load_model(path);
  const GraphIndex index(model.graph());
  const auto head = find_yolo_head(index);
  ASSERT_TRUE(head);
  EXPECT_FALSE(head->dfl_conv);
  EXPECT_TRUE(head->end_to_end());
  EXPECT_EQ(head->output_convs.size(), 6u);
  EXPECT_EQ(out_channels(index, head->box_convs), (std::multiset<std::int64_t>{4, 4, 4}));
  EXPECT_EQ(out_channels(index, head->class_convs), (std::multiset<std::int64_t>{80, 80, 80}));
  const auto tail = op_types(index, head->tail);
  EXPECT_EQ(tail.count("TopK"), 2u);
  EXPECT_EQ(tail.count("Sigmoid"), 1u);
  EXPECT_EQ(tail.count("Conv"), 0u);
}

TEST(YoloHeadRealData, PoseAndSegmentModelsAreFoundAsTheirKind) {
  for (const auto& [file, kind] : {std::pair{"yolo11n-pose-coco-640.onnx", HeadKind::Pose},
                                   std::pair{"yolov8n-seg-coco-320.onnx", HeadKind::Segment}}) {
    const auto path = testing::data_dir() / "models" / file;
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
    const Model model = load_model(path);
    const auto head = find_yolo_head(GraphIndex(model.graph()));
    ASSERT_TRUE(head) << file;
    EXPECT_EQ(head->kind, kind) << file;
    EXPECT_EQ(head->task_convs.size(), 3u) << file;
  }
}

}  // namespace
}  // namespace yoloq
