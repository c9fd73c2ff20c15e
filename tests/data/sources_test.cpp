// Calibration sources on small hand-made data: batching, selection, holdout and every bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "test_support.hpp"
#include "yoloq/data/batch_source.hpp"
#include "yoloq/data/fingerprint.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/synth/graph_builder.hpp"
#include "yoloq/tensor/npy.hpp"

namespace fs = std::filesystem;
using yoloq::testing::ScratchDir;
using yoloq::testing::error_message;

namespace yoloq {
namespace {

// A model with float inputs of the given shapes (-1 = dynamic), each passed through an Identity.
Model model_with_inputs(
    const std::vector<std::pair<std::string, std::vector<std::int64_t>>>& inputs) {
  GraphBuilder g;
  for (const auto& [name, shape] : inputs) {
    g.input(name, shape);
    g.node("Identity", "", {name}, {name + "_out"});
    g.output(name + "_out", shape);
  }
  Model m = std::move(g.model());
  m.path = "tiny.onnx";
  return m;
}

// N samples of shape per_sample; every value of sample i is i + 0.5, so a batch shows its samples.
Tensor numbered_samples(std::int64_t n, std::vector<std::int64_t> per_sample) {
  std::vector<std::int64_t> shape{n};
  shape.insert(shape.end(), per_sample.begin(), per_sample.end());
  Tensor t(DType::Float32, shape);
  auto v = t.values<float>();
  const std::size_t size = v.size() / static_cast<std::size_t>(n);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i / size) + 0.5f;
  return t;
}

// The sample numbers in a batch, read back from the values numbered_samples wrote.
std::vector<int> sample_numbers(const Tensor& batch) {
  std::vector<int> out;
  const std::size_t size = batch.numel() / static_cast<std::size_t>(batch.shape[0]);
  for (std::int64_t i = 0; i < batch.shape[0]; ++i)
    out.push_back(static_cast<int>(batch.values<float>()[static_cast<std::size_t>(i) * size]));
  return out;
}

std::vector<int> all_sample_numbers(BatchSource& source) {
  std::vector<int> out;
  while (auto batch = source.next()) {
    for (int n : sample_numbers(batch->front().second)) out.push_back(n);
  }
  return out;
}

SourceOptions source_options(fs::path path, std::size_t max_samples = 0, std::string shapes = "",
                             std::uint64_t seed = 0, bool quiet = false) {
  SourceOptions o;
  o.path = std::move(path);
  o.max_samples = max_samples;
  o.shapes = std::move(shapes);
  o.seed = seed;
  o.quiet = quiet;
  return o;
}

std::string drain_error(const Model& model, const SourceOptions& options) {
  return error_message([&] {
    auto source = make_calibration_source(model, options);
    while (source->next()) {
    }
  });
}

TEST(ResolveInputShapes, DynamicBatchIsOneAndShapesOverride) {
  auto model = model_with_inputs({{"images", {-1, 3, 8, 8}}});
  auto shapes = resolve_input_shapes(model, "");
  ASSERT_EQ(shapes.size(), 1u);
  EXPECT_EQ(shapes[0].second, (std::vector<std::int64_t>{1, 3, 8, 8}));
  EXPECT_EQ(resolve_input_shapes(model, "images:4x3x8x8")[0].second,
            (std::vector<std::int64_t>{4, 3, 8, 8}));
  EXPECT_NE(error_message([&] {
              resolve_input_shapes(model, "images:4x3x9x8");
            }).find("is ?x3x8x8 in the model, got 4x3x9x8"),
            std::string::npos);
  EXPECT_NE(error_message([&] {
              resolve_input_shapes(model, "other:1x3x8x8");
            }).find("no input named 'other'"),
            std::string::npos);
  EXPECT_NE(error_message([&] {
              resolve_input_shapes(model, "images:1x3xfoo");
            }).find("expected positive dimensions"),
            std::string::npos);
}

TEST(NpySource, SplitsIntoModelBatchesInOrder) {
  ScratchDir dir;
  write_npy(dir / "calib.npy", numbered_samples(5, {3, 2, 2}));
  auto model = model_with_inputs({{"images", {2, 3, 2, 2}}});
  auto source = make_calibration_source(model, source_options(dir / "calib.npy"));
  EXPECT_EQ(source->batch_count(), 2u);  // static batch 2: the fifth sample cannot fill a batch
  EXPECT_EQ(source->sample_count(), 4u);
  auto first = source->next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->front().first, "images");
  EXPECT_EQ(first->front().second.shape, (std::vector<std::int64_t>{2, 3, 2, 2}));
  EXPECT_EQ(sample_numbers(first->front().second), (std::vector<int>{0, 1}));
  EXPECT_EQ(sample_numbers(source->next()->front().second), (std::vector<int>{2, 3}));
  EXPECT_FALSE(source->next());
  source->rewind();
  EXPECT_EQ(all_sample_numbers(*source), (std::vector<int>{0, 1, 2, 3}));
}

TEST(NpySource, CalibrationShapesSetTheBatchOfADynamicModel) {
  ScratchDir dir;
  write_npy(dir / "calib.npy", numbered_samples(5, {3, 2, 2}));
  auto model = model_with_inputs({{"images", {-1, 3, 2, 2}}});
  auto source =
      make_calibration_source(model, source_options(dir / "calib.npy", 0, "images:2x3x2x2"));
  EXPECT_EQ(source->batch_count(), 3u);  // dynamic batch: the last batch holds one sample
  EXPECT_EQ(source->sample_count(), 5u);
  std::vector<std::int64_t> batch_sizes;
  while (auto b = source->next()) batch_sizes.push_back(b->front().second.shape[0]);
  EXPECT_EQ(batch_sizes, (std::vector<std::int64_t>{2, 2, 1}));
}

TEST(NpySource, HoldoutServesTheLastSamplesAndCalibrationExcludesThem) {
  ScratchDir dir;
  write_npy(dir / "calib.npy", numbered_samples(17, {3, 2, 2}));
  auto model = model_with_inputs({{"images", {1, 3, 2, 2}}});
  auto options = source_options(dir / "calib.npy");
  auto data = make_calibration_data(model, options, true);
  ASSERT_TRUE(data.held_out);
  EXPECT_EQ(all_sample_numbers(*data.calibration), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
  EXPECT_EQ(all_sample_numbers(*data.held_out), (std::vector<int>{13, 14, 15, 16}));
  EXPECT_TRUE(data.warnings.empty());
  // Fewer than 16 samples to calibrate on: nothing is held out.
  options.max_samples = 2;
  data = make_calibration_data(model, options, true);
  EXPECT_EQ(all_sample_numbers(*data.calibration), (std::vector<int>{0, 1}));
  EXPECT_FALSE(data.held_out);
}

TEST(NpySource, CalibrationSizeIsTheNumberOfSamplesCalibratedOn) {
  ScratchDir dir;
  write_npy(dir / "calib.npy", numbered_samples(32, {3, 2, 2}));
  auto model = model_with_inputs({{"images", {1, 3, 2, 2}}});
  auto options = source_options(dir / "calib.npy", 32);
  // All 32 rows calibrate, as ModelOpt would use them; none are left to hold out.
  auto data = make_calibration_data(model, options, true);
  EXPECT_EQ(data.calibration->sample_count(), 32u);
  EXPECT_FALSE(data.held_out);
  // 24 calibrate; an eighth of 24 is below 4, so 4 of the 8 left over are held out.
  options.max_samples = 24;
  data = make_calibration_data(model, options, true);
  EXPECT_EQ(data.calibration->sample_count(), 24u);
  ASSERT_TRUE(data.held_out);
  EXPECT_EQ(all_sample_numbers(*data.held_out), (std::vector<int>{28, 29, 30, 31}));
  // 30 calibrate: only 2 are left, and both are held out.
  options.max_samples = 30;
  data = make_calibration_data(model, options, true);
  EXPECT_EQ(data.calibration->sample_count(), 30u);
  EXPECT_EQ(all_sample_numbers(*data.held_out), (std::vector<int>{30, 31}));
}

TEST(HoldoutCount, AnEighthFromFourToThirtyTwoFromSixteenSamples) {
  EXPECT_EQ(holdout_count(15), 0u);
  EXPECT_EQ(holdout_count(16), 4u);
  EXPECT_EQ(holdout_count(100), 12u);
  EXPECT_EQ(holdout_count(256), 32u);
  EXPECT_EQ(holdout_count(5000), 32u);
}

TEST(NpySource, ShapeMismatchSaysExpectedAndGot) {
  ScratchDir dir;
  write_npy(dir / "calib.npy", numbered_samples(3, {3, 8, 8}));
  auto model = model_with_inputs({{"images", {1, 3, 4, 4}}});
  const auto error = drain_error(model, source_options(dir / "calib.npy"));
  EXPECT_NE(
      error.find(
          "calib.npy: shape 3x3x8x8 does not match the model input 'images' (expected Nx3x4x4)"),
      std::string::npos)
      << error;
}

TEST(NpySource, NonFloatDataIsRejected) {
  ScratchDir dir;
  write_npy(dir / "calib.npy", Tensor(DType::UInt8, {2, 3, 4, 4}));
  auto model = model_with_inputs({{"images", {1, 3, 4, 4}}});
  EXPECT_NE(
      drain_error(model, source_options(dir / "calib.npy")).find("must be little-endian float32"),
      std::string::npos);
}

TEST(NpySource, NanAndInfNameTheSample) {
  ScratchDir dir;
  auto model = model_with_inputs({{"images", {1, 3, 2, 2}}});
  auto data = numbered_samples(5, {3, 2, 2});
  data.values<float>()[3 * 12 + 7] = std::nanf("");
  write_npy(dir / "nan.npy", data);
  auto error = drain_error(model, source_options(dir / "nan.npy"));
  EXPECT_NE(error.find("nan.npy: sample 3 of input 'images' holds NaN"), std::string::npos)
      << error;
  data = numbered_samples(5, {3, 2, 2});
  data.values<float>()[4 * 12] = -INFINITY;
  write_npy(dir / "inf.npy", data);
  error = drain_error(model, source_options(dir / "inf.npy"));
  EXPECT_NE(error.find("inf.npy: sample 4 of input 'images' holds Inf"), std::string::npos)
      << error;
}

TEST(NpySource, NpyNeedsASingleInputModel) {
  ScratchDir dir;
  write_npy(dir / "calib.npy", numbered_samples(2, {3}));
  auto model = model_with_inputs({{"a", {1, 3}}, {"b", {1, 3}}});
  EXPECT_NE(
      drain_error(model, source_options(dir / "calib.npy")).find("give a .npz keyed by input name"),
      std::string::npos);
}

TEST(NpzSource, FeedsEveryInputByName) {
  ScratchDir dir;
  auto a = numbered_samples(3, {2});
  auto b = numbered_samples(3, {4});
  for (auto& v : b.values<float>()) v += 100;
  write_npz(dir / "calib.npz", {{"a", a}, {"b", b}});
  auto model = model_with_inputs({{"a", {1, 2}}, {"b", {1, 4}}});
  auto source = make_calibration_source(model, source_options(dir / "calib.npz"));
  EXPECT_EQ(source->batch_count(), 3u);
  source->next();
  auto second = source->next();
  ASSERT_TRUE(second);
  ASSERT_EQ(second->size(), 2u);
  EXPECT_EQ((*second)[0].first, "a");
  EXPECT_EQ(sample_numbers((*second)[0].second), (std::vector<int>{1}));
  EXPECT_EQ((*second)[1].first, "b");
  EXPECT_EQ(sample_numbers((*second)[1].second), (std::vector<int>{101}));
}

TEST(NpzSource, HoldoutIsDisjointFromCalibrationForEveryInput) {
  ScratchDir dir;
  auto b = numbered_samples(20, {4});
  for (auto& v : b.values<float>()) v += 100;
  write_npz(dir / "calib.npz", {{"a", numbered_samples(20, {2})}, {"b", b}});
  auto model = model_with_inputs({{"a", {1, 2}}, {"b", {1, 4}}});
  auto data = make_calibration_data(model, source_options(dir / "calib.npz"), true);
  ASSERT_TRUE(data.held_out);
  // Row i of every input travels together: the same rows are held out of "a" and "b".
  std::vector<int> calibration_a, calibration_b, held_a, held_b;
  while (auto batch = data.calibration->next()) {
    calibration_a.push_back(sample_numbers((*batch)[0].second)[0]);
    calibration_b.push_back(sample_numbers((*batch)[1].second)[0] - 100);
  }
  while (auto batch = data.held_out->next()) {
    held_a.push_back(sample_numbers((*batch)[0].second)[0]);
    held_b.push_back(sample_numbers((*batch)[1].second)[0] - 100);
  }
  EXPECT_EQ(calibration_a, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}));
  EXPECT_EQ(held_a, (std::vector<int>{16, 17, 18, 19}));
  EXPECT_EQ(calibration_b, calibration_a);
  EXPECT_EQ(held_b, held_a);
}

TEST(SampleFingerprint, IdentifiesTheValuesOfEveryInput) {
  ScratchDir dir;
  write_npy(dir / "calib.npy", numbered_samples(20, {3, 2, 2}));
  auto model = model_with_inputs({{"images", {1, 3, 2, 2}}});
  auto data = make_calibration_data(model, source_options(dir / "calib.npy"), true);
  auto fingerprints = [](BatchSource& source) {
    std::vector<std::uint64_t> out;
    source.rewind();
    while (source.next())
      for (const auto& origin : source.origins()) out.push_back(origin.fingerprint);
    return out;
  };
  const auto calibration = fingerprints(*data.calibration), held_out = fingerprints(*data.held_out);
  ASSERT_EQ(calibration.size(), 16u);
  ASSERT_EQ(held_out.size(), 4u);
  const std::set<std::uint64_t> calibrated(calibration.begin(), calibration.end());
  EXPECT_EQ(calibrated.size(), 16u);  // every sample differs
  for (auto f : held_out) EXPECT_EQ(calibrated.count(f), 0u);
  EXPECT_EQ(fingerprints(*data.calibration), calibration);  // the same values, the same fingerprints

  std::vector<float> a{1, 2, 3}, b{4};
  const auto ab = sample_fingerprint({a, b});
  EXPECT_EQ(sample_fingerprint({a, b}), ab);
  EXPECT_NE(sample_fingerprint({b, a}), ab);  // which input holds which values counts
  a[2] = std::nextafter(3.0f, 4.0f);
  EXPECT_NE(sample_fingerprint({a, b}), ab);  // one ulp of one value
}

TEST(SampleFingerprint, RecordedInModelMetadataAndReadBack) {
  Model model = model_with_inputs({{"images", {1, 3, 2, 2}}});
  EXPECT_TRUE(recorded_calibration_fingerprints(model).empty());
  const std::vector<std::uint64_t> fingerprints{0, 0x0123456789abcdefull, ~0ull};
  record_calibration_fingerprints(model, fingerprints);
  record_calibration_fingerprints(model, fingerprints);  // replaces, does not add a second entry
  ASSERT_EQ(model.proto.metadata_props_size(), 1);
  EXPECT_EQ(model.proto.metadata_props(0).value(), "0000000000000000 0123456789abcdef ffffffffffffffff");
  EXPECT_EQ(recorded_calibration_fingerprints(model), fingerprints);
  model.proto.mutable_metadata_props(0)->set_value("0123 not-hex");
  EXPECT_TRUE(recorded_calibration_fingerprints(model).empty());
}

TEST(NpzSource, MissingAndUnknownNamesAreErrors) {
  ScratchDir dir;
  auto model = model_with_inputs({{"a", {1, 2}}, {"b", {1, 4}}});
  write_npz(dir / "missing.npz", {{"a", numbered_samples(3, {2})}});
  auto error = drain_error(model, source_options(dir / "missing.npz"));
  EXPECT_NE(error.find("missing.npz: no array for the model input 'b'"), std::string::npos)
      << error;
  write_npz(dir / "unknown.npz", {{"a", numbered_samples(3, {2})},
                                  {"b", numbered_samples(3, {4})},
                                  {"c", numbered_samples(3, {4})}});
  error = drain_error(model, source_options(dir / "unknown.npz"));
  EXPECT_NE(error.find("unknown.npz: array 'c' is not an input of the model"), std::string::npos)
      << error;
  write_npz(dir / "shape.npz", {{"a", numbered_samples(3, {2})}, {"b", numbered_samples(3, {5})}});
  error = drain_error(model, source_options(dir / "shape.npz"));
  EXPECT_NE(
      error.find("array 'b' has shape 3x5, which does not match the model input (expected Nx4)"),
      std::string::npos)
      << error;
}

// A view of `t` as the Python module passes a numpy array.
ArrayView view_of(const Tensor& t, std::string name = "", std::string dtype = "float32") {
  return {std::move(name), std::move(dtype), t.shape, t.bytes.data()};
}

TEST(ArraySource, ReadsInPlaceAndHoldsOutAsAnNpzWould) {
  auto a = numbered_samples(20, {2});
  auto b = numbered_samples(20, {4});
  for (auto& v : b.values<float>()) v += 100;
  auto model = model_with_inputs({{"a", {1, 2}}, {"b", {1, 4}}});
  SourceOptions options;
  options.arrays = {view_of(b, "b"), view_of(a, "a")};  // any order: found by name
  auto data = make_calibration_data(model, options, true);
  ASSERT_TRUE(data.held_out);
  EXPECT_TRUE(data.warnings.empty());  // real data: no random-data warning
  EXPECT_EQ(data.calibration->description(), "16 samples from calibration_data");
  std::vector<int> calibration_a, calibration_b, held_a;
  while (auto batch = data.calibration->next()) {
    calibration_a.push_back(sample_numbers((*batch)[0].second)[0]);
    calibration_b.push_back(sample_numbers((*batch)[1].second)[0] - 100);
  }
  held_a = all_sample_numbers(*data.held_out);
  EXPECT_EQ(calibration_a, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}));
  EXPECT_EQ(calibration_b, calibration_a);
  EXPECT_EQ(held_a, (std::vector<int>{16, 17, 18, 19}));
}

TEST(ArraySource, OneUnnamedArrayFeedsTheOnlyInputAndGivesTheNpyFingerprints) {
  ScratchDir dir;
  const auto samples = numbered_samples(20, {3, 2, 2});
  write_npy(dir / "calib.npy", samples);
  auto model = model_with_inputs({{"images", {1, 3, 2, 2}}});
  SourceOptions from_array;
  from_array.arrays = {view_of(samples)};
  auto in_memory = make_calibration_data(model, from_array, true);
  auto from_file = make_calibration_data(model, source_options(dir / "calib.npy"), true);
  // The same values as the .npy, so quantize writes the same fingerprints (and model bytes).
  for (auto* pair : {&in_memory.calibration, &in_memory.held_out}) {
    auto& file_source = pair == &in_memory.calibration ? from_file.calibration : from_file.held_out;
    while (auto batch = (*pair)->next()) {
      auto file_batch = file_source->next();
      ASSERT_TRUE(file_batch);
      EXPECT_EQ(sample_numbers(batch->front().second), sample_numbers(file_batch->front().second));
      EXPECT_EQ((*pair)->origins().front().fingerprint, file_source->origins().front().fingerprint);
    }
    EXPECT_FALSE(file_source->next());
  }
}

TEST(ArraySource, BadArraysAreErrorsNamingTheKeyword) {
  auto samples = numbered_samples(3, {2});
  auto two_inputs = model_with_inputs({{"a", {1, 2}}, {"b", {1, 2}}});
  auto one_input = model_with_inputs({{"a", {1, 2}}});
  SourceOptions o;
  o.arrays = {view_of(samples)};
  EXPECT_EQ(drain_error(two_inputs, o),
            "calibration_data: one array feeds a single-input model, this one has 2 inputs; give a dict of arrays "
            "keyed by input name");
  o.arrays = {view_of(samples, "", "float64")};
  EXPECT_EQ(drain_error(one_input, o), "calibration_data: array 'a' is float64, expected float32");
  auto wide = numbered_samples(3, {5});
  o.arrays = {view_of(wide)};
  EXPECT_EQ(drain_error(one_input, o),
            "calibration_data: array 'a' has shape 3x5, which does not match the model input (expected Nx2)");
  o.arrays = {view_of(samples, "a"), view_of(samples, "c")};
  EXPECT_EQ(drain_error(two_inputs, o), "calibration_data: array 'c' is not an input of the model (inputs: 'a', 'b')");
  o.arrays = {view_of(samples, "a")};
  EXPECT_EQ(drain_error(two_inputs, o),
            "calibration_data: no array for the model input 'b' (expected arrays: 'a', 'b')");
  o.arrays = {view_of(samples)};
  o.path = "calib.npy";
  EXPECT_EQ(drain_error(one_input, o), "calibration data: give a path or arrays, not both");
}

TEST(RandomSource, SeededUniformAndReproducible) {
  auto model = model_with_inputs({{"images", {1, 3, 16, 16}}});
  auto options = source_options("", 3, "", 42, true);
  auto first = make_calibration_source(model, options);
  auto second = make_calibration_source(model, options);
  EXPECT_EQ(first->batch_count(), 3u);
  double sum = 0;
  std::size_t n = 0;
  std::set<float> distinct;
  while (auto batch = first->next()) {
    auto again = second->next();
    ASSERT_TRUE(again);
    EXPECT_EQ(batch->front().second, again->front().second);
    for (float v : batch->front().second.values<float>()) {
      EXPECT_GE(v, 0.0f);
      EXPECT_LT(v, 1.0f);
      sum += v;
      ++n;
      distinct.insert(v);
    }
  }
  EXPECT_NEAR(sum / static_cast<double>(n), 0.5, 0.02);
  EXPECT_GT(distinct.size(), n * 9 / 10);
  options.seed = 43;
  auto other = make_calibration_source(model, options);
  first->rewind();
  EXPECT_NE(other->next()->front().second, first->next()->front().second);
}

TEST(RandomSource, DefaultIsOneSampleWithAPlaceholderWarning) {
  auto model = model_with_inputs({{"images", {1, 3, 4, 4}}});
  auto data = make_calibration_data(model, source_options("", 0, "", 7), false);
  ASSERT_EQ(data.warnings.size(), 1u);
  const std::string warning = data.warnings[0];
  EXPECT_EQ(data.calibration->batch_count(), 1u);
  EXPECT_NE(warning.find("random sample(s), uniform [0,1), seed 7"), std::string::npos) << warning;
  EXPECT_NE(warning.find("placeholders"), std::string::npos) << warning;
}

TEST(RandomSource, HoldoutSamplesDifferFromCalibrationSamples) {
  auto model = model_with_inputs({{"images", {1, 3, 4, 4}}});
  auto data = make_calibration_data(model, source_options("", 2, "", 9, true), true);
  EXPECT_EQ(data.calibration->batch_count(), 2u);
  ASSERT_TRUE(data.held_out);
  EXPECT_EQ(data.held_out->batch_count(), kRandomHoldout);
  while (auto held = data.held_out->next()) {
    data.calibration->rewind();
    while (auto batch = data.calibration->next()) EXPECT_NE(batch->front().second, held->front().second);
  }
}

TEST(Sources, UnknownPathsAreErrors) {
  ScratchDir dir;
  auto model = model_with_inputs({{"images", {1, 3, 4, 4}}});
  EXPECT_NE(
      drain_error(model, source_options(dir / "nope.npy")).find("nope.npy: no such file or folder"),
      std::string::npos);
  testing::spit(dir / "data.txt", "hello");
  EXPECT_NE(drain_error(model, source_options(dir / "data.txt")).find("unknown calibration data"),
            std::string::npos);
}

}  // namespace
}  // namespace yoloq
