// The quantize report's parts on inputs small enough to check by hand: the error estimate and the
// ranking of the worst-quantized activations, their SVG histograms, the Markdown-to-HTML
// conversion, and escaping in the HTML report.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "pipeline/quantization_error.hpp"
#include "pipeline/range_histogram_svg.hpp"
#include "yoloq/pipeline/report.hpp"
#include "yoloq/support/html.hpp"

namespace yoloq {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// 6400 values spread evenly over [0, 1]: mean square 1/3.
ValueHistogram uniform_histogram() { return {1.0, std::vector<std::uint64_t>(64, 100)}; }

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST(QuantizationError, ExactOnAnEvenSpread) {
  // Threshold at the largest value: rounding error only, step^2 / 12 over a mean square of 1/3.
  const double step = 1.0 / 127;
  const auto kept = estimate_quantization_error(uniform_histogram(), 1.0, step, 1.0);
  EXPECT_NEAR(kept.relative_mse, step * step / 4, 1e-15);
  EXPECT_EQ(kept.clipped_fraction, 0.0);
  // Threshold at 0.5 clips half the values: the integral of (x - 0.5)^2 over [0.5, 1] is 1/24,
  // plus rounding on the other half, over 1/3.
  const double half_step = 0.5 / 127;
  const auto clipped = estimate_quantization_error(uniform_histogram(), 0.5, half_step, 1.0);
  EXPECT_NEAR(clipped.relative_mse, 0.125 + half_step * half_step / 8, 1e-15);
  EXPECT_NEAR(clipped.clipped_fraction, 0.5, 1e-15);
  // A tensor that is all zero loses nothing.
  EXPECT_EQ(estimate_quantization_error({0.0, {5, 0}}, 0.0, 1e-9, 0.0).relative_mse, 0.0);
}

TEST(QuantizationError, ClippingHalfTheMassRanksWorst) {
  QuantPlan plan;  // INT8 symmetric
  for (const char* t : {"clips_half", "fixed_range", "keeps_all"}) plan.activations.push_back({t, {}, "test"});
  Ranges ranges;
  ranges.tensors["keeps_all"] = {0.0f, 1.0f, 1.0f};
  ranges.tensors["clips_half"] = {0.0f, 1.0f, 0.5f};
  ranges.tensors["fixed_range"] = {0.0f, 1.0f, 1.0f};  // no histogram: not ranked
  ranges.histograms["keeps_all"] = uniform_histogram();
  ranges.histograms["clips_half"] = uniform_histogram();
  const auto worst = worst_quantized_tensors(plan, ranges, 8);
  ASSERT_EQ(worst.size(), 2u);
  EXPECT_EQ(worst[0].tensor, "clips_half");
  EXPECT_NEAR(worst[0].estimate.relative_mse, 0.125, 1e-4);
  EXPECT_NEAR(worst[0].estimate.clipped_fraction, 0.5, 1e-6);
  // INT8 saturates at [-128, 127] x scale; the positive end is amax.
  EXPECT_FLOAT_EQ(worst[0].clip_high, 0.5f);
  EXPECT_FLOAT_EQ(worst[0].clip_low, -0.5f * 128 / 127);
  EXPECT_FLOAT_EQ(worst[0].threshold, 0.5f);
  EXPECT_EQ(worst[1].tensor, "keeps_all");
  EXPECT_NEAR(worst[1].estimate.relative_mse, 1.0 / (4 * 127 * 127), 1e-9);
  EXPECT_EQ(worst_quantized_tensors(plan, ranges, 1).size(), 1u);
}

TEST(QuantizationError, Uint8UsesTheEndOnTheSideOfTheLargerValues) {
  QuantPlan plan;
  plan.activation_type = ActivationType::UInt8Asymmetric;
  plan.activations.push_back({"silu", {}, "test"});
  Ranges ranges;
  ranges.tensors["silu"] = {-0.25f, 6.0f, 4.0f};  // clipped at 4 on the positive side only
  ranges.histograms["silu"] = {6.0, std::vector<std::uint64_t>(64, 1)};
  const auto worst = worst_quantized_tensors(plan, ranges, 8);
  ASSERT_EQ(worst.size(), 1u);
  const auto& t = worst[0];
  EXPECT_FALSE(t.symmetric);
  EXPECT_FALSE(t.negative_side);
  EXPECT_FLOAT_EQ(t.threshold, t.clip_high);
  EXPECT_FLOAT_EQ(t.other_threshold, -t.clip_low);
  EXPECT_NEAR(t.clip_high, 4.0f, t.scale);  // [-0.25, 4] in 255 steps, the zero point rounded
  EXPECT_NEAR(t.clip_low, -0.25f, t.scale);
  EXPECT_NEAR(t.estimate.clipped_fraction, 2.0 / 6, 0.01);
}

TensorQuantizationError marked_tensor() {
  TensorQuantizationError t;
  t.tensor = "conv<1>";
  t.estimate = {0.01, 0.002};
  t.scale = 1.0f / 127;
  t.threshold = 1.0f;
  t.abs_max = 3.5f;
  return t;
}

TEST(RangeHistogramSvg, MarkersAtTheirValuesOnTheAxis) {
  ValueHistogram histogram{4.0, std::vector<std::uint64_t>(64, 0)};
  histogram.counts[0] = 1000;
  histogram.counts[15] = 10;  // [0.9375, 1): within the threshold
  histogram.counts[16] = 3;   // [1, 1.0625): beyond it
  histogram.counts[55] = 1;   // the largest value, 3.5
  const auto svg = range_histogram_svg(marked_tensor(), histogram);
  // The axis ends at the histogram's upper edge, 4: x = 10 + value / 4 * 460.
  EXPECT_THAT(svg, HasSubstr("<line class=\"threshold\" x1=\"125.0\" y1=\"34.0\" x2=\"125.0\""));
  EXPECT_THAT(svg, HasSubstr(">clip \u00b11</text>"));
  EXPECT_THAT(svg, HasSubstr("<line class=\"max\" x1=\"412.5\""));
  EXPECT_THAT(svg, HasSubstr(">max |x| 3.5</text>"));
  EXPECT_EQ(occurrences(svg, "<rect "), 4u);
  EXPECT_EQ(occurrences(svg, "fill=\"#d9534f\""), 2u);  // bins 16 and 55, wholly beyond the threshold
  EXPECT_THAT(svg, HasSubstr("<title>conv&lt;1&gt;: "));
  EXPECT_THAT(svg, HasSubstr("relative MSE 0.01 (SQNR 20.0 dB), 0.2% of values clipped"));
  EXPECT_EQ(occurrences(svg, "http"), 1u);  // the SVG namespace name only
  EXPECT_EQ(occurrences(svg, "xmlns=\"http://www.w3.org/2000/svg\""), 1u);

  auto asymmetric = marked_tensor();
  asymmetric.symmetric = false;
  asymmetric.other_threshold = 0.5f;
  const auto two_sided = range_histogram_svg(asymmetric, histogram);
  EXPECT_THAT(two_sided, HasSubstr("<line class=\"threshold\" x1=\"67.5\""));
  EXPECT_THAT(two_sided, HasSubstr(">clip +1</text>"));
  EXPECT_THAT(two_sided, HasSubstr(">clip \u2212" "0.5</text>"));
}

TEST(MarkdownToHtml, HeadingsParagraphsTablesListsAndInlineMarkup) {
  EXPECT_EQ(markdown_to_html("# T\n\nSome **bold** and `co<de>` and **open\nnext line\n\n"
                             "| a | b |\n| --- | ---: |\n| 1 & 2 | 3 |\n\n- item **b**\n- `x`\n"),
            "<h1>T</h1>\n"
            "<p>Some <strong>bold</strong> and <code>co&lt;de&gt;</code> and **open\nnext line</p>\n"
            "<table>\n<thead>\n<tr><th>a</th><th class=\"r\">b</th></tr>\n</thead>\n"
            "<tbody>\n<tr><td>1 &amp; 2</td><td class=\"r\">3</td></tr>\n</tbody>\n</table>\n"
            "<ul>\n<li>item <strong>b</strong></li>\n<li><code>x</code></li>\n</ul>\n");
}

QuantizeResult result_with_tensor(const std::string& name) {
  QuantizeResult r;
  r.plan.activations.push_back({name, {}, "test"});
  r.ranges.method = "mse";
  r.ranges.tensors[name] = {0.0f, 1.0f, 0.5f};
  r.ranges.histograms[name] = uniform_histogram();
  return r;
}

TEST(QuantizeReport, HtmlEscapesTensorNames) {
  const std::string name = "a<b&\"c\"";
  const auto r = result_with_tensor(name);
  const auto html = html_report(r, {});
  EXPECT_THAT(html, Not(HasSubstr(name)));
  // The ranges table, the worst-quantized table, and the SVG's title and caption.
  EXPECT_EQ(occurrences(html, "a&lt;b&amp;&quot;c&quot;"), 4u);
  EXPECT_THAT(html, HasSubstr("<svg "));
  EXPECT_THAT(markdown_report(r, {}), HasSubstr("| " + name + " | 0.125 |"));  // Markdown is text
  const auto json = to_json(r, {});
  ASSERT_EQ(json["worst_quantized"].size(), 1u);
  EXPECT_EQ(json["worst_quantized"][0]["tensor"], name);
  EXPECT_EQ(json["worst_quantized"][0]["histogram"]["counts"].size(), 64u);
  EXPECT_EQ(json["worst_quantized"][0]["histogram"]["upper"], 1.0);
}

TEST(QuantizeReport, WithoutHistogramsSaysWhyAndDrawsNothing) {
  auto r = result_with_tensor("x");
  r.ranges.histograms.clear();  // as read from a calibration cache
  EXPECT_THAT(markdown_report(r, {}), HasSubstr("None to show: no quantized activation has a calibration histogram"));
  const auto html = html_report(r, {});
  EXPECT_THAT(html, HasSubstr("<h3>Worst-quantized activations</h3>\n<p>None to show"));
  EXPECT_THAT(html, Not(HasSubstr("<svg")));
  EXPECT_TRUE(to_json(r, {})["worst_quantized"].empty());
}

}  // namespace
}  // namespace yoloq
