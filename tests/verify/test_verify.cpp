#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "qdq_test_model.hpp"
#include "test_support.hpp"
#include "yoloq/data/batch_source.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/tensor/npy.hpp"
#include "yoloq/verify/report.hpp"
#include "yoloq/verify/verify.hpp"

namespace fs = std::filesystem;

namespace yoloq {
namespace {

class VerifyRealData : public ::testing::Test {
 protected:
  static fs::path dir() {
    return fs::temp_directory_path() / ("yoloq_verify_" + std::to_string(::getpid()));
  }
  static void SetUpTestSuite() {
    if (!testing::have_real_data()) return;
    fs::create_directories(dir());
    const Model original = load_model(testing::float_model());
    save_model(testing::quantize_first_conv(original, 1.0f / 127, 1.0f), dir() / "good.onnx");
    save_model(testing::quantize_first_conv(original, 1.0f / 127, 100.0f),
               dir() / "corrupted.onnx");
  }
  static void TearDownTestSuite() { fs::remove_all(dir()); }
  void SetUp() override {
    if (!testing::have_real_data()) GTEST_SKIP() << "no shared data at " << testing::data_dir();
  }
  static VerifyOptions options_with_labels() {
    VerifyOptions o;
    o.labels = testing::coco128_labels();
    o.speed_runs = 2;
    o.warmup_runs = 1;
    o.quiet = true;
    return o;
  }
  // Both models loaded, `samples` coco128 images (a seeded choice) as the held-out source.
  static VerifyResult verify_files(const fs::path& a, const fs::path& b, const VerifyOptions& o,
                                   std::size_t samples = 8) {
    const Model float_model = load_model(a), quant_model = load_model(b);
    SourceOptions source;
    source.path = testing::coco128_images();
    source.max_samples = samples;
    auto held_out = make_calibration_source(float_model, source);
    return verify_models(float_model, quant_model, *held_out, o);
  }
  static std::string error_of(const fs::path& a, const fs::path& b, const VerifyOptions& o) {
    try {
      verify_files(a, b, o);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }
};

TEST_F(VerifyRealData, SoundModelJsonHoldsAllFourParts) {
  const auto result =
      verify_files(testing::float_model(), dir() / "good.onnx", options_with_labels());
  const auto j = to_json(result);
  // Structure: one Q, two DQ (input and weight), the first of 88 Convs quantized.
  EXPECT_EQ(j["structure"]["interface_matches"], true);
  EXPECT_EQ(j["structure"]["quantize_linear"], 1);
  EXPECT_EQ(j["structure"]["dequantize_linear"], 2);
  EXPECT_EQ(j["structure"]["dequantized_inputs_by_op"]["Conv"], 2);
  EXPECT_EQ(j["structure"]["weighted_ops"]["Conv"]["quantized"], 1);
  EXPECT_EQ(j["structure"]["weighted_ops"]["Conv"]["total"], 88);
  // 432 INT8 weights plus the 16 per-channel zero points (qdq_stats counts non-scalar INT8
  // tensors).
  EXPECT_EQ(j["structure"]["weight_bytes"]["int8"], 16 * 3 * 3 * 3 + 16);
  EXPECT_EQ(
      j["structure"]["weight_bytes"]["float_model"].get<std::size_t>(),
      j["structure"]["weight_bytes"]["float"].get<std::size_t>() + 16 * 3 * 3 * 3 * 4 - 16 * 4);
  // Numerics: one detect output, close to the float model.
  ASSERT_EQ(j["numerics"].size(), 1u);
  const auto& n = j["numerics"][0];
  EXPECT_EQ(n["output"], "output0");
  EXPECT_EQ(n["detect_output"], true);
  EXPECT_GT(n["cosine"].get<double>(), 0.999);
  EXPECT_GT(n["snr_db"].get<double>(), 25.0);
  EXPECT_GT(n["class_score_snr_db"].get<double>(), 15.0);
  EXPECT_GT(n["distinct_class_scores"]["quant"].get<std::size_t>(), 1000u);
  EXPECT_TRUE(n.contains("max_abs_error"));
  // Detections: agree with the float model, small drop against the labels.
  EXPECT_EQ(j["detections"]["evaluated"], true);
  EXPECT_EQ(j["detections"]["images"], 8);
  EXPECT_GT(j["detections"]["agreement"]["map50_95"].get<double>(), 0.7);
  EXPECT_LT(std::abs(j["detections"]["coco"]["drop_points"].get<double>()), 3.0);
  EXPECT_TRUE(j["detections"]["ultralytics"]["float"].contains("map50"));
  // Speed: both measured.
  EXPECT_EQ(j["speed"]["runs"], 2);
  EXPECT_GT(j["speed"]["float_median_ms"].get<double>(), 0.0);
  EXPECT_GT(j["speed"]["quant_median_ms"].get<double>(), 0.0);
  // threads 0: ONNX Runtime chose and pinned them, and the report says so.
  EXPECT_EQ(j["speed"]["threads"], "ONNX Runtime's default threads, one per core, pinned");
  // The Markdown report carries the same numbers.
  const auto md = markdown_report(result);
  EXPECT_THAT(md, ::testing::HasSubstr("| Conv with quantized input and weight | 1 of 88 |"));
  EXPECT_THAT(md, ::testing::HasSubstr("## Speed"));
  std::printf(
      "sound model: SNR %.1f dB, class-score SNR %.1f dB, agreement %.3f, COCO drop %.2f points\n",
      result.numerics[0].snr_db, result.numerics[0].class_score_snr_db,
      result.detections.agreement.map50_95, result.detections.drop_points_coco);
}

TEST_F(VerifyRealData, CorruptedScalesShowLowSnrAndLargeMapDrop) {
  const auto result =
      verify_files(testing::float_model(), dir() / "corrupted.onnx", options_with_labels());
  const auto& n = result.numerics.at(0);
  std::printf(
      "corrupted model: SNR %.1f dB, class-score SNR %.1f dB, agreement %.3f, COCO drop %.2f "
      "points\n",
      n.snr_db, n.class_score_snr_db, result.detections.agreement.map50_95,
      result.detections.drop_points_coco);
  // Measured 16.5 dB against 49 dB for the sound model: box coordinates keep the whole output's
  // SNR up while the class scores are noise (peers.md, pitfall 6).
  EXPECT_LT(n.snr_db, 20.0);
  EXPECT_LT(n.class_score_snr_db, 5.0);
  EXPECT_LT(result.detections.agreement.map50_95, 0.3);
  EXPECT_GT(result.detections.drop_points_coco, 30.0);
  EXPECT_GT(result.detections.drop_points_ultralytics, 30.0);
}

TEST_F(VerifyRealData, NonDetectOutputsSkipDetectionsWithANote) {
  // The float model cut at its first Conv: a [1, 16, 320, 320] output.
  Model cut = load_model(testing::float_model());
  const std::string first_conv_output = cut.graph().node(0).output(0);
  auto* output = cut.graph().mutable_output(0);
  output->Clear();
  output->set_name(first_conv_output);
  output->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  save_model(cut, dir() / "cut.onnx");
  const auto result = verify_files(dir() / "cut.onnx", dir() / "cut.onnx", options_with_labels(), 2);
  EXPECT_FALSE(result.detections.evaluated);
  EXPECT_THAT(result.detections.note, ::testing::HasSubstr("is neither a detect head's"));
  ASSERT_EQ(result.numerics.size(), 1u);
  EXPECT_DOUBLE_EQ(result.numerics[0].cosine, 1.0);
  EXPECT_TRUE(to_json(result)["numerics"][0]["snr_db"].is_null());  // identical: infinite SNR
  EXPECT_GT(result.speed.float_median_ms, 0.0);
}

TEST_F(VerifyRealData, CliTakesANpyOfHeldOutInputs) {
  Tensor inputs(DType::Float32, {2, 3, 640, 640});
  auto v = inputs.values<float>();
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 255) / 255.0f;
  write_npy(dir() / "held_out.npy", inputs);
  const std::string cmd = std::string(YOLOQ_CLI) + " verify " + testing::float_model().string() +
                          " " + (dir() / "good.onnx").string() + " --data " +
                          (dir() / "held_out.npy").string() + " --speed_runs 0 --quiet > " +
                          (dir() / "npy.txt").string() + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream in(dir() / "npy.txt");
  const std::string out((std::istreambuf_iterator<char>(in)), {});
  EXPECT_THAT(out, ::testing::HasSubstr("on 2 samples from " + (dir() / "held_out.npy").string()));
  // Tensors are already letterboxed: detections are compared in input pixels.
  EXPECT_THAT(out, ::testing::HasSubstr("  detections: "));
  EXPECT_THAT(out, ::testing::Not(::testing::HasSubstr("skipped")));
  EXPECT_THAT(out, ::testing::HasSubstr("numerics output0: cosine "));
  EXPECT_THAT(out, ::testing::HasSubstr("; class scores SNR "));  // a detect output without images
}

TEST_F(VerifyRealData, QuantModelThatOnnxRuntimeCannotLoad) {
  Model broken = load_model(dir() / "good.onnx");
  broken.graph().mutable_node(5)->set_op_type("NoSuchOperator");
  save_model(broken, dir() / "broken.onnx");
  EXPECT_THAT(
      error_of(testing::float_model(), dir() / "broken.onnx", options_with_labels()),
      ::testing::AllOf(::testing::HasSubstr("broken.onnx: ONNX Runtime cannot load the model"),
                       ::testing::HasSubstr("NoSuchOperator")));
}

TEST_F(VerifyRealData, ModelsWhoseInputsDiffer) {
  Model renamed = load_model(testing::float_model());
  const std::string old_name = renamed.graph().input(0).name();
  renamed.graph().mutable_input(0)->set_name("pixels");
  for (auto& node : *renamed.graph().mutable_node())
    for (auto& in : *node.mutable_input())
      if (in == old_name) in = "pixels";
  save_model(renamed, dir() / "renamed.onnx");
  EXPECT_THAT(error_of(testing::float_model(), dir() / "renamed.onnx", options_with_labels()),
              ::testing::HasSubstr("renamed.onnx: inputs differ from"));
}

TEST_F(VerifyRealData, LabelsFolderMissing) {
  auto options = options_with_labels();
  options.labels = dir() / "no_labels";
  EXPECT_THAT(error_of(testing::float_model(), dir() / "good.onnx", options),
              ::testing::HasSubstr("no_labels: labels folder does not exist"));
}

TEST_F(VerifyRealData, CliPrintsAllFourPartsAndWritesJsonAndReport) {
  const std::string cmd =
      std::string(YOLOQ_CLI) + " verify " + testing::float_model().string() + " " +
      (dir() / "good.onnx").string() + " --data " + testing::coco128_images().string() +
      " --samples 2 --speed_runs 1 --quiet --json " + (dir() / "v.json").string() + " --report " +
      (dir() / "v.md").string() + " > " + (dir() / "out.txt").string() + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream in(dir() / "out.txt");
  const std::string out((std::istreambuf_iterator<char>(in)), {});
  for (const char* part : {"structure:", "numerics output0:", "detections:"}) EXPECT_THAT(out, ::testing::HasSubstr(part));
  // INT8 activations are TensorRT's placement: verify says why it does not time them, as quantize does.
  EXPECT_THAT(out, ::testing::HasSubstr(std::string("  speed: ") + kTrtSpeedNote));
  EXPECT_TRUE(fs::exists(dir() / "v.json"));
  EXPECT_TRUE(fs::exists(dir() / "v.md"));
  const std::string bad = std::string(YOLOQ_CLI) + " verify " + testing::float_model().string() +
                          " " + (dir() / "missing.onnx").string() + " > " +
                          (dir() / "err.txt").string() + " 2>&1";
  EXPECT_NE(std::system(bad.c_str()), 0);
  std::ifstream err_in(dir() / "err.txt");
  std::string line;
  std::getline(err_in, line);
  EXPECT_THAT(line, ::testing::StartsWith("yoloq: error: "));
}

}  // namespace
}  // namespace yoloq
