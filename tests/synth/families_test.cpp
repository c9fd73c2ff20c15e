// synth of the detect families besides YOLO11: YOLO26 (one-to-many and end-to-end heads),
// YOLOv8 and YOLOv10. Structural facts are those of Ultralytics 8.4.190's exports of the yaml
// files (random weights, default export settings; -e2e with nms=False).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "synth/synth_test_support.hpp"
#include "test_support.hpp"
#include "yoloq/onnx/model.hpp"
#include "yoloq/synth/yolo_synth.hpp"
#include "yoloq/yolo/metadata.hpp"

using namespace yoloq;
using namespace yoloq::testing;

namespace {

}  // namespace

// Ultralytics' published sizes (COCO, 80 classes), within 1%.
TEST(SynthFamilies, ParameterCountsMatchThePublishedOnes) {
  const std::vector<std::pair<std::string, double>> published{
      {"yolo26n", 2.4e6},   {"yolo26s", 9.5e6},   {"yolo26m", 20.4e6},  {"yolo26l", 24.8e6},
      {"yolo26x", 55.7e6},  {"yolov8n", 3.2e6},   {"yolov8s", 11.2e6},  {"yolov8m", 25.9e6},
      {"yolov8l", 43.7e6},  {"yolov8x", 68.2e6},  {"yolov10n", 2.3e6},  {"yolov10s", 7.2e6},
      {"yolov10m", 15.4e6}, {"yolov10b", 19.1e6}, {"yolov10l", 24.4e6}, {"yolov10x", 29.5e6}};
  for (const auto& [name, count] : published) {
    const auto parameters = static_cast<double>(yolo_parameter_count(arch(name)));
    // Rounded to 0.1M, the published figure of a 2.3M model is only good to 2%.
    EXPECT_NEAR(parameters, count, std::max(0.01 * count, 0.05e6)) << name;
  }
}

// The exports' own counts (their model.* initializers): the truth the published figures round.
// The end-to-end export keeps the one-to-one branches instead, of the same sizes.
TEST(SynthFamilies, ParameterCountsAreTheExports) {
  const std::vector<std::pair<std::string, std::int64_t>> exported{
      {"yolo26n", 2408932},   {"yolo26s", 9496140},   {"yolo26m", 20411132},
      {"yolo26l", 24807420},  {"yolo26x", 55725948},  {"yolov8n", 3151904},
      {"yolov8s", 11156544},  {"yolov8m", 25886080},  {"yolov8l", 43668288},
      {"yolov8x", 68200608},  {"yolov10n", 2299264},  {"yolov10s", 7248960},
      {"yolov10m", 15359488}, {"yolov10b", 19065792}, {"yolov10l", 24371008},
      {"yolov10x", 29473568}};
  for (const auto& [name, count] : exported) {
    EXPECT_EQ(yolo_parameter_count(arch(name)), count) << name;
    if (name.rfind("yolov8", 0) != 0) {
      EXPECT_EQ(yolo_parameter_count(arch(name + "-e2e")), count) << name;
    }
  }
}

// Node and initializer counts of the exports, all sizes; outputs and the metadata that tells the
// heads apart.
TEST(SynthFamilies, GraphsHaveTheExportsNodeCountsAndOutputs) {
  struct Expected {
    std::string arch;
    int nodes, initializers;
    std::vector<std::int64_t> output;
    std::string head, end2end;
  };
  const std::vector<Expected> expected{
      {"yolo26n", 368, 223, {1, 84, 8400}, "Detect", "False"},
      {"yolo26n-e2e", 384, 228, {1, 300, 6}, "Detect", "True"},
      {"yolo26s", 368, 223, {1, 84, 8400}, "Detect", "False"},
      {"yolo26s-e2e", 384, 228, {1, 300, 6}, "Detect", "True"},
      {"yolo26m", 402, 242, {1, 84, 8400}, "Detect", "False"},
      {"yolo26m-e2e", 418, 247, {1, 300, 6}, "Detect", "True"},
      {"yolo26l", 590, 350, {1, 84, 8400}, "Detect", "False"},
      {"yolo26l-e2e", 606, 355, {1, 300, 6}, "Detect", "True"},
      {"yolo26x", 590, 350, {1, 84, 8400}, "Detect", "False"},
      {"yolo26x-e2e", 606, 355, {1, 300, 6}, "Detect", "True"},
      {"yolov8n", 233, 144, {1, 84, 8400}, "Detect", "False"},
      {"yolov8s", 233, 144, {1, 84, 8400}, "Detect", "False"},
      {"yolov8m", 299, 184, {1, 84, 8400}, "Detect", "False"},
      {"yolov8l", 365, 223, {1, 84, 8400}, "Detect", "False"},
      {"yolov8x", 365, 223, {1, 84, 8400}, "Detect", "False"},
      {"yolov10n", 292, 186, {1, 84, 8400}, "v10Detect", "False"},
      {"yolov10n-e2e", 308, 191, {1, 300, 6}, "v10Detect", "True"},
      {"yolov10s", 301, 192, {1, 84, 8400}, "v10Detect", "False"},
      {"yolov10s-e2e", 317, 197, {1, 300, 6}, "v10Detect", "True"},
      {"yolov10m", 406, 256, {1, 84, 8400}, "v10Detect", "False"},
      {"yolov10m-e2e", 422, 261, {1, 300, 6}, "v10Detect", "True"},
      {"yolov10b", 426, 267, {1, 84, 8400}, "v10Detect", "False"},
      {"yolov10b-e2e", 442, 272, {1, 300, 6}, "v10Detect", "True"},
      {"yolov10l", 531, 331, {1, 84, 8400}, "v10Detect", "False"},
      {"yolov10l-e2e", 547, 336, {1, 300, 6}, "v10Detect", "True"},
      {"yolov10x", 585, 367, {1, 84, 8400}, "v10Detect", "False"},
      {"yolov10x-e2e", 601, 372, {1, 300, 6}, "v10Detect", "True"}};
  for (const auto& e : expected) {
    // Image size 64 keeps the weights small; it changes constants, not the node count.
    Model m = synthesize_yolo(arch(e.arch, 64));
    EXPECT_EQ(m.graph().node_size(), e.nodes) << e.arch;
    EXPECT_EQ(m.graph().initializer_size(), e.initializers) << e.arch;
    EXPECT_EQ(m.proto.ir_version(), 8) << e.arch;
    EXPECT_EQ(m.opset(), 18) << e.arch;
    EXPECT_EQ(metadata_value(m, "head"), e.head) << e.arch;
    EXPECT_EQ(metadata_value(m, "end2end"), e.end2end) << e.arch;
    EXPECT_EQ(metadata_value(m, "task"), "detect") << e.arch;
    Model full = synthesize_yolo(arch(e.arch));
    GraphIndex index(full.graph());
    ASSERT_EQ(index.outputs().size(), 1u) << e.arch;
    EXPECT_EQ(index.outputs()[0].name, "output0") << e.arch;
    EXPECT_EQ(index.outputs()[0].shape, e.output) << e.arch;
  }
}

TEST(SynthFamilies, ArchitectureNames) {
  const auto all = yolo_architectures();
  ASSERT_EQ(all.size(), 25u + 10u + 5u + 12u);
  EXPECT_EQ(all[25], "yolo26n");
  EXPECT_EQ(all[30], "yolo26n-e2e");
  EXPECT_EQ(all[35], "yolov8n");
  EXPECT_EQ(all[40], "yolov10n");
  EXPECT_EQ(all[43], "yolov10b");
  EXPECT_EQ(all[51], "yolov10x-e2e");
  auto e2e = yolo_architecture("yolo26m-e2e");
  EXPECT_EQ(e2e.family, YoloFamily::Yolo26);
  EXPECT_TRUE(e2e.end_to_end);
  EXPECT_EQ(e2e.scale.arch, "yolo26m");
  EXPECT_FALSE(yolo_architecture("yolo26m").end_to_end);
  EXPECT_EQ(yolo_architecture("yolo11n-pose").task, YoloTask::Pose);
  EXPECT_THROW(yolo_architecture("yolov8n-e2e"), Error);  // YOLOv8 has no one-to-one head
}

// Every size of every family runs; the end-to-end head keeps min(300, anchors) detections.
TEST(SynthFamilies, EverySizeRunsInOnnxRuntime) {
  for (const auto& name : yolo_architectures()) {
    const auto a = yolo_architecture(name);
    if (a.family == YoloFamily::Yolo11) continue;
    Model m = synthesize_yolo(arch(name, 64));  // 84 anchors
    Session session(serialize_model(m), name, yoloq::testing::synth_test_runtime());
    auto out = yoloq::testing::run_first_output(session, yoloq::testing::random_image(64, 3));
    const std::vector<std::int64_t> expected{1, 84, a.end_to_end ? 6 : 84};
    EXPECT_EQ(out.shape, expected) << name;
    for (float v : out.values<float>()) ASSERT_TRUE(std::isfinite(v)) << name;
  }
}

// The end-to-end output as Detect.postprocess defines it: scores (sigmoids) in descending order
// and integer class indices. (Corner order is not checked: YOLO26's synthetic box logits are
// the distances themselves, and random weights make some negative.)
TEST(SynthFamilies, EndToEndDetectionsAreSortedByScore) {
  for (const std::string name : {"yolo26n-e2e", "yolov10n-e2e"}) {
    Model m = synthesize_yolo(arch(name, 128));
    Session session(serialize_model(m), name, yoloq::testing::synth_test_runtime());
    auto out = yoloq::testing::run_first_output(session, yoloq::testing::random_image(128, 4));
    ASSERT_EQ(out.shape, (std::vector<std::int64_t>{1, 300, 6})) << name;
    auto v = out.values<float>();
    for (std::size_t i = 0; i < 300; ++i) {
      const float* d = &v[i * 6];
      EXPECT_GT(d[4], 0.0f);
      EXPECT_LT(d[4], 1.0f);
      if (i > 0) {
        EXPECT_LE(d[4], v[(i - 1) * 6 + 4]) << name << " detection " << i;
      }
      EXPECT_EQ(d[5], std::floor(d[5]));
      EXPECT_GE(d[5], 0.0f);
      EXPECT_LT(d[5], 80.0f);
    }
  }
}
