// Segment, pose, obb and classify: the interface and size of each graph, and heads that decode
// as Ultralytics' do, checked on the values the graph computes.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "synth/synth_test_support.hpp"
#include "test_support.hpp"
#include "yoloq/synth/yolo_synth.hpp"
#include "yoloq/yolo/metadata.hpp"

using namespace yoloq;
using namespace yoloq::testing;

namespace {

std::vector<std::string> metadata_keys(const Model& m) {
  std::vector<std::string> keys;
  for (const auto& p : m.proto.metadata_props()) keys.push_back(p.key());
  return keys;
}

// Runs `m` on `image` and returns the values of `tensors` (graph outputs or inner node outputs).
std::vector<Tensor> run_tensors(Model m, const Tensor& image,
                                const std::vector<std::string>& tensors) {
  for (const auto& name : tensors) {
    bool is_output = false;
    for (const auto& o : m.graph().output()) is_output = is_output || o.name() == name;
    if (is_output) continue;
    auto* out = m.graph().add_output();
    out->set_name(name);
    out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  }
  Session session(serialize_model(m), "task", yoloq::testing::synth_test_runtime());
  return session.run({{"images", image}}, tensors);
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

}  // namespace

// Ultralytics' published sizes (YOLO11 docs: seg on COCO's 80 classes, pose on 1, obb on DOTA's
// 15), within 1%.
TEST(SynthTasks, ParameterCountsMatchThePublishedOnes) {
  struct Published {
    std::string arch;
    std::int64_t classes;
    double count;
  };
  const std::vector<Published> published{
      {"yolo11n-seg", 80, 2.9e6},   {"yolo11s-seg", 80, 10.1e6},  {"yolo11m-seg", 80, 22.4e6},
      {"yolo11l-seg", 80, 27.6e6},  {"yolo11x-seg", 80, 62.1e6},  {"yolo11n-pose", 1, 2.9e6},
      {"yolo11s-pose", 1, 9.9e6},   {"yolo11m-pose", 1, 20.9e6},  {"yolo11l-pose", 1, 26.2e6},
      {"yolo11x-pose", 1, 58.8e6},  {"yolo11n-obb", 15, 2.7e6},   {"yolo11s-obb", 15, 9.7e6},
      {"yolo11m-obb", 15, 20.9e6},  {"yolo11l-obb", 15, 26.2e6},  {"yolo11x-obb", 15, 58.8e6}};
  for (const auto& p : published) {
    const auto parameters =
        static_cast<double>(yolo_parameter_count(arch(p.arch, 640, p.classes)));
    // Rounded to 0.1M, the published figure of a 2.7M model is only good to 2%.
    EXPECT_NEAR(parameters, p.count, std::max(0.01 * p.count, 0.05e6)) << p.arch;
  }
}

// Classify's published 1.6M (YOLO11n-cls) is not what its export holds: the 8.4.190 export of
// yolo11n-cls.yaml (1000 classes) has these, and the synthesized graph the same initializers.
TEST(SynthTasks, ClassifyParameterCountsAreTheExports) {
  EXPECT_EQ(yolo_parameter_count(arch("yolo11n-cls")), 2807024);
  EXPECT_EQ(yolo_parameter_count(arch("yolo11s-cls")), 6715128);
  // The Linear layer is most of the difference between class counts: 1281 per class.
  EXPECT_EQ(yolo_parameter_count(arch("yolo11n-cls")) -
                yolo_parameter_count(arch("yolo11n-cls", 640, 10)),
            990 * 1281);
}

// Node and initializer counts are those of Ultralytics 8.4.190's exports of the yaml files
// (/work/exports); outputs and metadata as it writes them.
TEST(SynthTasks, NanoGraphsOfEveryTask) {
  struct Expected {
    std::string arch;
    int nodes, initializers;
    std::vector<std::pair<std::string, std::vector<std::int64_t>>> outputs;
    std::string task, head, stride;
    std::size_t classes;
  };
  const std::vector<Expected> expected{
      {"yolo11n-seg",
       355,
       223,
       {{"output0", {1, 116, 8400}}, {"output1", {1, 32, 160, 160}}},
       "segment",
       "Segment",
       "32",
       80},
      {"yolo11n-pose", 354, 219, {{"output0", {1, 135, 8400}}}, "pose", "Pose", "32", 80},
      {"yolo11n-obb", 356, 214, {{"output0", {1, 85, 8400}}}, "obb", "OBB", "32", 80},
      {"yolo11n-cls", 144, 88, {{"output0", {1, 1000}}}, "classify", "Classify", "1", 1000}};
  for (const auto& e : expected) {
    Model m = synthesize_yolo(arch(e.arch));
    EXPECT_EQ(m.graph().node_size(), e.nodes) << e.arch;
    EXPECT_EQ(m.graph().initializer_size(), e.initializers) << e.arch;
    EXPECT_EQ(m.proto.ir_version(), 8) << e.arch;
    EXPECT_EQ(m.opset(), 18) << e.arch;
    GraphIndex index(m.graph());
    ASSERT_EQ(index.outputs().size(), e.outputs.size()) << e.arch;
    for (std::size_t i = 0; i < e.outputs.size(); ++i) {
      EXPECT_EQ(index.outputs()[i].name, e.outputs[i].first) << e.arch;
      EXPECT_EQ(index.outputs()[i].shape, e.outputs[i].second) << e.arch;
    }
    std::vector<std::string> keys{"description", "author", "stride",   "task",   "head",
                                  "batch",       "imgsz",  "names",    "channels", "end2end"};
    if (e.task == "pose") keys.push_back("kpt_shape");
    EXPECT_EQ(metadata_keys(m), keys) << e.arch;
    EXPECT_EQ(metadata_value(m, "head"), e.head) << e.arch;
    EXPECT_EQ(metadata_value(m, "stride"), e.stride) << e.arch;
    auto meta = read_yolo_metadata(m);
    ASSERT_TRUE(meta) << e.arch;
    EXPECT_EQ(meta->task, e.task) << e.arch;
    EXPECT_EQ(meta->names.size(), e.classes) << e.arch;
    EXPECT_EQ(meta->imgsz, (std::vector<std::int64_t>{640, 640})) << e.arch;
  }
  EXPECT_EQ(metadata_value(synthesize_yolo(arch("yolo11n-pose")), "kpt_shape"), "[17, 3]");
  // The detect graph keeps the 8.3 export's form, key set included.
  Model detect = synthesize_yolo(arch("yolo11n"));
  EXPECT_EQ(metadata_keys(detect), (std::vector<std::string>{"description", "author", "stride",
                                                              "task", "batch", "imgsz", "names"}));
  EXPECT_EQ(detect.opset(), 19);
}

TEST(SynthTasks, EveryTaskAndSizeRunsInOnnxRuntime) {
  for (const auto& name : yolo11_architectures()) {
    Model m = synthesize_yolo(arch(name, 128));
    Session session(serialize_model(m), name, yoloq::testing::synth_test_runtime());
    GraphIndex index(m.graph());
    std::vector<std::string> names;
    for (const auto& o : index.outputs()) names.push_back(o.name);
    EXPECT_EQ(session.output_names(), names) << name;
    auto outputs = session.run({{"images", yoloq::testing::random_image(128, 5)}});
    ASSERT_EQ(outputs.size(), index.outputs().size()) << name;
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      EXPECT_EQ(outputs[i].shape, index.outputs()[i].shape) << name;
      for (float v : outputs[i].values<float>()) ASSERT_TRUE(std::isfinite(v)) << name;
    }
  }
}

// Pose.kpts_decode: x, y = (2 * logit + anchor - 0.5) * stride; visibility = sigmoid(logit).
TEST(SynthTasks, PoseKeypointsDecodeAsUltralytics) {
  Model m = synthesize_yolo(arch("yolo11n-pose", 64, 2));
  auto values = run_tensors(m, yoloq::testing::random_image(64, 2),
                            {"output0", "/model.23/Concat_2_output_0"});
  const Tensor& out = values[0];     // [1, 4 + 2 + 51, 84]: 8x8 + 4x4 + 2x2 anchors
  const Tensor& logits = values[1];  // [1, 51, 84], keypoint-major (k0 x, k0 y, k0 v, k1 x, ...)
  ASSERT_EQ(out.shape, (std::vector<std::int64_t>{1, 57, 84}));
  ASSERT_EQ(logits.shape, (std::vector<std::int64_t>{1, 51, 84}));
  auto o = out.values<float>();
  auto l = logits.values<float>();
  auto at = [](auto v, std::int64_t row, std::int64_t anchor) {
    return v[static_cast<std::size_t>(row * 84 + anchor)];
  };
  struct Anchor {
    std::int64_t index;
    float x, y, stride;
  };
  // The 10th cell of the 8x8 grid (x 1, y 1), the first of the 4x4 grid, the last of the 2x2.
  for (const Anchor a : {Anchor{9, 1.5f, 1.5f, 8.0f}, Anchor{64, 0.5f, 0.5f, 16.0f},
                         Anchor{83, 1.5f, 1.5f, 32.0f}})
    for (std::int64_t k = 0; k < 17; ++k) {
      EXPECT_NEAR(at(o, 6 + 3 * k, a.index),
                  (2 * at(l, 3 * k, a.index) + a.x - 0.5f) * a.stride, 1e-3f);
      EXPECT_NEAR(at(o, 7 + 3 * k, a.index),
                  (2 * at(l, 3 * k + 1, a.index) + a.y - 0.5f) * a.stride, 1e-3f);
      EXPECT_NEAR(at(o, 8 + 3 * k, a.index), sigmoid(at(l, 3 * k + 2, a.index)), 1e-6f);
    }
}

// OBB: the last row is the angle (sigmoid(logit) - 0.25) * pi; the boxes' width and height are
// the sums of opposite DFL distances, unrotated, so positive.
TEST(SynthTasks, ObbAnglesDecodeAsUltralytics) {
  Model m = synthesize_yolo(arch("yolo11n-obb", 64, 3));
  auto values = run_tensors(m, yoloq::testing::random_image(64, 4),
                            {"output0", "/model.23/Concat_2_output_0"});
  const Tensor& out = values[0];  // [1, 4 + 3 + 1, 84]
  ASSERT_EQ(out.shape, (std::vector<std::int64_t>{1, 8, 84}));
  auto o = out.values<float>();
  auto logits = values[1].values<float>();
  for (std::size_t a = 0; a < 84; ++a) {
    EXPECT_NEAR(o[7 * 84 + a], (sigmoid(logits[a]) - 0.25f) * std::numbers::pi_v<float>, 1e-5f);
    EXPECT_GT(o[2 * 84 + a], 0.0f);
    EXPECT_GT(o[3 * 84 + a], 0.0f);
  }
}

// Segment: output1 holds the prototypes at twice the finest level's resolution; classify's
// output is a probability distribution.
TEST(SynthTasks, SegmentPrototypesAndClassifyProbabilities) {
  auto seg = run_tensors(synthesize_yolo(arch("yolo11n-seg", 128, 4)),
                         yoloq::testing::random_image(128, 6), {"output0", "output1"});
  EXPECT_EQ(seg[0].shape, (std::vector<std::int64_t>{1, 4 + 4 + 32, 336}));
  EXPECT_EQ(seg[1].shape, (std::vector<std::int64_t>{1, 32, 32, 32}));
  auto cls = run_tensors(synthesize_yolo(arch("yolo11n-cls", 224, 7)),
                         yoloq::testing::random_image(224, 8), {"output0"});
  ASSERT_EQ(cls[0].shape, (std::vector<std::int64_t>{1, 7}));
  double sum = 0;
  for (float p : cls[0].values<float>()) {
    EXPECT_GT(p, 0.0f);
    sum += p;
  }
  EXPECT_NEAR(sum, 1.0, 1e-5);
}

// Architecture names: the scale of every task is the detect one's; each task has its head.
TEST(SynthTasks, ArchitectureNames) {
  const auto all = yolo11_architectures();
  ASSERT_EQ(all.size(), 25u);
  EXPECT_EQ(all[0], "yolo11n");
  EXPECT_EQ(all[5], "yolo11n-seg");
  EXPECT_EQ(all[24], "yolo11x-cls");
  auto pose = yolo11_architecture("yolo11m-pose");
  EXPECT_EQ(pose.task, YoloTask::Pose);
  EXPECT_EQ(pose.scale.arch, "yolo11m");
  EXPECT_EQ(task_name(yolo11_architecture("yolo11l-obb").task), "obb");
  EXPECT_EQ(yoloq::testing::error_message([] { yolo11_architecture("yolo11n-det"); }),
            "--arch 'yolo11n-det': unknown architecture, expected yolo11n, yolo11s, yolo11m, "
            "yolo11l or yolo11x, alone or with -seg, -pose, -obb or -cls");
}
