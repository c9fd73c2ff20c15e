// Synthesized YOLO11 models go through the whole pipeline: synth, quantize (random calibration,
// like ModelOpt's prototype flow), verify. n and s here; every size in bench/.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "e2e/cli_runner.hpp"

namespace yoloq::testing {
namespace {

using ::testing::HasSubstr;

class SynthPipeline : public ::testing::TestWithParam<std::string> {};

TEST_P(SynthPipeline, QuantizesLoadsAndRunsForBothTargets) {
  ScratchDir dir;
  const std::string arch = GetParam(), model = (dir / (arch + ".onnx")).string();
  auto s = run_cli({"synth", "--arch", arch, "--imgsz", "320", "-o", model});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  for (const std::string target : {"trt", "ort-cpu"}) {
    auto q = run_cli({"quantize", "--onnx_path", model, "--output_path", (dir / (target + ".onnx")).string(), "--target",
                      target, "--quiet"});
    ASSERT_EQ(q.exit_code, 0) << q.err;
    EXPECT_THAT(q.out, HasSubstr("Conv/ConvTranspose/Gemm/MatMul quantized: "));
    EXPECT_THAT(q.out, HasSubstr("structure: loads in ONNX Runtime; interface unchanged"));
    EXPECT_THAT(q.out, HasSubstr("numerics output0: cosine 0.99"));
  }
}

INSTANTIATE_TEST_SUITE_P(Yolo11, SynthPipeline, ::testing::Values("yolo11n", "yolo11s"));

TEST(Demo, RunsTheWholePipelineInAFolder) {
  ScratchDir dir;
  auto r = run_cli({"demo", "--imgsz", "320", "--dir", (dir / "demo").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("1. synthesized"));
  EXPECT_THAT(r.out, HasSubstr("quantize --target trt"));
  EXPECT_THAT(r.out, HasSubstr("quantize --target ort-cpu"));
  EXPECT_THAT(r.out, HasSubstr("speed (ONNX Runtime CPU"));  // ort-cpu
  EXPECT_THAT(r.out, HasSubstr("speed: not measured for --target trt"));
  EXPECT_THAT(r.out, HasSubstr("yoloq quantize --onnx_path yolo11n.onnx"));
  EXPECT_TRUE(std::filesystem::exists(dir / "demo" / "yolo11n.trt.int8.onnx"));
  EXPECT_TRUE(std::filesystem::exists(dir / "demo" / "yolo11n.ort-cpu.int8.onnx"));
}

}  // namespace
}  // namespace yoloq::testing
