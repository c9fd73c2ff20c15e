// `yoloq sensitivity` and `quantize --max_drop` from the command line, on small_detector: what
// they print and write, and their bad inputs (one line, the right exit code, nothing written).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "e2e/cli_runner.hpp"
#include "test_models.hpp"

namespace yoloq::testing {
namespace {

using ::testing::HasSubstr;

struct Files {
  std::string model, samples;
};

Files detector_files(const ScratchDir& dir) {
  save_model(small_detector(), dir / "det.onnx");
  write_detector_samples(dir / "samples.npy");
  return {(dir / "det.onnx").string(), (dir / "samples.npy").string()};
}

TEST(SensitivityCli, PrintsTheRankingAndWritesJsonMarkdownAndHtml) {
  ScratchDir dir;
  const auto f = detector_files(dir);
  const auto r = run_cli({"sensitivity", f.model, "--data", f.samples, "--quiet", "--json", (dir / "s.json").string(),
                          "--report", (dir / "s.md").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("sensitivity on 5 held-out samples"));
  EXPECT_THAT(r.out, HasSubstr("agreement mAP50-95: float 100.00, quantized "));
  const auto json = nlohmann::json::parse(slurp(dir / "s.json"));
  ASSERT_EQ(json["ops"].size(), 3u);  // c1, c2, c3
  for (const auto& op : json["ops"]) EXPECT_FALSE(op["metric_op_float"].is_null()) << op["node"];
  EXPECT_THAT(slurp(dir / "s.md"), HasSubstr("| 1 | "));
  const auto html = slurp(dir / "s.html");
  EXPECT_THAT(html, HasSubstr("<svg"));
  EXPECT_EQ(check_html(dir / "s.html"), 0);
}

TEST(QuantizeMaxDrop, FallbackIsReportedAndItsPlanRepeatsTheRun) {
  ScratchDir dir;
  const auto f = detector_files(dir);
  const std::string out = (dir / "q.onnx").string();
  auto r = run_cli({"quantize", "--onnx_path", f.model, "--data", f.samples, "--output_path", out, "--quiet",
                    "--max_drop", "0", "--report", (dir / "q.md").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("accuracy fallback (--max_drop 0.00): agreement mAP50-95 drop "));
  EXPECT_THAT(r.out, HasSubstr("plan written to " + (dir / "q.plan.json").string()));
  const auto report = nlohmann::json::parse(slurp(dir / "q.json"));
  EXPECT_EQ(report["fallback"]["max_drop"], 0.0);
  EXPECT_EQ(report["fallback"]["weighted_ops"], 3);
  // With 3 weighted ops, 90% quantized leaves none to return: the plan is the rules'.
  EXPECT_TRUE(report["fallback"]["steps"].empty());
  // --plan with the written plan gives the same model without the search.
  r = run_cli({"quantize", "--onnx_path", f.model, "--data", f.samples, "--output_path", (dir / "p.onnx").string(),
               "--quiet", "--plan", (dir / "q.plan.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(slurp(dir / "p.onnx"), slurp(out));
}

TEST(QuantizeMaxDrop, BadInputsAreOneLineErrorsAndWriteNothing) {
  ScratchDir dir;
  const auto f = detector_files(dir);
  const auto before = files_in(dir);
  auto r = run_cli({"quantize", "--onnx_path", f.model, "--data", f.samples, "--max_drop", "-1"});
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line_error(r, "--max_drop: Value -1 not in range 0.000000 to 100.000000");
  r = run_cli({"quantize", "--onnx_path", f.model, "--data", f.samples, "--max_drop", "101"});
  EXPECT_EQ(r.exit_code, 2);
  r = run_cli({"quantize", "--onnx_path", f.model, "--data", f.samples, "--max_drop", "1", "--drop_metric", "map"});
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line_error(r, "--drop_metric map needs --labels");
  // Labels for tensors: there are no images to find label files for.
  r = run_cli({"quantize", "--onnx_path", f.model, "--data", f.samples, "--max_drop", "1", "--labels", dir.path().string()});
  EXPECT_EQ(r.exit_code, 1);
  expect_one_line_error(r, "--drop_metric map needs images (their labels are found by file name), not ");
  // A model whose output is not detections has no mAP to drop.
  GraphBuilder g;
  g.input("x", {1, 3, 8, 8});
  g.conv("c", "x", "y", 2, 3);
  g.output("y", {1, 2, 8, 8});
  save_model(g.model(), dir / "plain.onnx");
  r = run_cli({"quantize", "--onnx_path", (dir / "plain.onnx").string(), "--data", f.samples, "--max_drop", "1"});
  EXPECT_EQ(r.exit_code, 1);
  expect_one_line_error(r, "--max_drop needs a detect model: the drop is in mAP points of its detections");
  auto after = files_in(dir);
  std::erase(after, "plain.onnx");
  EXPECT_EQ(after, before);
}

}  // namespace
}  // namespace yoloq::testing
