// synth yolo11n at 640 against the real Ultralytics export in ../shared/data: the same graph,
// node for node, and with its weights copied, the same outputs.
#include <gtest/gtest.h>

#include <map>

#include "synth/synth_test_support.hpp"
#include "test_support.hpp"
#include "yoloq/synth/yolo_synth.hpp"
#include "yoloq/yolo/letterbox.hpp"
#include "yoloq/yolo/metadata.hpp"

using namespace yoloq;
using namespace yoloq::testing;
using yoloq::testing::data_dir;
using yoloq::testing::real_model_path;

namespace {

const Model& reference() {
  static const Model model = load_model(real_model_path());
  return model;
}

bool is_parameter(const std::string& name) { return name.rfind("model.", 0) == 0; }

}  // namespace

TEST(SynthFidelity, RealDataSameInterfaceNodesAndInitializers) {
  SynthOptions options;  // yolo11n, 640, 80 classes
  Model synth = synthesize_yolo(options);
  const Model& real = reference();

  EXPECT_EQ(synth.proto.ir_version(), 9);
  EXPECT_EQ(synth.opset(), 19);
  GraphIndex s(synth.graph()), r(real.graph());
  ASSERT_EQ(s.inputs().size(), 1u);
  ASSERT_EQ(s.outputs().size(), 1u);
  EXPECT_EQ(s.inputs()[0].name, "images");
  EXPECT_EQ(s.inputs()[0].shape, (std::vector<std::int64_t>{1, 3, 640, 640}));
  EXPECT_EQ(s.outputs()[0].name, "output0");
  EXPECT_EQ(s.outputs()[0].shape, (std::vector<std::int64_t>{1, 84, 8400}));
  EXPECT_EQ(s.inputs()[0].shape, r.inputs()[0].shape);
  EXPECT_EQ(s.outputs()[0].shape, r.outputs()[0].shape);

  ASSERT_EQ(synth.graph().node_size(), 320);
  ASSERT_EQ(real.graph().node_size(), 320);
  for (int i = 0; i < 320; ++i) {
    const auto& a = synth.graph().node(i);
    const auto& b = real.graph().node(i);
    ASSERT_EQ(a.op_type(), b.op_type()) << "node " << i << " " << b.name();
    // Beyond the op types: names, wiring and attributes are the export's too.
    EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString()) << "node " << i << "\n"
                                                            << a.DebugString() << "\nvs\n"
                                                            << b.DebugString();
  }

  auto synth_shapes = initializer_shapes(synth);
  auto real_shapes = initializer_shapes(real);
  EXPECT_EQ(synth_shapes.size(), 196u);
  EXPECT_EQ(synth_shapes, real_shapes);

  // The exporter's constants hold the same values: anchors, strides, Split sizes, Reshape
  // shapes, Resize scales, the attention scale.
  int constants = 0;
  for (const auto& t : synth.graph().initializer()) {
    if (is_parameter(t.name())) continue;
    ++constants;
    const auto* other = r.initializer(t.name());
    ASSERT_NE(other, nullptr) << t.name();
    EXPECT_EQ(to_tensor(t), to_tensor(*other)) << t.name();
  }
  EXPECT_EQ(constants, 21);

  auto meta = read_yolo_metadata(synth);
  auto real_meta = read_yolo_metadata(real);
  ASSERT_TRUE(meta && real_meta);
  EXPECT_EQ(meta->task, real_meta->task);
  EXPECT_EQ(meta->imgsz, real_meta->imgsz);
  EXPECT_EQ(meta->stride, real_meta->stride);
  EXPECT_EQ(meta->names, real_meta->names);
}

TEST(SynthFidelity, RealDataParameterCountIsTheExports) {
  std::int64_t real_parameters = 0;
  for (const auto& t : reference().graph().initializer())
    if (is_parameter(t.name())) real_parameters += yoloq::testing::numel(t);
  EXPECT_EQ(real_parameters, 2616248);
  EXPECT_EQ(yolo_parameter_count({}), real_parameters);
}

// With the export's weights the synthesized graph computes what the export computes.
TEST(SynthFidelity, RealDataCopiedWeightsGiveTheExportsOutputs) {
  SynthOptions options;
  options.weights = real_model_path();
  Model synth = synthesize_yolo(options);
  Session synth_session(serialize_model(synth), "synth", yoloq::testing::synth_test_runtime());
  Session real_session(real_model_path(), yoloq::testing::synth_test_runtime());

  std::vector<std::pair<std::string, Tensor>> inputs;
  inputs.emplace_back("random 1", yoloq::testing::random_image(640, 1));
  inputs.emplace_back("random 2", yoloq::testing::random_image(640, 2));
  for (const char* name : {"bus.jpg", "zidane.jpg"})
    inputs.emplace_back(name,
                        letterbox(read_image(data_dir() / "samples" / name), 640, 640).tensor);
  for (const auto& [what, image] : inputs) {
    auto expected = yoloq::testing::run_first_output(real_session, image);
    auto actual = yoloq::testing::run_first_output(synth_session, image);
    ASSERT_EQ(actual.shape, expected.shape);
    const float difference = yoloq::testing::max_abs_difference(actual, expected);
    EXPECT_LT(difference, 1e-4f) << what;
    std::cout << what << ": max abs difference " << difference << "\n";
    if (what == "bus.jpg") {  // a real detection, so that the comparison is not of empty outputs
      float best = 0.0f;
      auto v = actual.values<float>();
      for (std::size_t i = 4 * 8400; i < v.size(); ++i) best = std::max(best, v[i]);
      EXPECT_GT(best, 0.8f);
    }
  }
}

TEST(SynthFidelity, RealDataWeightsOfOtherClassCountNameTheFirstMismatch) {
  SynthOptions options;
  options.num_classes = 20;
  options.weights = real_model_path();
  EXPECT_EQ(yoloq::testing::error_message([&] { synthesize_yolo(options); }),
            real_model_path().string() +
                ": initializers do not match yolo11n with 20 classes: initializer "
                "'model.23.cv3.0.0.1.conv.weight_DequantizeLinear_Output' has shape 80x64x1x1, "
                "expected 64x64x1x1");
}
