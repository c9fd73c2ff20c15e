// `yoloq calibrate` and `yoloq calib-data` as a user runs them: outputs and one-line errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "e2e/cli_runner.hpp"
#include "yoloq/calib/ranges.hpp"
#include "yoloq/synth/graph_builder.hpp"
#include "yoloq/tensor/npy.hpp"

namespace fs = std::filesystem;
using yoloq::testing::run_cli;
using yoloq::testing::ScratchDir;

namespace yoloq {
namespace {

// x [1,3,8,8] -> Relu -> r -> Sigmoid -> y: small enough to calibrate in milliseconds.
fs::path write_small_model(const ScratchDir& dir) {
  GraphBuilder g;
  g.input("x", {1, 3, 8, 8});
  g.node("Relu", "relu", {"x"}, {"r"});
  g.node("Sigmoid", "sigmoid", {"r"}, {"y"});
  g.output("y", {1, 3, 8, 8});
  save_model(g.model(), dir / "small.onnx");
  return dir / "small.onnx";
}

void write_data(const fs::path& path, std::vector<std::int64_t> shape, float scale = 1.0f) {
  Tensor t(DType::Float32, std::move(shape));
  auto v = t.values<float>();
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = scale * (static_cast<float>(i % 17) - 8.0f);
  write_npy(path, t);
}

bool one_error_line(const testing::CliResult& r, const std::string& needle) {
  return r.exit_code != 0 && r.err.rfind("yoloq: error: ", 0) == 0 &&
         r.err.find(needle) != std::string::npos && r.err.find('\n') == r.err.size() - 1;
}

TEST(CalibrateCli, WritesJsonAndTensorRtCaches) {
  ScratchDir dir;
  const auto model = write_small_model(dir);
  write_data(dir / "data.npy", {4, 3, 8, 8});
  auto r = run_cli({"calibrate", model.string(), "--calibration_data_path",
                    (dir / "data.npy").string(), "--calibration_method", "max",
                    "--calibration_cache_path", (dir / "c.json").string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("calibrated 3 tensors"), std::string::npos) << r.out;
  const auto ranges = load_ranges(dir / "c.json");
  EXPECT_EQ(ranges.method, "max");
  EXPECT_EQ(ranges.tensors.at("x"), (TensorRange{-8.0f, 8.0f, 8.0f}));
  EXPECT_EQ(ranges.tensors.at("r"), (TensorRange{0.0f, 8.0f, 8.0f}));

  r = run_cli({"calibrate", model.string(), "--calibration_data", (dir / "data.npy").string(),
               "--calibration_method", "max", "--calibration_cache_path",
               (dir / "c.cache").string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // x: amax 8 -> scale 8/127 = 0x3d810204
  EXPECT_NE(testing::slurp(dir / "c.cache").find("\nx: 3d810204\n"), std::string::npos)
      << testing::slurp(dir / "c.cache");
}

TEST(CalibrateCli, BadInputsFailWithOneLineAndWriteNothing) {
  ScratchDir dir;
  const auto model = write_small_model(dir);
  write_data(dir / "data.npy", {4, 3, 8, 8});
  write_data(dir / "wrong.npy", {4, 3, 16, 16});
  auto cache = (dir / "c.json").string();
  const auto data = (dir / "data.npy").string();

  auto r = run_cli({"calibrate", model.string(), "--calibration_data_path",
                    (dir / "wrong.npy").string(), "--calibration_cache_path", cache});
  EXPECT_TRUE(one_error_line(
      r, "wrong.npy: shape 4x3x16x16 does not match the model input 'x' (expected Nx3x8x8)"))
      << r.err;
  r = run_cli({"calibrate", model.string(), "--calibration_data_path", data, "--calibration_method",
               "kl", "--calibration_cache_path", cache});
  EXPECT_TRUE(one_error_line(r, "--calibration_method: kl not in {max,entropy,percentile,mse}")) << r.err;
  EXPECT_EQ(r.exit_code, 2);  // a usage error
  for (const char* p : {"0", "-5", "100.5"}) {
    r = run_cli({"calibrate", model.string(), "--calibration_data_path", data,
                 "--calibration_method", "percentile", "--percentile", p,
                 "--calibration_cache_path", cache});
    EXPECT_TRUE(one_error_line(r, "is outside (0, 100]")) << p << ": " << r.err;
  }
  Tensor with_nan(DType::Float32, {3, 3, 8, 8});
  with_nan.values<float>()[2 * 192 + 5] = std::nanf("");
  write_npy(dir / "nan.npy", with_nan);
  r = run_cli({"calibrate", model.string(), "--calibration_data_path", (dir / "nan.npy").string(),
               "--calibration_cache_path", cache, "--quiet"});
  EXPECT_TRUE(one_error_line(r, "nan.npy: sample 2 of input 'x' holds NaN")) << r.err;
  fs::create_directories(dir / "empty");
  r = run_cli({"calibrate", model.string(), "--calibration_data_path", (dir / "empty").string(),
               "--calibration_cache_path", cache});
  EXPECT_TRUE(one_error_line(r, "no images")) << r.err;
  r = run_cli({"calibrate", model.string(), "--calibration_data_path", data,
               "--calibration_cache_path", (dir / "missing" / "c.json").string()});
  EXPECT_TRUE(one_error_line(r, "does not exist")) << r.err;

  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dir.path()))
    left.push_back(e.path().filename().string());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left,
            (std::vector<std::string>{"data.npy", "empty", "nan.npy", "small.onnx", "wrong.npy"}));
}

TEST(CalibrateCli, RandomDataWarnsAndIsReproducible) {
  ScratchDir dir;
  const auto model = write_small_model(dir);
  auto a = run_cli({"calibrate", model.string(), "--calibration_cache_path",
                    (dir / "a.json").string(), "--seed", "5"});
  auto b = run_cli({"calibrate", model.string(), "--calibration_cache_path",
                    (dir / "b.json").string(), "--seed", "5", "--quiet"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_NE(a.err.find("placeholders"), std::string::npos) << a.err;
  // --quiet silences progress, never the warning that the scales are placeholders.
  EXPECT_EQ(b.err,
            "yoloq: warning: no calibration data given: using 1 random sample(s), uniform [0,1), seed 5; these "
            "scales are placeholders that do not match real activations, calibrate on real images\n");
  EXPECT_EQ(load_ranges(dir / "a.json"), load_ranges(dir / "b.json"));
}

TEST(CalibrateCli, UnavailableExecutionProvidersAreSkippedWithAWarning) {
  ScratchDir dir;
  const auto model = write_small_model(dir);
  write_data(dir / "data.npy", {2, 3, 8, 8});
  auto r = run_cli({"calibrate", model.string(), "--calibration_data_path",
                    (dir / "data.npy").string(), "--calibration_eps", "trt", "cuda:0", "cpu",
                    "--threads", "1", "--calibration_method", "max", "--calibration_cache_path",
                    (dir / "c.json").string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Either not compiled in, or compiled in without its libraries or device: skipped either way.
  EXPECT_NE(r.err.find("yoloq: warning: execution provider 'trt'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("yoloq: warning: execution provider 'cuda:0'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("skipped"), std::string::npos) << r.err;
  EXPECT_EQ(load_ranges(dir / "c.json").tensors.at("x"), (TensorRange{-8.0f, 8.0f, 8.0f}));
  // ModelOpt's spelling: one quoted argument.
  r = run_cli({"calibrate", model.string(), "--calibration_data_path", (dir / "data.npy").string(),
               "--calibration_eps", "cuda:0 cpu", "--calibration_cache_path",
               (dir / "e.json").string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("yoloq: warning: execution provider 'cuda:0'"), std::string::npos) << r.err;
  r = run_cli({"calibrate", model.string(), "--calibration_data_path", (dir / "data.npy").string(),
               "--calibration_eps", "npu", "--calibration_cache_path", (dir / "d.json").string()});
  EXPECT_TRUE(one_error_line(r, "unknown execution provider 'npu'")) << r.err;
  EXPECT_FALSE(fs::exists(dir / "d.json"));
}

TEST(CalibDataCliRealData, WritesLetterboxedNpy) {
  ScratchDir dir;
  fs::create_directories(dir / "images");
  const auto coco = testing::data_dir() / "coco128" / "images";
  for (const char* name : {"000000000009.jpg", "000000000025.jpg", "000000000030.jpg"})
    fs::copy_file(coco / name, dir / "images" / name);
  testing::spit(dir / "images" / "broken.jpg", "not a jpeg");
  auto r = run_cli({"calib-data", (dir / "images").string(), "-o", (dir / "calib.npy").string(),
                    "--imgsz", "64"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("broken.jpg"), std::string::npos) << r.err;
  const auto t = read_npy(dir / "calib.npy");
  EXPECT_EQ(t.shape, (std::vector<std::int64_t>{3, 3, 64, 64}));
  float lo = 1, hi = 0;
  for (float v : t.values<float>()) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_GE(lo, 0.0f);
  EXPECT_LE(hi, 1.0f);
  EXPECT_GT(hi, 0.9f);

  r = run_cli({"calib-data", (dir / "images").string(), "-o", (dir / "two.npy").string(), "--model",
               testing::real_model_path().string(), "--calibration_size", "2", "--seed", "1",
               "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_npy(dir / "two.npy").shape, (std::vector<std::int64_t>{2, 3, 640, 640}));

  fs::create_directories(dir / "none");
  r = run_cli({"calib-data", (dir / "none").string(), "-o", (dir / "none.npy").string()});
  EXPECT_TRUE(one_error_line(r, "no images")) << r.err;
  EXPECT_FALSE(fs::exists(dir / "none.npy"));
}

}  // namespace
}  // namespace yoloq
