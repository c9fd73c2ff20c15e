// synth yolo11n-seg, -pose, -obb and -cls against Ultralytics 8.4.190's exports of the yaml files
// (/work/exports, or $YOLOQ_EXPORTS; skipped where absent, as in CI), and yolo11n-pose against the
// COCO-trained pose model of ../shared/data: the same graph node for node, and with the export's
// weights copied, the same outputs.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <set>

#include "synth/synth_test_support.hpp"
#include "test_support.hpp"
#include "yoloq/synth/yolo_synth.hpp"
#include "yoloq/yolo/letterbox.hpp"
#include "yoloq/yolo/metadata.hpp"

using namespace yoloq;
using namespace yoloq::testing;
namespace fs = std::filesystem;

namespace {


std::int64_t parameter_count(const Model& m) {
  std::int64_t n = 0;
  for (const auto& t : m.graph().initializer())
    if (t.name().rfind("model.", 0) == 0) n += yoloq::testing::numel(t);
  return n;
}



struct Reference {
  fs::path path;
  Model model;
};

std::optional<Reference> reference_export(const std::string& arch) {
  const auto path = exports_dir() / (arch + ".onnx");
  if (!fs::exists(path)) return std::nullopt;
  return Reference{path, load_model(path)};
}

}  // namespace

// Segment and classify: every node, initializer name and shape, output and metadata key the
// export has (but its provenance: date, version, license, docs, args).
TEST(SynthTaskFidelity, SegmentAndClassifyEqualTheExportNodeForNode) {
  for (const std::string arch : {"yolo11n-seg", "yolo11n-cls"}) {
    auto ref = reference_export(arch);
    if (!ref) GTEST_SKIP() << exports_dir() << " has no " << arch << ".onnx";
    Model synth = synthesize_yolo(with_weights(arch, ref->path));
    ASSERT_EQ(synth.graph().node_size(), ref->model.graph().node_size()) << arch;
    EXPECT_EQ(differing_nodes(synth, ref->model), std::vector<int>{}) << arch;
    EXPECT_EQ(initializer_shapes(synth), initializer_shapes(ref->model)) << arch;
    EXPECT_EQ(synth.graph().output().size(), ref->model.graph().output().size()) << arch;
    for (int i = 0; i < synth.graph().output_size(); ++i)
      EXPECT_EQ(synth.graph().output(i).SerializeAsString(),
                ref->model.graph().output(i).SerializeAsString())
          << arch;
    EXPECT_EQ(synth.proto.ir_version(), ref->model.proto.ir_version()) << arch;
    EXPECT_EQ(synth.opset(), ref->model.opset()) << arch;
    std::set<std::string> synth_keys, real_keys;
    for (const auto& p : synth.proto.metadata_props()) synth_keys.insert(p.key());
    for (const auto& p : ref->model.proto.metadata_props()) real_keys.insert(p.key());
    for (const char* provenance : {"date", "version", "license", "docs", "args"})
      real_keys.erase(provenance);
    EXPECT_EQ(synth_keys, real_keys) << arch;
    EXPECT_EQ(parameter_count(synth), parameter_count(ref->model)) << arch;
    EXPECT_EQ(yolo_parameter_count(with_weights(arch, ref->path)), parameter_count(ref->model));
  }
}

// Pose: the export's nodes, wiring and initializers but two details yoloq does not model. One
// Split's sizes carry another value number in their name (torch numbers values across the whole
// graph, and the pose export spends two more before the PSA attention than the other tasks), and
// the DFL's nodes interleave with the keypoint decoding in another order.
TEST(SynthTaskFidelity, PoseHasTheExportsNodesButOneConstantNameAndSomeOrder) {
  auto ref = reference_export("yolo11n-pose");
  if (!ref) GTEST_SKIP() << exports_dir() << " has no yolo11n-pose.onnx";
  Model synth = synthesize_yolo(with_weights("yolo11n-pose", ref->path));
  ASSERT_EQ(synth.graph().node_size(), 354);
  ASSERT_EQ(ref->model.graph().node_size(), 354);
  EXPECT_EQ(differing_nodes(synth, ref->model),
            (std::vector<int>{125, 324, 325, 327, 328, 329, 331, 332, 333, 335, 336, 338, 339}));
  EXPECT_EQ(synth.graph().node(125).input(1), "onnx::Split_345");
  EXPECT_EQ(ref->model.graph().node(125).input(1), "onnx::Split_347");
  std::multiset<std::string> synth_nodes, real_nodes;
  for (int i = 0; i < 354; ++i)
    if (i != 125) {
      synth_nodes.insert(synth.graph().node(i).SerializeAsString());
      real_nodes.insert(ref->model.graph().node(i).SerializeAsString());
    }
  EXPECT_TRUE(synth_nodes == real_nodes);
  auto synth_shapes = initializer_shapes(synth), real_shapes = initializer_shapes(ref->model);
  EXPECT_EQ(synth_shapes.erase("onnx::Split_345"), 1u);
  EXPECT_EQ(real_shapes.erase("onnx::Split_347"), 1u);
  EXPECT_EQ(synth_shapes, real_shapes);
  EXPECT_EQ(parameter_count(synth), parameter_count(ref->model));
}

// OBB: the same nodes, wiring and initializers; two pairs of independent nodes of the rotated
// box decoding come in another order (the exporter's, not modeled).
TEST(SynthTaskFidelity, ObbHasTheExportsNodesWithTwoReordered) {
  auto ref = reference_export("yolo11n-obb");
  if (!ref) GTEST_SKIP() << exports_dir() << " has no yolo11n-obb.onnx";
  Model synth = synthesize_yolo(with_weights("yolo11n-obb", ref->path));
  ASSERT_EQ(synth.graph().node_size(), 356);
  ASSERT_EQ(ref->model.graph().node_size(), 356);
  EXPECT_EQ(differing_nodes(synth, ref->model), (std::vector<int>{333, 334, 335, 340, 341, 342}));
  std::multiset<std::string> synth_nodes, real_nodes;
  for (const auto& n : synth.graph().node()) synth_nodes.insert(n.SerializeAsString());
  for (const auto& n : ref->model.graph().node()) real_nodes.insert(n.SerializeAsString());
  EXPECT_TRUE(synth_nodes == real_nodes);
  EXPECT_EQ(initializer_shapes(synth), initializer_shapes(ref->model));
}

// With the export's weights, every output of every task equals the export's.
TEST(SynthTaskFidelity, CopiedWeightsGiveTheExportsOutputs) {
  int compared = 0;
  for (const std::string arch : {"yolo11n-seg", "yolo11n-pose", "yolo11n-obb", "yolo11n-cls"}) {
    auto ref = reference_export(arch);
    if (!ref) continue;
    ++compared;
    Model synth = synthesize_yolo(with_weights(arch, ref->path));
    const float difference =
        max_output_difference(synth, ref->path, yoloq::testing::random_image(640, 11));
    EXPECT_LE(difference, 1e-4f) << arch;
    std::cout << arch << ": max abs difference " << difference << "\n";
  }
  if (compared == 0) GTEST_SKIP() << exports_dir() << " has no reference export";
}

// The COCO-trained YOLO11n-pose (Ultralytics 8.4.75, 1 class, opset 20): its weights copied into
// the synthesized graph give its outputs, and its nodes and initializers are the synthesized
// ones by name (8.4.75 scales the attention's queries after the product, and orders a few nodes
// otherwise).
TEST(SynthTaskFidelity, RealDataPoseModelRunsInTheSynthesizedGraph) {
  const auto real_path = yoloq::testing::data_dir() / "models" / "yolo11n-pose-coco-640.onnx";
  const Model real = load_model(real_path);
  Model synth = synthesize_yolo(with_weights("yolo11n-pose", real_path));
  auto meta = read_yolo_metadata(synth);
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->names, std::vector<std::string>{"person"});  // the class count is the weights'
  EXPECT_EQ(node_names(synth), node_names(real));
  auto synth_shapes = initializer_shapes(synth), real_shapes = initializer_shapes(real);
  EXPECT_EQ(synth_shapes.erase("onnx::Split_345"), 1u);
  EXPECT_EQ(real_shapes.erase("onnx::Split_347"), 1u);
  EXPECT_EQ(synth_shapes, real_shapes);

  auto bus = letterbox(read_image(yoloq::testing::data_dir() / "samples" / "bus.jpg"), 640, 640);
  for (const auto& image : {yoloq::testing::random_image(640, 12), bus.tensor})
    EXPECT_LE(max_output_difference(synth, real_path, image), 1e-4f);
  // A real person on bus.jpg, with its nose (keypoint 0) inside its box.
  Session session(serialize_model(synth), "pose", yoloq::testing::synth_test_runtime());
  auto out = yoloq::testing::run_first_output(session, bus.tensor);
  ASSERT_EQ(out.shape, (std::vector<std::int64_t>{1, 56, 8400}));
  auto v = out.values<float>();
  auto at = [&](std::size_t row, std::size_t a) { return v[row * 8400 + a]; };
  std::size_t best = 0;
  for (std::size_t a = 0; a < 8400; ++a)
    if (at(4, a) > at(4, best)) best = a;
  EXPECT_GT(at(4, best), 0.8f);
  EXPECT_NEAR(at(5, best), at(0, best), at(2, best) / 2);  // nose x within the box
  EXPECT_NEAR(at(6, best), at(1, best), at(3, best) / 2);  // nose y within the box
  EXPECT_GT(at(7, best), 0.5f);                            // and visible
}
