// `yoloq quantize --report`: the three files it writes, and the HTML page checked as a browser
// would need it offline (tests/e2e/check_report_html.py: balanced elements, an SVG, no reference
// to anything outside the file).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "e2e/cli_runner.hpp"

namespace yoloq::testing {
namespace {

using ::testing::HasSubstr;

TEST(QuantizeReportCli, WritesMarkdownJsonAndASelfContainedHtmlPage) {
  ScratchDir dir;
  const auto model = save_small_conv_model(dir, "conv.onnx");
  auto r = run_cli({"quantize", "--onnx_path", model.string(), "--quiet", "--report", (dir / "r.md").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("report: " + (dir / "r.md").string() + ", " + (dir / "r.json").string() + ", " +
                               (dir / "r.html").string()));
  // The SiLU output, calibrated by mse, has a histogram; the graph input keeps its full range.
  const auto json = nlohmann::json::parse(slurp(dir / "r.json"));
  ASSERT_EQ(json["worst_quantized"].size(), 1u);
  const auto& worst = json["worst_quantized"][0];
  EXPECT_EQ(worst["histogram"]["counts"].size(), 64u);
  EXPECT_GT(worst["relative_mse"].get<double>(), 0.0);
  const std::string tensor = worst["tensor"];
  EXPECT_THAT(slurp(dir / "r.md"), HasSubstr("| " + tensor + " | "));
  const auto html = slurp(dir / "r.html");
  EXPECT_THAT(html, HasSubstr("<h3>Worst-quantized activations</h3>"));
  EXPECT_THAT(html, HasSubstr("<title>" + tensor + ": calibration histogram"));
  EXPECT_THAT(html, HasSubstr("<h1>yoloq verification report</h1>"));
  EXPECT_EQ(check_html(dir / "r.html"), 0);

  // Asked for by its HTML name, the report keeps the same three names.
  r = run_cli({"quantize", "--onnx_path", model.string(), "--quiet", "--no_verify", "--report",
               (dir / "again.html").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"again.md", "again.json", "again.html"})
    EXPECT_TRUE(std::filesystem::exists(dir / name)) << name;
  EXPECT_THAT(slurp(dir / "again.md"), ::testing::StartsWith("# yoloq quantization report"));
  EXPECT_EQ(check_html(dir / "again.html"), 0);
}

TEST(QuantizeReportCli, HtmlCheckRejectsBrokenAndOutwardPages) {
  ScratchDir dir;
  const auto model = save_small_conv_model(dir, "conv.onnx");
  ASSERT_EQ(run_cli({"quantize", "--onnx_path", model.string(), "--quiet", "--no_verify", "--report",
                     (dir / "r.md").string()})
                .exit_code,
            0);
  const std::string good = slurp(dir / "r.html");
  auto with = [&](const std::string& from, const std::string& to) {
    std::string page = good;
    page.replace(page.find(from), from.size(), to);
    spit(dir / "bad.html", page);
    return check_html(dir / "bad.html");
  };
  EXPECT_EQ(with("</table>", ""), 1);                                  // an element left open
  EXPECT_EQ(with("</h2>", "</h3>"), 1);                                // closed by the wrong tag
  EXPECT_EQ(with("</style>", "</style><script src=\"x.js\"></script>"), 1);
  EXPECT_EQ(with("</style>", "</style><link rel=\"stylesheet\" href=\"s.css\">"), 1);
  EXPECT_EQ(with("<h2>Plan</h2>", "<h2>Plan http://example.com</h2>"), 1);
  EXPECT_EQ(with("<div class=\"histograms\">", "<div class=\"histograms\" hidden>"), 0);  // still fine
}

}  // namespace
}  // namespace yoloq::testing
