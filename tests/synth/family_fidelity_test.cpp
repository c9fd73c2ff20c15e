// synth yolo26, yolov8 and yolov10 against Ultralytics 8.4.190's exports of their yaml files
// (/work/exports, or $YOLOQ_EXPORTS; skipped where absent, as in CI), and yolo26n-e2e against
// the COCO-trained YOLO26n of ../shared/data: the same graph, and with the export's weights
// copied, the same outputs.
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



std::vector<std::string> op_types(const Model& m) {
  std::vector<std::string> ops;
  for (const auto& n : m.graph().node()) ops.push_back(n.op_type());
  return ops;
}



// Split sizes are named after torch's value numbers ("onnx::Split_<n>"); the ones named here
// carry another number in the export (values yoloq does not model), nothing else differs.
struct Case {
  std::string arch;
  std::vector<int> differing;  // node indices: Splits whose sizes constant has another name
};

// Initializer shapes by name, the Split sizes constants left out (their names are the value
// numbers) but counted.
std::map<std::string, std::vector<std::int64_t>> shapes_but_split_names(const Model& m) {
  auto shapes = initializer_shapes(m);
  int splits = 0;
  for (auto it = shapes.begin(); it != shapes.end();)
    if (it->first.rfind("onnx::Split_", 0) == 0) {
      it = shapes.erase(it);
      ++splits;
    } else {
      ++it;
    }
  shapes["(Split constants)"] = {splits};
  return shapes;
}

// The parameters (model.*) by name and shape.
std::map<std::string, std::vector<std::int64_t>> parameter_shapes(const Model& m) {
  auto shapes = initializer_shapes(m);
  std::erase_if(shapes, [](const auto& kv) { return kv.first.rfind("model.", 0) != 0; });
  return shapes;
}

}  // namespace

// Each reference export: the same op sequence, node names, initializer shapes, outputs and
// metadata keys; node for node identical but for the Split names listed.
TEST(SynthFamilyFidelity, GraphsEqualTheExportsButSomeSplitNames) {
  const std::vector<Case> cases{
      {"yolo26n", {}},
      {"yolo26n-e2e", {}},
      {"yolo26s", {}},
      {"yolo26s-e2e", {366}},
      {"yolov8n", {}},
      {"yolov10n", {53, 79, 104, 134, 182, 225}},
  };
  int compared = 0;
  for (const auto& c : cases) {
    const auto path = exports_dir() / (c.arch + ".onnx");
    if (!fs::exists(path)) continue;
    ++compared;
    const Model ref = load_model(path);
    Model synth = synthesize_yolo(with_weights(c.arch, path));
    ASSERT_EQ(synth.graph().node_size(), ref.graph().node_size()) << c.arch;
    EXPECT_EQ(op_types(synth), op_types(ref)) << c.arch;
    EXPECT_EQ(node_names(synth), node_names(ref)) << c.arch;
    EXPECT_EQ(differing_nodes(synth, ref), c.differing) << c.arch;
    for (int i : c.differing) EXPECT_EQ(synth.graph().node(i).op_type(), "Split") << c.arch;
    if (c.differing.empty()) {
      EXPECT_EQ(initializer_shapes(synth), initializer_shapes(ref)) << c.arch;
    } else {
      EXPECT_EQ(shapes_but_split_names(synth), shapes_but_split_names(ref)) << c.arch;
    }
    ASSERT_EQ(synth.graph().output_size(), 1) << c.arch;
    EXPECT_EQ(synth.graph().output(0).SerializeAsString(), ref.graph().output(0).SerializeAsString())
        << c.arch;
    std::set<std::string> synth_keys, real_keys;
    for (const auto& p : synth.proto.metadata_props()) synth_keys.insert(p.key());
    for (const auto& p : ref.proto.metadata_props()) real_keys.insert(p.key());
    for (const char* provenance : {"date", "version", "license", "docs", "args"})
      real_keys.erase(provenance);
    EXPECT_EQ(synth_keys, real_keys) << c.arch;
  }
  if (compared == 0) GTEST_SKIP() << exports_dir() << " has no reference export";
}

// With the export's weights, the output equals the export's.
TEST(SynthFamilyFidelity, CopiedWeightsGiveTheExportsOutputs) {
  int compared = 0;
  for (const std::string arch : {"yolo26n", "yolo26n-e2e", "yolo26s", "yolo26s-e2e", "yolov8n",
                                 "yolov10n", "yolov10n-e2e"}) {
    const auto path = exports_dir() / (arch + ".onnx");
    if (!fs::exists(path)) continue;
    ++compared;
    Model synth = synthesize_yolo(with_weights(arch, path));
    const float difference =
        max_output_difference(synth, path, yoloq::testing::random_image(640, 21));
    EXPECT_LE(difference, 1e-4f) << arch;
    std::cout << arch << ": max abs difference " << difference << "\n";
  }
  if (compared == 0) GTEST_SKIP() << exports_dir() << " has no reference export";
}

// end2end=False is the default export: yolo26n-end2end_false.onnx is yolo26n's graph.
TEST(SynthFamilyFidelity, End2EndFalseIsTheDefaultExport) {
  const auto path = exports_dir() / "yolo26n-end2end_false.onnx";
  if (!fs::exists(path)) GTEST_SKIP() << exports_dir() << " has no yolo26n-end2end_false.onnx";
  const Model ref = load_model(path);
  Model synth = synthesize_yolo(with_weights("yolo26n", path));
  EXPECT_EQ(differing_nodes(synth, ref), std::vector<int>{});
  EXPECT_EQ(synth.graph().node_size(), ref.graph().node_size());
  EXPECT_LE(max_output_difference(synth, path, yoloq::testing::random_image(640, 22)), 1e-4f);
}

// The COCO-trained YOLO26n (Ultralytics 8.4.63, end-to-end, opset 20): its weights copied into
// yolo26n-e2e give its detections on the sample photos. Its graph has as many nodes and the same
// parameters; 8.4.63 exported the top-k selection with a few other constant and node names.
TEST(SynthFamilyFidelity, RealDataYolo26nEndToEndRunsInTheSynthesizedGraph) {
  const auto real_path = yoloq::testing::data_dir() / "models" / "yolo26n-coco-640.onnx";
  const Model real = load_model(real_path);
  Model synth = synthesize_yolo(with_weights("yolo26n-e2e", real_path));
  auto meta = read_yolo_metadata(synth);
  ASSERT_TRUE(meta);
  ASSERT_EQ(meta->names.size(), 80u);
  EXPECT_EQ(meta->names[0], "person");
  EXPECT_EQ(synth.graph().node_size(), real.graph().node_size());
  EXPECT_EQ(parameter_shapes(synth), parameter_shapes(real));

  Session session(serialize_model(synth), "yolo26n", yoloq::testing::synth_test_runtime());
  // The best detection of each photo: bus.jpg's bus (class 5), zidane.jpg's person (class 0).
  for (const auto& [sample, best_class] :
       std::vector<std::pair<std::string, float>>{{"bus.jpg", 5.0f}, {"zidane.jpg", 0.0f}}) {
    auto image =
        letterbox(read_image(yoloq::testing::data_dir() / "samples" / sample), 640, 640).tensor;
    EXPECT_LE(max_output_difference(synth, real_path, image), 1e-4f) << sample;
    auto out = yoloq::testing::run_first_output(session, image);
    ASSERT_EQ(out.shape, (std::vector<std::int64_t>{1, 300, 6}));
    auto v = out.values<float>();
    EXPECT_GT(v[4], 0.5f) << sample;
    EXPECT_EQ(v[5], best_class) << sample;
    EXPECT_LT(v[0], v[2]) << sample;  // trained distances: a proper box
    EXPECT_LT(v[1], v[3]) << sample;
  }
  EXPECT_LE(max_output_difference(synth, real_path, yoloq::testing::random_image(640, 23)), 1e-4f);
}
