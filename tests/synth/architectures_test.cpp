// Every YOLO11 size: parameter counts against the published ones, graphs that ONNX Runtime loads
// and runs, synthetic weights that keep activations in a realistic range, determinism.
#include <gtest/gtest.h>

#include <cmath>

#include "synth/synth_test_support.hpp"
#include "test_support.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/synth/yolo_synth.hpp"
#include "yoloq/yolo/metadata.hpp"

using namespace yoloq;
using yoloq::testing::arch;
using yoloq::testing::error_message;

namespace {

struct OutputStats {
  bool finite = true;
  float max_score = 0.0f, mean_score = 0.0f;
  float min_wh = 1e30f, max_wh = 0.0f;
};

// output0 [1, 4 + nc, anchors]: cx, cy, w, h rows, then class probability rows.
OutputStats output_stats(const Tensor& out) {
  OutputStats s;
  const auto rows = out.shape[1], anchors = out.shape[2];
  auto v = out.values<float>();
  double score_sum = 0;
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t a = 0; a < anchors; ++a) {
      float x = v[static_cast<std::size_t>(r * anchors + a)];
      if (!std::isfinite(x)) s.finite = false;
      if (r == 2 || r == 3) s.min_wh = std::min(s.min_wh, x), s.max_wh = std::max(s.max_wh, x);
      if (r >= 4) s.max_score = std::max(s.max_score, x), score_sum += x;
    }
  s.mean_score = static_cast<float>(score_sum / static_cast<double>((rows - 4) * anchors));
  return s;
}

}  // namespace

// Ultralytics' published sizes (80 classes), within 1%.
TEST(SynthArchitectures, ParameterCountsMatchThePublishedOnes) {
  const std::vector<std::pair<std::string, double>> published{{"yolo11n", 2.6e6},
                                                              {"yolo11s", 9.4e6},
                                                              {"yolo11m", 20.1e6},
                                                              {"yolo11l", 25.3e6},
                                                              {"yolo11x", 56.9e6}};
  for (const auto& [name, count] : published) {
    const auto parameters = static_cast<double>(yolo_parameter_count(arch(name)));
    EXPECT_NEAR(parameters, count, 0.01 * count) << name;
    std::cout << name << ": " << static_cast<std::int64_t>(parameters) << " parameters\n";
  }
}

TEST(SynthArchitectures, EverySizeLoadsInOnnxRuntime) {
  for (const char* name : {"yolo11n", "yolo11s", "yolo11m", "yolo11l", "yolo11x"}) {
    Model m = synthesize_yolo(arch(name, 320));
    Session session(serialize_model(m), name, yoloq::testing::synth_test_runtime());
    EXPECT_EQ(session.input_names(), std::vector<std::string>{"images"}) << name;
    EXPECT_EQ(session.output_names(), std::vector<std::string>{"output0"}) << name;
    EXPECT_EQ(session.input_shapes(), (std::vector<std::vector<std::int64_t>>{{1, 3, 320, 320}}))
        << name;
  }
}

// n and s run at 640: outputs are finite, boxes have plausible sizes, class scores are neither
// saturated nor vanishing.
TEST(SynthArchitectures, SmallSizesRunWithRealisticOutputs) {
  for (const char* name : {"yolo11n", "yolo11s"}) {
    Session session(serialize_model(synthesize_yolo(arch(name))), name,
                    yoloq::testing::synth_test_runtime());
    auto out = yoloq::testing::run_first_output(session, yoloq::testing::random_image(640, 7));
    ASSERT_EQ(out.shape, (std::vector<std::int64_t>{1, 84, 8400})) << name;
    auto s = output_stats(out);
    EXPECT_TRUE(s.finite) << name;
    EXPECT_GT(s.min_wh, 0.0f) << name;
    EXPECT_LT(s.max_wh, 2.0f * 640) << name;
    EXPECT_GT(s.max_score, 0.25f) << name;    // some detections above a usual threshold
    EXPECT_LT(s.max_score, 0.9999f) << name;  // not saturated
    EXPECT_GT(s.mean_score, 1e-3f) << name;   // not vanishing
    EXPECT_LT(s.mean_score, 0.2f) << name;    // mostly background
  }
}

// Every SiLU and residual sum of yolo11n stays O(1)-O(10): no layer explodes or dies.
TEST(SynthArchitectures, IntermediateActivationsStayInARealisticRange) {
  Model m = synthesize_yolo(arch("yolo11n"));
  std::vector<std::string> watched;
  for (const auto& node : m.graph().node())
    if (node.op_type() == "Mul" || node.op_type() == "Add" || node.op_type() == "Concat")
      if (node.name().rfind("/model.23/", 0) != 0 || node.name().find("/act/") != std::string::npos)
        watched.push_back(node.output(0));
  for (const auto& name : watched) {
    auto* out = m.graph().add_output();
    out->set_name(name);
    out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  }
  Session session(serialize_model(m), "yolo11n", yoloq::testing::synth_test_runtime());
  auto values = session.run({{"images", yoloq::testing::random_image(640, 3)}}, watched);
  ASSERT_EQ(values.size(), watched.size());
  double smallest_rms = 1e30, largest_rms = 0, largest_abs = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    double sum = 0, peak = 0;
    for (float x : values[i].values<float>())
      sum += double(x) * x, peak = std::max(peak, double(std::abs(x)));
    const double rms = std::sqrt(sum / static_cast<double>(values[i].numel()));
    EXPECT_GT(rms, 0.1) << watched[i];
    EXPECT_LT(rms, 10.0) << watched[i];
    EXPECT_LT(peak, 100.0) << watched[i];
    smallest_rms = std::min(smallest_rms, rms), largest_rms = std::max(largest_rms, rms);
    largest_abs = std::max(largest_abs, peak);
  }
  std::cout << watched.size() << " activations: rms " << smallest_rms << " to " << largest_rms
            << ", max |x| " << largest_abs << "\n";
}

TEST(SynthArchitectures, SameSeedSameBytesOtherSeedOtherWeights) {
  auto a = serialize_model(synthesize_yolo(arch("yolo11n", 128)));
  auto b = serialize_model(synthesize_yolo(arch("yolo11n", 128)));
  EXPECT_EQ(a, b);
  auto other = arch("yolo11n", 128);
  other.seed = 1;
  auto c = serialize_model(synthesize_yolo(other));
  EXPECT_EQ(a.size(), c.size());
  EXPECT_NE(a, c);
}

// Other image sizes and class counts change the head's constants and output shape only.
TEST(SynthArchitectures, ImageSizeAndClassCountShapeTheHead) {
  auto o = arch("yolo11n", 320);
  o.num_classes = 3;
  Model m = synthesize_yolo(o);
  GraphIndex index(m.graph());
  EXPECT_EQ(index.outputs()[0].shape,
            (std::vector<std::int64_t>{1, 7, 2100}));  // 40^2 + 20^2 + 10^2
  auto strides = to_tensor(*index.initializer("/model.23/Constant_12_output_0"));
  EXPECT_EQ(strides.shape, (std::vector<std::int64_t>{1, 2100}));
  EXPECT_EQ(strides.values<float>()[1599], 8.0f);
  EXPECT_EQ(strides.values<float>()[1600], 16.0f);
  EXPECT_EQ(strides.values<float>()[2099], 32.0f);
  auto anchors = to_tensor(*index.initializer("/model.23/Constant_9_output_0"));
  EXPECT_EQ(anchors.values<float>()[41], 1.5f);         // x of the 42nd cell of the 40x40 grid
  EXPECT_EQ(anchors.values<float>()[2100 + 41], 1.5f);  // its y: second row
  auto attention_shape = to_tensor(*index.initializer("/model.10/m/m.0/attn/Constant_output_0"));
  EXPECT_EQ(std::vector<std::int64_t>(attention_shape.values<std::int64_t>().begin(),
                                      attention_shape.values<std::int64_t>().end()),
            (std::vector<std::int64_t>{1, 2, 128, 100}));
  auto meta = read_yolo_metadata(m);
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->imgsz, (std::vector<std::int64_t>{320, 320}));
  EXPECT_EQ(meta->names, (std::vector<std::string>{"class0", "class1", "class2"}));
  Session session(serialize_model(m), "yolo11n-320", yoloq::testing::synth_test_runtime());
  EXPECT_EQ(yoloq::testing::run_first_output(session, yoloq::testing::random_image(320, 1)).shape,
            (std::vector<std::int64_t>{1, 7, 2100}));
}

TEST(SynthArchitectures, BadOptionsNameTheFlag) {
  EXPECT_EQ(error_message([] { synthesize_yolo(arch("yolo11q")); }),
            "--arch 'yolo11q': unknown architecture, expected yolo11n, yolo11s, yolo11m, "
            "yolo11l or yolo11x, alone or with -seg, -pose, -obb or -cls; yolo26n, s, m, l or "
            "x, alone or with -e2e; yolov8n, s, m, l or x; yolov10n, s, m, b, l or x, alone or "
            "with -e2e");
  EXPECT_EQ(
      error_message([] { synthesize_yolo(arch("yolo11n", 100)); }),
      "--imgsz 100: must be a multiple of 32 from 64 to 8192 (the coarsest level has stride 32)");
  EXPECT_EQ(
      error_message([] { synthesize_yolo(arch("yolo11n", 32)); }),
      "--imgsz 32: must be a multiple of 32 from 64 to 8192 (the coarsest level has stride 32)");
  auto o = arch("yolo11n");
  o.num_classes = 0;
  EXPECT_EQ(error_message([&] { synthesize_yolo(o); }), "--nc 0: must be from 1 to 10000");
}

// A segmentation export's weights for a detection model: every detection parameter is there,
// but so is the mask branch, and it is named.
TEST(SynthArchitectures, WeightsWithExtraParametersNameTheFirstExtra) {
  yoloq::testing::ScratchDir dir;
  Model with_mask_branch = synthesize_yolo(arch("yolo11n", 64));
  Tensor mask_weight(DType::Float32, {32, 64, 3, 3});
  *with_mask_branch.graph().add_initializer() =
      to_proto(mask_weight, "model.23.cv4.0.0.conv.weight");
  save_model(with_mask_branch, dir / "seg.onnx");
  auto o = arch("yolo11n", 64);
  o.weights = dir / "seg.onnx";
  EXPECT_EQ(error_message([&] { synthesize_yolo(o); }),
            (dir / "seg.onnx").string() +
                ": initializers do not match yolo11n with 80 classes: initializer "
                "'model.23.cv4.0.0.conv.weight' is "
                "not a parameter of yolo11n with 80 classes");
  // Without the extra parameter the same file is accepted, and gives back the same model.
  Model plain = synthesize_yolo(arch("yolo11n", 64));
  save_model(plain, dir / "plain.onnx");
  o.weights = dir / "plain.onnx";
  Model copied = synthesize_yolo(o);
  ASSERT_EQ(copied.graph().initializer_size(), plain.graph().initializer_size());
  for (int i = 0; i < plain.graph().initializer_size(); ++i)
    EXPECT_EQ(copied.graph().initializer(i).SerializeAsString(),
              plain.graph().initializer(i).SerializeAsString());
}
