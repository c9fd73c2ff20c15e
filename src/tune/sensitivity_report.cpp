#include "yoloq/tune/sensitivity_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "yoloq/support/html.hpp"

namespace yoloq {

namespace {

std::string fixed(double v, int digits = 2) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  return buffer;
}

std::string optional_value(const std::optional<double>& v) { return v ? fixed(*v) : "-"; }

nlohmann::json finite_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

}  // namespace

std::string sensitivity_table(const SensitivityResult& r, std::size_t rows) {
  std::ostringstream o;
  o << "sensitivity on " << r.samples << " held-out samples of " << r.data << "\n";
  o << "  " << r.metric_name << ": float " << fixed(r.float_value) << ", quantized " << fixed(r.quantized_value)
    << " (" << r.metric_unit << ")\n";
  o << "  rank  local SQNR dB (act / weight / both)  output SQNR  " << r.metric_name << ": op float / only op INT8  node\n";
  const std::size_t n = rows == 0 ? r.ops.size() : std::min(rows, r.ops.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto& s = r.ops[i];
    char line[512];
    std::snprintf(line, sizeof line, "  %4zu  %6s / %6s / %6s              %6s       %8s / %-8s              %s (%s)\n", i + 1,
                  fixed(s.local_sqnr_activations, 1).c_str(), fixed(s.local_sqnr_weights, 1).c_str(),
                  fixed(s.local_sqnr_both, 1).c_str(), fixed(s.output_sqnr, 1).c_str(),
                  optional_value(s.metric_all_but).c_str(), optional_value(s.metric_only).c_str(), s.node.c_str(),
                  s.op_type.c_str());
    o << line;
  }
  if (n < r.ops.size()) o << "  ... " << r.ops.size() - n << " more (--json or --report for all)\n";
  return o.str();
}

nlohmann::json to_json(const SensitivityResult& r) {
  nlohmann::json j{{"metric", r.metric_name},
                   {"unit", r.metric_unit},
                   {"float", finite_or_null(r.float_value)},
                   {"quantized", finite_or_null(r.quantized_value)},
                   {"samples", r.samples},
                   {"data", r.data},
                   {"ops", nlohmann::json::array()}};
  for (const auto& s : r.ops) {
    nlohmann::json op{{"node", s.node},
                      {"op_type", s.op_type},
                      {"local_sqnr_db", {{"activations", s.local_sqnr_activations},
                                         {"weights", s.local_sqnr_weights},
                                         {"both", s.local_sqnr_both}}},
                      {"output_sqnr_db", s.output_sqnr},
                      {"metric_op_float", s.metric_all_but ? nlohmann::json(*s.metric_all_but) : nlohmann::json(nullptr)},
                      {"metric_only_op_int8", s.metric_only ? nlohmann::json(*s.metric_only) : nlohmann::json(nullptr)}};
    j["ops"].push_back(op);
  }
  return j;
}

std::string sensitivity_chart_svg(const SensitivityResult& r) {
  std::vector<const OpSensitivity*> measured;
  for (const auto& s : r.ops)
    if (s.metric_all_but) measured.push_back(&s);
  constexpr int kLabelWidth = 330, kBarWidth = 360, kRow = 22, kTop = 34;
  const int height = kTop + kRow * static_cast<int>(measured.size()) + 30;
  // The axis spans the quantized model's value to the best of the float model's and the bars'.
  double lo = r.quantized_value, hi = r.float_value;
  for (const auto* s : measured) lo = std::min(lo, *s->metric_all_but), hi = std::max(hi, *s->metric_all_but);
  if (!std::isfinite(hi)) hi = lo + 1;
  if (hi - lo < 1e-9) hi = lo + 1;
  auto x = [&](double v) { return kLabelWidth + (v - lo) / (hi - lo) * kBarWidth; };
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kLabelWidth + kBarWidth + 80 << "\" height=\""
      << height << "\" font-family=\"sans-serif\" font-size=\"11\">\n";
  svg << "<text x=\"4\" y=\"14\" font-weight=\"bold\">" << html_escape(r.metric_name)
      << " with one op returned to float</text>\n";
  svg << "<text x=\"4\" y=\"28\" fill=\"#555\">bars start at the fully quantized model (" << fixed(r.quantized_value)
      << "); the dashed line is the float model";
  if (std::isfinite(r.float_value)) svg << " (" << fixed(r.float_value) << ")";
  svg << "</text>\n";
  for (std::size_t i = 0; i < measured.size(); ++i) {
    const auto& s = *measured[i];
    const int y = kTop + kRow * static_cast<int>(i);
    const double x0 = x(r.quantized_value), x1 = x(*s.metric_all_but);
    svg << "<text x=\"" << kLabelWidth - 6 << "\" y=\"" << y + 14 << "\" text-anchor=\"end\">" << html_escape(s.node)
        << "</text>\n";
    svg << "<rect x=\"" << fixed(std::min(x0, x1), 1) << "\" y=\"" << y + 3 << "\" width=\""
        << fixed(std::max(1.0, std::abs(x1 - x0)), 1) << "\" height=\"" << kRow - 6 << "\" fill=\""
        << (x1 >= x0 ? "#3a7bd5" : "#d5573a") << "\"/>\n";
    svg << "<text x=\"" << fixed(std::max(x0, x1) + 4, 1) << "\" y=\"" << y + 14 << "\">" << fixed(*s.metric_all_but)
        << "</text>\n";
  }
  if (std::isfinite(r.float_value)) {
    const double xf = x(r.float_value);
    svg << "<line x1=\"" << fixed(xf, 1) << "\" y1=\"" << kTop << "\" x2=\"" << fixed(xf, 1) << "\" y2=\""
        << height - 26 << "\" stroke=\"#333\" stroke-dasharray=\"4 3\"/>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

std::string sensitivity_markdown(const SensitivityResult& r) {
  std::ostringstream m;
  m << "# yoloq sensitivity report\n\n";
  m << "Measured on " << r.samples << " held-out samples of " << r.data << ". End metric: " << r.metric_name
    << " (" << r.metric_unit << "), float model " << fixed(r.float_value) << ", fully quantized "
    << fixed(r.quantized_value) << ".\n\n";
  m << "Local SQNR is the noise quantization adds at the op (its output's noise-to-signal ratio minus its "
       "input's), with only activations, only weights, or both quantized; lower hurts more. The last two "
       "columns are the end metric with the op returned to float, and with only the op quantized (measured "
       "for the ops with the lowest local SQNR).\n\n";
  m << "| rank | node | op | local SQNR dB, activations | weights | both | output SQNR dB | " << r.metric_name
    << ", op float | only op INT8 |\n| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (std::size_t i = 0; i < r.ops.size(); ++i) {
    const auto& s = r.ops[i];
    m << "| " << i + 1 << " | " << s.node << " | " << s.op_type << " | " << fixed(s.local_sqnr_activations, 1) << " | "
      << fixed(s.local_sqnr_weights, 1) << " | " << fixed(s.local_sqnr_both, 1) << " | " << fixed(s.output_sqnr, 1)
      << " | " << optional_value(s.metric_all_but) << " | " << optional_value(s.metric_only) << " |\n";
  }
  return m.str();
}

std::string sensitivity_html(const SensitivityResult& result) {
  return html_page("yoloq sensitivity report", markdown_to_html(sensitivity_markdown(result)) + sensitivity_chart_svg(result));
}

}  // namespace yoloq
