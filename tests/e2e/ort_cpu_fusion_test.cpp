// The ort-cpu placement is only worth its Q/DQ pairs if ONNX Runtime's CPU provider fuses them
// into integer kernels. This asks ONNX Runtime for the graph it actually runs (the optimized model
// SessionOptions can write out) and checks that every Conv the plan quantized became a QLinearConv.
#include <gtest/gtest.h>
#include <onnxruntime_cxx_api.h>

#include <nlohmann/json.hpp>
#include <set>

#include "e2e/cli_runner.hpp"
#include "yoloq/onnx/model.hpp"
#include "yoloq/plan/quant_plan.hpp"

namespace yoloq::testing {
namespace {

// The Conv nodes whose weights the plan quantizes and which it does not keep float.
std::set<std::string> planned_integer_convs(const QuantPlan& plan, const Model& float_model) {
  std::set<std::string> convs, kept_float, planned;
  for (const auto& node : float_model.graph().node())
    if (node.op_type() == "Conv") convs.insert(node.name());
  for (const auto& f : plan.float_nodes) kept_float.insert(f.node);
  for (const auto& w : plan.weights)
    if (convs.count(w.node) && !kept_float.count(w.node)) planned.insert(w.node);
  return planned;
}

// The graph after ONNX Runtime's extended optimizations, the level of its Q/DQ fusions (the next
// level would go on to turn QLinearConv into an NHWC contrib op). yoloq's RuntimeOptions cannot
// ask for the optimized model file, hence the Ort API here.
Model optimized_by_onnx_runtime(const std::filesystem::path& model, const std::filesystem::path& out) {
  Ort::Env env(ORT_LOGGING_LEVEL_ERROR, "ort-cpu-fusion-test");
  Ort::SessionOptions options;
  options.SetIntraOpNumThreads(1);  // the machine is shared
  options.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_EXTENDED);
  options.SetOptimizedModelFilePath(out.c_str());
  Ort::Session session(env, model.c_str(), options);
  return load_model(out);
}

TEST(OrtCpuFusion, EveryPlannedIntegerConvBecomesQLinearConv) {
  ScratchDir dir;
  const auto model = dir / "yolo11n.onnx", quantized = dir / "yolo11n.ort-cpu.onnx";
  auto s = run_cli({"synth", "--arch", "yolo11n", "--imgsz", "320", "-o", model.string()});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  // Random calibration: the scales do not change what ONNX Runtime can fuse.
  auto q = run_cli({"quantize", "--onnx_path", model.string(), "--output_path", quantized.string(), "--target",
                    "ort-cpu", "--report", (dir / "report.md").string(), "--no_verify", "--quiet"});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  const auto plan = plan_from_json(nlohmann::json::parse(slurp(dir / "report.json")).at("plan"));
  const auto planned = planned_integer_convs(plan, load_model(model));
  ASSERT_FALSE(planned.empty());

  const Model optimized = optimized_by_onnx_runtime(quantized, dir / "optimized.onnx");
  std::size_t qlinear_convs = 0;
  std::vector<std::string> left_float;  // planned integer Convs ONNX Runtime runs in float
  for (const auto& node : optimized.graph().node()) {
    if (node.op_type() == "QLinearConv") ++qlinear_convs;
    if (node.op_type() == "Conv" && planned.count(node.name())) left_float.push_back(node.name());
  }
  EXPECT_EQ(qlinear_convs, planned.size());
  EXPECT_EQ(left_float, std::vector<std::string>{});
}

}  // namespace
}  // namespace yoloq::testing
