// Synthesized YOLO11 models go through the whole pipeline: synth, quantize (random calibration,
// like ModelOpt's prototype flow), verify. n and s here; every size in bench/.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "e2e/cli_runner.hpp"
#include "yoloq/onnx/model_summary.hpp"
#include "yoloq/plan/quant_plan.hpp"

namespace yoloq::testing {
namespace {

using ::testing::HasSubstr;

// One quantize run of a synthesized model and what it must write. The counts are exact so that a
// change of placement shows here; yolo11n and yolo11s share the depth multiple, so their graphs
// differ only in channel counts and the same numbers hold for both.
struct Expected {
  std::string target, yolo_head;
  std::size_t quantize_linear, dequantize_linear;
  std::size_t weighted_quantized;  // of the 90 Conv/Gemm/MatMul
  // The yolo-head rules among the plan's float nodes: they are only there when the Detect head was
  // found.
  std::set<std::string> head_rules;
};

const Expected kExpected[] = {
    {"trt", "float-dfl", 118, 205, 89, {"yolo-head.decode", "yolo-head.dfl"}},
    {"trt", "float", 112, 193, 83, {"yolo-head.decode", "yolo-head.dfl", "yolo-head.output-conv"}},
    // ort-cpu keeps the first convolution (of the 3-channel image) and its SiLU float.
    {"ort-cpu", "float-dfl", 298, 458, 82, {"yolo-head.decode", "yolo-head.dfl"}},
    {"ort-cpu", "float", 292, 452, 82, {"yolo-head.decode", "yolo-head.dfl", "yolo-head.output-conv"}},
};

std::set<std::string> head_rules(const QuantPlan& plan) {
  std::set<std::string> rules;
  for (const auto& f : plan.float_nodes)
    if (f.rule.rfind("yolo-head.", 0) == 0) rules.insert(f.rule);
  return rules;
}

class SynthPipeline : public ::testing::TestWithParam<std::string> {};

TEST_P(SynthPipeline, FindsTheHeadAndWritesExactQdqCountsForBothTargets) {
  ScratchDir dir;
  const std::string arch = GetParam(), model = (dir / (arch + ".onnx")).string();
  auto s = run_cli({"synth", "--arch", arch, "--imgsz", "320", "-o", model});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  for (const auto& e : kExpected) {
    SCOPED_TRACE("--target " + e.target + " --yolo_head " + e.yolo_head);
    const std::string stem = (dir / (e.target + "." + e.yolo_head)).string();
    std::vector<std::string> args{"quantize", "--onnx_path", model, "--output_path", stem + ".onnx", "--target",
                                  e.target, "--yolo_head", e.yolo_head, "--report", stem + ".md", "--quiet"};
    // The default head (float) is verified as a user's run is; float-dfl only quantizes six more convolutions.
    const bool verify = e.yolo_head == "float";
    if (!verify) args.push_back("--no_verify");
    auto q = run_cli(args);
    ASSERT_EQ(q.exit_code, 0) << q.err;
    EXPECT_THAT(q.out, HasSubstr("Conv/ConvTranspose/Gemm/MatMul quantized: "));
    if (verify) {
      EXPECT_THAT(q.out, HasSubstr("structure: loads in ONNX Runtime; interface unchanged"));
      EXPECT_THAT(q.out, HasSubstr("numerics output0: cosine 0.99"));
    }
    const auto report = nlohmann::json::parse(slurp(stem + ".json"));
    EXPECT_EQ(head_rules(plan_from_json(report.at("plan"))), e.head_rules);
    const QdqStats written = qdq_stats(load_model(stem + ".onnx"));
    EXPECT_EQ(written.quantize_linear, e.quantize_linear);
    EXPECT_EQ(written.dequantize_linear, e.dequantize_linear);
    EXPECT_EQ(written.weighted_total().quantized, e.weighted_quantized);
    EXPECT_EQ(written.weighted_total().total, 90u);
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
