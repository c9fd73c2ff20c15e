// What each --yolo_head preset keeps float on the synth graph of every head kind (the graphs of
// Ultralytics' exports), per target: rule and op type of every float node, counted. The
// miniature heads with named nodes are in placement_test.cpp.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <tuple>

#include "yoloq/plan/quant_plan.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/synth/graph_builder.hpp"
#include "synth/synth_test_support.hpp"
#include "yoloq/synth/yolo_synth.hpp"

namespace yoloq {
namespace {

using Kept = std::map<std::string, int>;  // "rule op" -> count

Kept kept_float(const Model& model, Target target, YoloHeadMode preset) {
  PlanOptions options;
  options.target = target;
  options.yolo_head = preset;
  Kept kept;
  for (const auto& f : plan_quantization(model, options).plan.float_nodes) ++kept[f.rule + " " + f.op_type];
  return kept;
}

// The graph of `name` at 64 pixels: the head is the same at every size, and small is fast.
Model synth(const std::string& name) { return synthesize_yolo(testing::arch(name, 64)); }

// `base` plus `extra`, for presets that keep more than another.
Kept with(Kept base, const Kept& extra) {
  for (const auto& [k, n] : extra) base[k] += n;
  return base;
}

const char* const kDfl = "yolo-head.dfl Conv";
const char* const kOutputConv = "yolo-head.output-conv Conv";
const char* const kBoundaryConv = "ort-cpu.float-boundary Conv";
const char* const kBoundaryMul = "ort-cpu.float-boundary Mul";
// ort-cpu keeps every model's first convolution (it reads the 3-channel image) and its SiLU float.
const Kept kImageConv{{"ort-cpu.float-image-conv Conv", 1},
                      {"ort-cpu.float-image-conv Mul", 1},
                      {"ort-cpu.float-image-conv Sigmoid", 1}};

struct KindCase {
  std::string arch;
  int output_convs;  // the head's output convolutions, all branches
  Kept trt_decode;   // float-dfl on trt: the decode's Add/Concat (and the DFL Conv)
  Kept ort_decode;   // float-dfl on ort-cpu: the whole decode, float
  Kept ort_boundary; // float-dfl on ort-cpu: what only float nodes read runs in float too
  Kept ort_int8;     // int8 on ort-cpu: what its float boundary still keeps
};

TEST(HeadPresets, EveryKindKeepsItsDecodeFloatAndItsOutputConvolutionsUnderFloat) {
  const std::vector<KindCase> cases{
      {"yolo11n-seg", 10, {{"yolo-head.decode Add", 2}, {"yolo-head.decode Concat", 5}, {kDfl, 1}},
       {{"yolo-head.decode Add", 2}, {"yolo-head.decode Concat", 5}, {"yolo-head.decode Mul", 2},
        {"yolo-head.decode Reshape", 11}, {"yolo-head.decode Sigmoid", 2}, {"yolo-head.decode Slice", 2},
        {"yolo-head.decode Transpose", 1}, {kDfl, 1}},
       {{kBoundaryConv, 10}, {kBoundaryMul, 1}},
       {{"ort-cpu.float-boundary Add", 2}, {"ort-cpu.float-boundary Concat", 1}, {kBoundaryMul, 2},
        {"ort-cpu.float-boundary Slice", 1}, {"ort-cpu.float-boundary Transpose", 1}}},
      {"yolo11n-pose", 9, {{"yolo-head.decode Add", 3}, {"yolo-head.decode Concat", 6}, {kDfl, 1}},
       {{"yolo-head.decode Add", 3}, {"yolo-head.decode Concat", 6}, {"yolo-head.decode Mul", 3},
        {"yolo-head.decode Reshape", 13}, {"yolo-head.decode Sigmoid", 2}, {"yolo-head.decode Slice", 4},
        {"yolo-head.decode Transpose", 1}, {kDfl, 1}},
       {{kBoundaryConv, 9}},
       {{"ort-cpu.float-boundary Add", 2}, {"ort-cpu.float-boundary Concat", 1}, {"ort-cpu.float-boundary Slice", 1},
        {"ort-cpu.float-boundary Transpose", 1}}},
      {"yolo11n-obb", 9, {{"yolo-head.decode Add", 3}, {"yolo-head.decode Concat", 6}, {kDfl, 1}},
       {{"yolo-head.decode Add", 3}, {"yolo-head.decode Concat", 6}, {"yolo-head.decode Mul", 6},
        {"yolo-head.decode Reshape", 11}, {"yolo-head.decode Sigmoid", 2}, {"yolo-head.decode Split", 2},
        {"yolo-head.decode Transpose", 1}, {kDfl, 1}},
       {{kBoundaryConv, 9}},
       {{"ort-cpu.float-boundary Concat", 1}, {kBoundaryMul, 3}, {"ort-cpu.float-boundary Sigmoid", 1},
        {"ort-cpu.float-boundary Split", 1}, {"ort-cpu.float-boundary Transpose", 1}}},
      {"yolo11n-cls", 1, {{"yolo-head.decode Gemm", 1}, {"yolo-head.decode GlobalAveragePool", 1}},
       {{"yolo-head.decode Flatten", 1}, {"yolo-head.decode Gemm", 1}, {"yolo-head.decode GlobalAveragePool", 1},
        {"yolo-head.decode Mul", 1}, {"yolo-head.decode Sigmoid", 1}},
       {{kBoundaryConv, 1}},
       {}},
      {"yolo26n-e2e", 6, {{"yolo-head.decode Add", 1}, {"yolo-head.decode Concat", 5}},
       {{"yolo-head.decode Add", 1}, {"yolo-head.decode Concat", 5}, {"yolo-head.decode Expand", 2},
        {"yolo-head.decode Flatten", 1}, {"yolo-head.decode Mul", 1}, {"yolo-head.decode Reshape", 6},
        {"yolo-head.decode Sigmoid", 1}, {"yolo-head.decode Slice", 2}, {"yolo-head.decode Split", 1},
        {"yolo-head.decode Transpose", 1}, {"yolo-head.decode Unsqueeze", 4}},
       {{kBoundaryConv, 6}},
       {{"ort-cpu.float-boundary Concat", 1}, {"ort-cpu.float-boundary Flatten", 1},
        {"ort-cpu.float-boundary Slice", 1}, {"ort-cpu.float-boundary Split", 1}}},
      {"yolov10n-e2e", 6, {{"yolo-head.decode Add", 1}, {"yolo-head.decode Concat", 5}, {kDfl, 1}},
       {{"yolo-head.decode Add", 1}, {"yolo-head.decode Concat", 5}, {"yolo-head.decode Expand", 2},
        {"yolo-head.decode Flatten", 1}, {"yolo-head.decode Mul", 1}, {"yolo-head.decode Reshape", 8},
        {"yolo-head.decode Sigmoid", 1}, {"yolo-head.decode Slice", 2}, {"yolo-head.decode Split", 1},
        {"yolo-head.decode Transpose", 2}, {"yolo-head.decode Unsqueeze", 4}, {kDfl, 1}},
       {{kBoundaryConv, 6}},
       {{"ort-cpu.float-boundary Concat", 1}, {"ort-cpu.float-boundary Flatten", 1},
        {"ort-cpu.float-boundary Slice", 1}, {"ort-cpu.float-boundary Split", 1},
        {"ort-cpu.float-boundary Transpose", 1}}},
  };
  for (const auto& c : cases) {
    const Model model = synth(c.arch);
    // trt: float-dfl keeps the decode's quantizable ops, float adds every output convolution,
    // int8 keeps nothing (the graph outputs are never quantized anyway).
    EXPECT_EQ(kept_float(model, Target::Trt, YoloHeadMode::FloatDfl), c.trt_decode) << c.arch;
    EXPECT_EQ(kept_float(model, Target::Trt, YoloHeadMode::Float), with(c.trt_decode, {{kOutputConv, c.output_convs}}))
        << c.arch;
    EXPECT_EQ(kept_float(model, Target::Trt, YoloHeadMode::Int8), Kept{}) << c.arch;
    // ort-cpu: under float-dfl the output convolutions write tensors only float nodes read, so
    // they run in float (the float boundary); int8 leaves only what has no integer kernel.
    EXPECT_EQ(kept_float(model, Target::OrtCpu, YoloHeadMode::FloatDfl),
              with(with(c.ort_decode, c.ort_boundary), kImageConv))
        << c.arch;
    EXPECT_EQ(kept_float(model, Target::OrtCpu, YoloHeadMode::FloatDfl).at(kBoundaryConv), c.output_convs) << c.arch;
    EXPECT_EQ(kept_float(model, Target::OrtCpu, YoloHeadMode::Int8), with(c.ort_int8, kImageConv)) << c.arch;
  }
}

TEST(HeadPresets, ExplicitPresetWithoutAHeadIsAnErrorNamingWhatWasLookedFor) {
  GraphBuilder g;
  g.input("x", {1, 3, 4, 4});
  g.output(g.conv_silu("c2", g.conv_silu("c1", "x", 4, 3), 4, 4), {1, 4, 4, 4});
  PlanOptions options;
  options.yolo_head = YoloHeadMode::Float;
  options.yolo_head_given = true;
  try {
    (void)plan_quantization(g.model(), options);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--yolo_head float: no YOLO head found in the model (looked for a DFL", 0), 0u)
        << e.what();
  }
  // The default preset on the same model quantizes it without a word, since nothing says it is a
  // YOLO model; with Ultralytics metadata naming a task it warns.
  options.yolo_head_given = false;
  EXPECT_TRUE(plan_quantization(g.model(), options).warnings.empty());
  auto* task = g.model().proto.add_metadata_props();
  task->set_key("task");
  task->set_value("pose");
  const auto warnings = plan_quantization(g.model(), options).warnings;
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].rfind("the model's metadata says task 'pose' but no pose head was found", 0), 0u) << warnings[0];
  EXPECT_NE(warnings[0].find("the head will be quantized like the body"), std::string::npos);
}

TEST(HeadPresets, PlanNamesTheHeadAndKeepsTheNameThroughJson) {
  PlanOptions options;
  const auto plan = plan_quantization(synth("yolo11n-pose"), options).plan;
  EXPECT_EQ(plan.head, "pose: DFL (reg_max 16), 6 box/class + 3 keypoint output convolutions, 37 decode nodes");
  EXPECT_EQ(plan_from_json(to_json(plan)).head, plan.head);
}

}  // namespace
}  // namespace yoloq
