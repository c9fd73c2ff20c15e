#include "pipeline/range_histogram_svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "yoloq/support/html.hpp"

namespace yoloq {

namespace {

constexpr double kWidth = 480, kHeight = 168;
constexpr double kPlotTop = 34, kPlotBottom = 140;  // two caption lines above, axis labels below

std::string fmt(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

std::string coordinate(double value) { return fmt("%.1f", value); }

struct MarkerStyle {
  const char* kind;  // the line's class
  const char* colour;
  bool dashed;
};
constexpr MarkerStyle kThreshold{"threshold", "#c00", true}, kObservedMax{"max", "#555", false};

class Plot {
 public:
  explicit Plot(double axis_end) : axis_end_(axis_end > 0 ? axis_end : 1) {}
  double x(double magnitude) const {
    return kHistogramSvgLeft + magnitude / axis_end_ * (kHistogramSvgRight - kHistogramSvgLeft);
  }
  // A vertical line across the plot at `magnitude` and its label, on the side with more room;
  // `row` staggers the labels of lines that lie close together.
  void marker(std::ostringstream& svg, const MarkerStyle& style, double magnitude, const std::string& label,
              int row) const {
    const double at = x(magnitude);
    const bool left = at > (kHistogramSvgLeft + kHistogramSvgRight) / 2;
    svg << "<line class=\"" << style.kind << "\" x1=\"" << coordinate(at) << "\" y1=\"" << coordinate(kPlotTop)
        << "\" x2=\"" << coordinate(at) << "\" y2=\"" << coordinate(kPlotBottom) << "\" stroke=\"" << style.colour
        << "\" stroke-width=\"1.5\"" << (style.dashed ? " stroke-dasharray=\"4 2\"" : "") << "/>\n";
    svg << "<text x=\"" << coordinate(left ? at - 3 : at + 3) << "\" y=\"" << coordinate(kPlotTop + 10 + 12 * row)
        << "\" text-anchor=\"" << (left ? "end" : "start") << "\" fill=\"" << style.colour
        << "\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">"  // a halo, legible over the bars
        << html_escape(label) << "</text>\n";
  }

 private:
  double axis_end_;
};

}  // namespace

std::string range_histogram_svg(const TensorQuantizationError& t, const ValueHistogram& histogram) {
  const double axis_end = std::max({histogram.upper, static_cast<double>(t.threshold),
                                    static_cast<double>(t.other_threshold), static_cast<double>(t.abs_max)});
  const Plot plot(axis_end);
  const std::string name = html_escape(t.tensor);
  const double relative_mse = t.estimate.relative_mse;
  const std::string error = "relative MSE " + fmt("%.3g", relative_mse) +
                            (relative_mse > 0 ? " (SQNR " + fmt("%.1f", -10 * std::log10(relative_mse)) + " dB)" : "") +
                            ", " + fmt("%.3g", 100 * t.estimate.clipped_fraction) + "% of values clipped";
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight
      << "\" viewBox=\"0 0 " << kWidth << " " << kHeight << "\" font-family=\"sans-serif\" font-size=\"10\">\n";
  svg << "<title>" << name << ": calibration histogram of |x| against the clipping threshold</title>\n";
  svg << "<text x=\"" << coordinate(kHistogramSvgLeft) << "\" y=\"12\" font-size=\"11\" font-weight=\"bold\">" << name
      << "</text>\n";
  svg << "<text x=\"" << coordinate(kHistogramSvgLeft) << "\" y=\"26\">" << html_escape(error) << "</text>\n";

  const std::uint64_t most = histogram.counts.empty()
                                 ? 0
                                 : *std::max_element(histogram.counts.begin(), histogram.counts.end());
  const double width = histogram.bin_width();
  for (std::size_t i = 0; i < histogram.counts.size(); ++i) {
    if (histogram.counts[i] == 0) continue;
    const double height = std::log1p(static_cast<double>(histogram.counts[i])) /
                          std::log1p(static_cast<double>(most)) * (kPlotBottom - kPlotTop);
    const double from = plot.x(width * static_cast<double>(i)), to = plot.x(width * static_cast<double>(i + 1));
    const bool clipped = width * static_cast<double>(i) >= t.threshold;
    svg << "<rect x=\"" << coordinate(from) << "\" y=\"" << coordinate(kPlotBottom - height) << "\" width=\""
        << coordinate(std::max(to - from - 0.5, 0.5)) << "\" height=\"" << coordinate(height) << "\" fill=\""
        << (clipped ? "#d9534f" : "#4a7ab5") << "\"/>\n";
  }
  svg << "<line x1=\"" << coordinate(kHistogramSvgLeft) << "\" y1=\"" << coordinate(kPlotBottom) << "\" x2=\""
      << coordinate(kHistogramSvgRight) << "\" y2=\"" << coordinate(kPlotBottom) << "\" stroke=\"#333\"/>\n";
  svg << "<text x=\"" << coordinate(kHistogramSvgLeft) << "\" y=\"154\">0</text>\n";
  svg << "<text x=\"" << coordinate((kHistogramSvgLeft + kHistogramSvgRight) / 2)
      << "\" y=\"154\" text-anchor=\"middle\">|x| (bar height: log count)</text>\n";
  svg << "<text x=\"" << coordinate(kHistogramSvgRight) << "\" y=\"154\" text-anchor=\"end\">"
      << fmt("%.4g", axis_end) << "</text>\n";

  const char* sign = t.symmetric ? "\u00b1" : t.negative_side ? "\u2212" : "+";
  plot.marker(svg, kThreshold, t.threshold, std::string("clip ") + sign + fmt("%.4g", t.threshold), 0);
  if (t.other_threshold > 0)
    plot.marker(svg, kThreshold, t.other_threshold,
                std::string("clip ") + (t.negative_side ? "+" : "\u2212") + fmt("%.4g", t.other_threshold), 1);
  plot.marker(svg, kObservedMax, t.abs_max, "max |x| " + fmt("%.4g", t.abs_max), 2);
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace yoloq
