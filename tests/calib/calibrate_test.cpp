// The calibration engine on a small hand-built model (ranges computed by hand) and on YOLO11n.
#include "yoloq/calib/calibrate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "calib/collectors.hpp"
#include "calib/range_methods.hpp"
#include "test_support.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/synth/graph_builder.hpp"
#include "yoloq/tensor/npy.hpp"

using yoloq::testing::ScratchDir;
using yoloq::testing::error_message;

namespace yoloq {
namespace {

// x [1,4] -> Relu -> r -> Mul(r, two) -> doubled ; x -> Softmax -> probabilities ;
// x -> Sigmoid -> gate ; x -> Shape -> dims
Model small_model() {
  GraphBuilder g;
  g.input("x", {1, 4});
  g.initializer("two", float_tensor({}, {2.0f}));
  g.node("Relu", "relu", {"x"}, {"r"});
  g.node("Mul", "mul", {"r", "two"}, {"doubled"});
  g.node("Softmax", "softmax", {"x"}, {"probabilities"});
  g.node("Sigmoid", "sigmoid", {"x"}, {"gate"});
  g.node("Shape", "shape", {"x"}, {"dims"});
  g.output("doubled", {1, 4});
  g.output("probabilities", {1, 4});
  g.output("gate", {1, 4});
  g.output("dims", {2}, onnx::TensorProto::INT64);
  Model model = std::move(g.model());
  model.path = "small.onnx";
  return model;
}

// Three samples whose extremes are known: x min -3.5 (sample 1), max 2.25 (sample 2).
std::unique_ptr<BatchSource> small_source(const Model& model, const ScratchDir& dir) {
  Tensor data(DType::Float32, {3, 4});
  const float values[] = {0.5f,  -1.0f, 1.5f,  0.0f,  -3.5f, 1.0f,
                          0.25f, 2.0f,  2.25f, -0.5f, 0.75f, 1.25f};
  std::copy(std::begin(values), std::end(values), data.values<float>().begin());
  write_npy(dir / "small.npy", data);
  SourceOptions options;
  options.path = dir / "small.npy";
  return make_calibration_source(model, options);
}

CalibrationOptions quiet_options(CalibrationMethod method, int threads = 2) {
  CalibrationOptions o;
  o.method = method;
  o.threads = threads;
  o.runtime.threads = 1;
  o.quiet = true;
  return o;
}

TEST(FloatActivationTensors, FloatNodeOutputsAndInputsOnly) {
  // dims is int64 (Shape), two is an initializer: neither is an activation.
  EXPECT_EQ(float_activation_tensors(small_model()),
            (std::vector<std::string>{"x", "r", "doubled", "probabilities", "gate"}));
}

TEST(Calibrate, MaxMethodGivesExactExtremes) {
  ScratchDir dir;
  const auto model = small_model();
  auto source = small_source(model, dir);
  const auto ranges = calibrate(model, float_activation_tensors(model), *source,
                                quiet_options(CalibrationMethod::Max));
  EXPECT_EQ(ranges.method, "max");
  ASSERT_EQ(ranges.tensors.size(), 5u);
  EXPECT_EQ(ranges.tensors.at("x"), (TensorRange{-3.5f, 2.25f, 3.5f}));
  EXPECT_EQ(ranges.tensors.at("r"), (TensorRange{0.0f, 2.25f, 2.25f}));
  EXPECT_EQ(ranges.tensors.at("doubled"), (TensorRange{0.0f, 4.5f, 4.5f}));
  EXPECT_EQ(ranges.tensors.at("probabilities"),
            (TensorRange{0.0f, 1.0f, 1.0f}));  // fixed, not observed
  EXPECT_EQ(ranges.tensors.at("gate"), (TensorRange{0.0f, 1.0f, 1.0f}));  // fixed too
}

TEST(Calibrate, HistogramMethodsStayWithinTheMaximum) {
  ScratchDir dir;
  const auto model = small_model();
  for (auto method :
       {CalibrationMethod::Entropy, CalibrationMethod::Percentile, CalibrationMethod::Mse}) {
    auto source = small_source(model, dir);
    const auto ranges = calibrate(model, {"x", "doubled"}, *source, quiet_options(method));
    EXPECT_EQ(ranges.method, method_name(method));
    // Observed extremes are the same whatever the method; the threshold never exceeds |max|.
    EXPECT_EQ(ranges.tensors.at("x").min, -3.5f);
    EXPECT_EQ(ranges.tensors.at("doubled").max, 4.5f);
    EXPECT_EQ(ranges.tensors.at("x").amax, 3.5f);  // a graph input keeps its whole range
    EXPECT_GT(ranges.tensors.at("doubled").amax, 0.0f);
    EXPECT_LE(ranges.tensors.at("doubled").amax, 4.5f);
  }
}

TEST(Calibrate, HistogramMethodsKeepEachCollectedTensorsHistogramAndMaxKeepsNone) {
  ScratchDir dir;
  const auto model = small_model();
  auto source = small_source(model, dir);
  const auto ranges = calibrate(model, float_activation_tensors(model), *source, quiet_options(CalibrationMethod::Mse));
  // Graph inputs keep their whole range and probabilities a fixed one: only r and doubled were
  // histogrammed, each over its 3 x 4 values, up to its largest value (r: 2.25, doubled: 4.5).
  ASSERT_EQ(ranges.histograms.size(), 2u);
  for (const auto& [name, largest] : {std::pair{"r", 2.25}, std::pair{"doubled", 4.5}}) {
    const auto& h = ranges.histograms.at(name);
    EXPECT_EQ(h.counts.size(), 64u);
    std::uint64_t total = 0;
    for (auto c : h.counts) total += c;
    EXPECT_EQ(total, 12u) << name;
    EXPECT_GE(h.upper, largest) << name;
    EXPECT_LT(h.upper, largest * 1.05) << name;
  }
  auto again = small_source(model, dir);
  EXPECT_TRUE(calibrate(model, float_activation_tensors(model), *again, quiet_options(CalibrationMethod::Max))
                  .histograms.empty());
}

// Auto calibrates once and keeps every method's threshold as a candidate: each equals what that
// method alone gives on the same data; the amax used until a selection is mse's; graph inputs and
// probabilities have nothing to choose.
TEST(Calibrate, AutoKeepsEveryMethodsThresholdFromOnePass) {
  ScratchDir dir;
  const auto model = small_model();
  auto source = small_source(model, dir);
  const auto tensors = float_activation_tensors(model);
  const auto ranges = calibrate(model, tensors, *source, quiet_options(CalibrationMethod::Auto));
  EXPECT_EQ(ranges.method, "auto");
  ASSERT_EQ(ranges.candidates.size(), 2u);  // r and doubled
  for (const auto method : candidate_methods()) {
    auto again = small_source(model, dir);
    const auto single = calibrate(model, tensors, *again, quiet_options(method));
    for (const char* t : {"r", "doubled"})
      EXPECT_EQ(ranges.candidates.at(t).at(method_name(method)), single.tensors.at(t).amax) << t << " " << method_name(method);
    if (method == CalibrationMethod::Mse) {
      for (const auto& [t, r] : single.tensors) EXPECT_EQ(ranges.tensors.at(t), r) << t;
    }
  }
  // The max candidate of doubled is its largest value (2 x 2.25); the others clip or equal it.
  EXPECT_EQ(ranges.candidates.at("doubled").at("max"), 4.5f);
  EXPECT_FALSE(ranges.candidates.count("x"));
  EXPECT_FALSE(ranges.candidates.count("probabilities"));
  EXPECT_EQ(candidate_methods().front(), CalibrationMethod::Mse);  // ties go to the old default
}

TEST(Calibrate, ResultsDoNotDependOnThreadCount) {
  ScratchDir dir;
  const auto model = small_model();
  auto one = small_source(model, dir);
  auto three = small_source(model, dir);
  const auto tensors = float_activation_tensors(model);
  const auto single = calibrate(model, tensors, *one, quiet_options(CalibrationMethod::Entropy, 1));
  const auto multi = calibrate(model, tensors, *three, quiet_options(CalibrationMethod::Entropy, 3));
  EXPECT_EQ(single, multi);
  EXPECT_EQ(single.histograms, multi.histograms);  // not part of ==
}

// Twelve batches whose largest values grow batch by batch (histograms rebin as they arrive):
// x [batch, width] -> Relu -> r -> Mul(r, two) -> doubled ; x -> Neg -> negated.
Model growing_model(std::int64_t batch, std::int64_t width) {
  GraphBuilder g;
  g.input("x", {batch, width});
  g.initializer("two", float_tensor({}, {2.0f}));
  g.node("Relu", "relu", {"x"}, {"r"});
  g.node("Mul", "mul", {"r", "two"}, {"doubled"});
  g.node("Neg", "neg", {"x"}, {"negated"});
  g.output("doubled", {batch, width});
  g.output("negated", {batch, width});
  Model model = std::move(g.model());
  model.path = "growing.onnx";
  return model;
}

// Entropy's floor: nine images of 4,096 values in [0, 1) and one 8.0 each. The KL search alone
// clips the 8.0s (9 values of 36,864); every image reaches 8.0, so the median of the images'
// maxima is 8.0 and the threshold stays within one bin of the batch-maxima histogram (8 / 512)
// of it. When only one image has the 8.0, the median is below 1 and the search clips it again.
TEST(Calibrate, EntropyNeverClipsBelowTheMedianImagesMaximum) {
  constexpr std::int64_t kWidth = 4096, kImages = 9;
  const auto model = growing_model(1, kWidth);
  for (const std::int64_t images_with_outlier : {kImages, std::int64_t{1}}) {
    ScratchDir dir;
    Tensor data(DType::Float32, {kImages, kWidth});
    auto values = data.values<float>();
    std::uint32_t state = 12345;
    for (auto& v : values) {
      state = state * 1664525u + 1013904223u;  // a fixed LCG: the same data on every platform
      v = static_cast<float>(state >> 8) / 16777216.0f;
    }
    for (std::int64_t i = 0; i < images_with_outlier; ++i) values[static_cast<std::size_t>(i * kWidth)] = 8.0f;
    write_npy(dir / "data.npy", data);
    SourceOptions options;
    options.path = dir / "data.npy";
    auto source = make_calibration_source(model, options);
    const float amax = calibrate(model, {"r"}, *source, quiet_options(CalibrationMethod::Entropy)).tensors.at("r").amax;
    HistogramCollector all;
    all.update(values);
    const double search_alone = entropy_amax(all);
    EXPECT_LT(search_alone, 4.0) << images_with_outlier;  // the search clips the 8.0s either way
    if (images_with_outlier == kImages) {
      EXPECT_GE(amax, 8.0f - 8.0f / 512);
      EXPECT_LE(amax, 8.0f);
    } else {
      EXPECT_EQ(amax, static_cast<float>(search_alone));
    }
  }
}

// The ranges and histograms do not depend on how many ONNX Runtime threads read the chunks of a
// tensor: 300,000 values per batch are two chunks of 2^18 and the rest.
TEST(Calibrate, ChunksReadInParallelGiveTheExactRanges) {
  constexpr std::int64_t kWidth = 300000;
  const Model model = growing_model(1, kWidth);
  ScratchDir dir;
  Tensor data(DType::Float32, {12, kWidth});
  auto values = data.values<float>();
  float lo = 0, hi = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const float batch = static_cast<float>(i / kWidth + 1);
    values[i] = batch * (static_cast<float>((i * 37) % 101) / 50.0f - 1.0f);
    lo = std::min(lo, values[i]);
    hi = std::max(hi, values[i]);
  }
  write_npy(dir / "growing.npy", data);
  auto run = [&](CalibrationMethod method, int runtime_threads) {
    SourceOptions source_options;
    source_options.path = dir / "growing.npy";
    auto source = make_calibration_source(model, source_options);
    auto options = quiet_options(method);
    options.runtime.threads = runtime_threads;
    return calibrate(model, {"r", "doubled", "negated"}, *source, options);
  };
  for (const int threads : {1, 2}) {
    const auto ranges = run(CalibrationMethod::Max, threads);
    EXPECT_EQ(ranges.tensors.at("r"), (TensorRange{0.0f, hi, hi})) << threads;
    EXPECT_EQ(ranges.tensors.at("doubled"), (TensorRange{0.0f, 2 * hi, 2 * hi})) << threads;
    EXPECT_EQ(ranges.tensors.at("negated"), (TensorRange{-hi, -lo, std::max(hi, -lo)})) << threads;
  }
  for (const auto method : {CalibrationMethod::Entropy, CalibrationMethod::Mse}) {
    const auto serial = run(method, 1), parallel = run(method, 2);
    EXPECT_EQ(parallel, serial) << method_name(method);
    EXPECT_EQ(parallel.histograms, serial.histograms) << method_name(method);
  }
}

TEST(Calibrate, DynamicShapesGiveTheRangesOfStaticOnes) {
  const auto dynamic = growing_model(-1, 64);
  ScratchDir dir;
  Tensor data(DType::Float32, {5, 64});
  auto values = data.values<float>();
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 7) - 3.0f;
  write_npy(dir / "d.npy", data);
  SourceOptions source_options;
  source_options.path = dir / "d.npy";
  auto a = make_calibration_source(dynamic, source_options);
  auto b = make_calibration_source(growing_model(1, 64), source_options);
  const auto options = quiet_options(CalibrationMethod::Entropy);
  EXPECT_EQ(calibrate(dynamic, {"r", "doubled", "negated"}, *a, options),
            calibrate(growing_model(1, 64), {"r", "doubled", "negated"}, *b, options));
}

TEST(Calibrate, BadRequestsAreErrors) {
  ScratchDir dir;
  const auto model = small_model();
  auto source = small_source(model, dir);
  EXPECT_NE(error_message([&] {
              calibrate(model, {"nope"}, *source, quiet_options(CalibrationMethod::Max));
            }).find("small.onnx: no tensor named 'nope' to calibrate"),
            std::string::npos);
  EXPECT_NE(error_message([&] {
              calibrate(model, {"two"}, *source, quiet_options(CalibrationMethod::Max));
            }).find("tensor 'two' is a constant"),
            std::string::npos);
  auto options = quiet_options(CalibrationMethod::Percentile);
  options.percentile = 0;
  EXPECT_NE(error_message([&] { calibrate(model, {"x"}, *source, options); }).find("--percentile 0"),
            std::string::npos);
  options.percentile = 100.01;
  EXPECT_NE(error_message([&] { calibrate(model, {"x"}, *source, options); }).find("outside (0, 100]"),
            std::string::npos);
  // A tensor that is not float32, named in calibration's words, not ONNX Runtime's.
  GraphBuilder g;
  g.input("x", {1, 4});
  g.node("Shape", "shape", {"x"}, {"s"});
  g.output("s", {2}, onnx::TensorProto::INT64);
  Model with_shape = std::move(g.model());
  with_shape.path = "shape.onnx";
  auto shape_source = small_source(with_shape, dir);
  EXPECT_NE(error_message([&] {
              calibrate(with_shape, {"s"}, *shape_source, quiet_options(CalibrationMethod::Max));
            }).find("shape.onnx: tensor 's' is int64; only float32 tensors are calibrated"),
            std::string::npos);
  EXPECT_NE(error_message([] {
              parse_calibration_method("kl");
            }).find("unknown calibration method 'kl' (expected max, entropy, percentile, mse or auto)"),
            std::string::npos);
}

TEST(Calibrate, ProgressLineUnlessQuiet) {
  ScratchDir dir;
  const auto model = small_model();
  auto source = small_source(model, dir);
  auto options = quiet_options(CalibrationMethod::Max);
  options.quiet = false;
  ::testing::internal::CaptureStderr();
  calibrate(model, {"x"}, *source, options);
  const std::string progress = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(progress.find("calibrating: 3/3 batches"), std::string::npos) << progress;
  EXPECT_NE(progress.find("images/s, ETA 0:00"), std::string::npos) << progress;
  source->rewind();
  ::testing::internal::CaptureStderr();
  calibrate(model, {"x"}, *source, quiet_options(CalibrationMethod::Max));
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

// YOLO11n on 16 of the coco128 images: the acceptance run, shortened for test time.
class CalibrateRealData : public ::testing::Test {
 protected:
  static Ranges run(const Model& model, const std::vector<std::string>& tensors) {
    SourceOptions source_options;
    source_options.path = testing::data_dir() / "coco128" / "images";
    source_options.max_samples = 16;
    source_options.seed = 3;
    source_options.quiet = true;
    auto source = make_calibration_source(model, source_options);
    EXPECT_EQ(source->batch_count(), 16u);
    auto options = quiet_options(CalibrationMethod::Entropy);
    options.runtime.threads = 2;
    return calibrate(model, tensors, *source, options);
  }
};

TEST_F(CalibrateRealData, Yolo11nRangesAreFinitePositiveAndReproducible) {
  const Model model = load_model(testing::real_model_path());
  const auto tensors = float_activation_tensors(model);
  ASSERT_GT(tensors.size(), 300u);
  const auto first = run(model, tensors);
  ASSERT_EQ(first.tensors.size(), tensors.size());
  for (const auto& name : tensors) {
    const auto& r = first.tensors.at(name);
    EXPECT_TRUE(std::isfinite(r.amax) && r.amax > 0) << name << " amax " << r.amax;
    EXPECT_LE(r.amax, std::max(std::fabs(r.min), std::fabs(r.max))) << name;
  }
  // Letterboxed RGB / 255: the input's range is [0, 1] and real photos reach (almost) white.
  const auto& images = first.tensors.at("images");
  EXPECT_GE(images.amax, 0.99f);
  EXPECT_LE(images.amax, 1.0f);
  EXPECT_EQ(images.min, 0.0f);
  EXPECT_EQ(first.tensors.at("/model.23/dfl/Softmax_output_0"), (TensorRange{0.0f, 1.0f, 1.0f}));
  // Entropy clips the long tails of some activations below their maximum.
  std::size_t clipped = 0;
  for (const auto& [name, r] : first.tensors)
    clipped += r.amax < 0.9f * std::max(std::fabs(r.min), r.max);
  EXPECT_GT(clipped, 10u);

  const auto second = run(model, tensors);
  EXPECT_EQ(second, first);

  ScratchDir dir;
  save_ranges_json(first, dir / "yolo11n.json");
  EXPECT_EQ(load_ranges(dir / "yolo11n.json"), first);
  validate_ranges(first, GraphIndex(model.graph()), {}, "yolo11n.json");
}

}  // namespace
}  // namespace yoloq
