// The report of `yoloq quantize --report`: what was asked, what was decided and why, the ranges
// and scales written, the activations that lose most to their scale, and the verification, as
// JSON, Markdown and HTML (the Markdown's sections, plus the histograms of those activations).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include "pipeline/quantization_error.hpp"
#include "pipeline/range_histogram_svg.hpp"
#include "yoloq/pipeline/quantize.hpp"
#include "yoloq/pipeline/report.hpp"
#include "yoloq/support/html.hpp"
#include "yoloq/support/version.hpp"
#include "yoloq/verify/report.hpp"

namespace yoloq {

std::string summary_text(const QuantizeResult& r) {
  std::ostringstream o;
  o << "wrote " << r.output_path.string() << "\n";
  o << "  target " << target_name(r.plan.target) << ", yolo head " << yolo_head_name(r.plan.yolo_head) << ", calibration "
    << r.ranges.method << " on " << r.calibration_source << "\n";
  o << "  head: " << (r.plan.head.empty() ? "no YOLO head found (quantized like the body)" : r.plan.head) << "\n";
  o << "  Q/DQ nodes: " << r.quantize_linear << " QuantizeLinear + " << r.dequantize_linear << " DequantizeLinear = "
    << r.quantize_linear + r.dequantize_linear << "\n";
  o << "  Conv/ConvTranspose/Gemm/MatMul quantized: " << r.weighted_ops.quantized << " of " << r.weighted_ops.total << "\n";
  o << "  activations quantized: " << r.plan.activations.size() << " tensors in " << r.plan.scale_groups.size()
    << " shared-scale groups; weights: " << r.plan.weights.size() << " per-channel\n";
  std::map<std::string, std::vector<std::string>> kept;
  for (const auto& f : r.plan.float_nodes) kept[f.rule].push_back(f.op_type);
  for (const auto& [rule, ops] : kept) {
    std::map<std::string, int> count;
    for (const auto& op : ops) ++count[op];
    o << "  kept float (" << rule << "): ";
    bool first = true;
    for (const auto& [op, n] : count) o << (first ? "" : ", ") << n << " " << op, first = false;
    o << "\n";
  }
  for (const auto& rewrite : r.plan.rewrites)
    o << "  rewritten float (" << rewrite.rule << "): " << rewrite.kind << ", " << rewrite.nodes.size()
      << " nodes (same outputs, faster in ONNX Runtime)\n";
  std::map<std::string, std::map<float, int>> floors;
  for (const auto& f : r.plan.range_floors) ++floors[f.rule][f.min];
  for (const auto& [rule, by_min] : floors)
    for (const auto& [min, n] : by_min) o << "  range floor (" << rule << "): " << n << " tensors clipped below " << min << "\n";
  o.setf(std::ios::fixed);
  o.precision(2);
  if (r.fallback) {
    const auto& f = *r.fallback;
    o << "  accuracy fallback (--max_drop " << f.max_drop << "): " << f.metric_name << " drop " << f.initial_drop()
      << " -> " << f.final_drop() << " points on " << f.samples << " held-out samples; " << f.steps.size()
      << " op(s) returned to float after " << f.trials << " trial(s), each kept if it raised the "
      << f.steered_by << " (" << f.stop_reason << ")\n";
    for (const auto& step : f.steps) {
      o << "    float: " << step.node << " (" << step.op_type << "), drop now " << f.float_value - step.metric;
      if (step.class_score_snr_db) o << ", class-score SNR " << *step.class_score_snr_db << " dB";
      o << "\n";
    }
    o << "  plan written to " << r.plan_path.string() << " (--plan repeats this run without the search)\n";
  }
  if (!r.bias_shifts.empty()) {
    double largest = 0;
    for (const auto& b : r.bias_shifts)
      for (const double s : b.shift) largest = std::max(largest, std::abs(s));
    o << "  bias correction: " << r.bias_shifts.size() << " biases corrected, largest channel shift " << largest
      << "\n";
  }
  const auto& t = r.times;
  if (!r.ranges.chosen.empty()) {
    // Most chosen first, so the line says at a glance what auto mostly settled on.
    std::vector<std::pair<std::string, std::size_t>> counts;
    for (const auto& c : chosen_method_counts(r.ranges)) counts.push_back(c);
    std::stable_sort(counts.begin(), counts.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    o << "  auto ranges (lowest error at the consumers' outputs";
    if (r.selection_samples) o << ", on " << r.selection_samples << " samples";
    o << "): ";
    for (std::size_t i = 0; i < counts.size(); ++i) o << (i ? ", " : "") << counts[i].first << " " << counts[i].second;
    o << "\n";
  }
  o << "  time: " << t.load_s + t.plan_s + t.calibrate_s + t.select_s + t.tune_s + t.write_s + t.save_s + t.verify_s
    << " s (calibration " << t.calibrate_s << " s" << (r.ranges_from_cache ? ", from cache" : "");
  if (!r.ranges.chosen.empty() && !r.ranges_from_cache) o << ", auto selection " << t.select_s << " s";
  if (r.fallback || !r.bias_shifts.empty()) o << ", tuning " << t.tune_s << " s";
  o << ", write " << t.write_s + t.save_s << " s, verify " << t.verify_s << " s)\n";
  if (r.verification) o << summary_text(*r.verification);
  return o.str();
}


namespace {

constexpr const char* kTitle = "yoloq quantization report";
constexpr std::size_t kWorstTensors = 8;

std::string fmt(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

nlohmann::json settings_json(const QuantizeResult& r, const QuantizeOptions& o) {
  return {{"yoloq_version", version()},
          {"command_line", o.command_line},
          {"seed", o.source.seed},
          {"calibration_samples", r.calibration_samples},
          {"held_out_samples", r.verification ? r.verification->samples : 0},
          {"bias_correction", o.bias_correction},
          {"onnx_path", o.onnx_path.string()},
          {"output_path", r.output_path.string()},
          {"target", target_name(r.plan.target)},
          {"yolo_head", yolo_head_name(r.plan.yolo_head)},
          {"head", r.plan.head},
          {"rewrites", to_json(r.plan).value("rewrites", nlohmann::json::array())},
          {"activation_type", activation_type_name(r.plan.activation_type)},
          {"calibration_method", r.ranges.method},
          {"percentile", o.calibration.percentile},
          {"calibration_data", r.calibration_source},
          {"ranges_from_cache", r.ranges_from_cache},
          {"plan_file", o.plan_file ? o.plan_file->string() : ""},
          {"weights", o.write.weights_qdq ? "float behind Q/DQ" : "INT8 initializers (dq_only)"}};
}

nlohmann::json summary_json(const QuantizeResult& r) {
  return {{"quantize_linear", r.quantize_linear},
          {"dequantize_linear", r.dequantize_linear},
          {"weighted_nodes", r.weighted_ops.total},
          {"weighted_nodes_quantized", r.weighted_ops.quantized},
          {"activations", r.plan.activations.size()},
          {"weights", r.plan.weights.size()},
          {"scale_groups", r.plan.scale_groups.size()},
          {"float_nodes", r.plan.float_nodes.size()}};
}

nlohmann::json fallback_json(const QuantizeResult& r) {
  if (!r.fallback) return nullptr;
  const auto& f = *r.fallback;
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : f.steps)
    steps.push_back({{"node", s.node},
                     {"op_type", s.op_type},
                     {"metric", s.metric},
                     {"drop", f.float_value - s.metric},
                     {"class_score_snr_db", s.class_score_snr_db ? nlohmann::json(*s.class_score_snr_db) : nullptr}});
  return {{"metric", f.metric_name},        {"max_drop", f.max_drop},       {"samples", f.samples},
          {"float", f.float_value},         {"initial", f.initial_value},   {"final", f.final_value},
          {"initial_drop", f.initial_drop()}, {"final_drop", f.final_drop()}, {"reached", f.reached},
          {"trials", f.trials},             {"weighted_ops", f.weighted_ops}, {"stop_reason", f.stop_reason},
          {"steered_by", f.steered_by},
          {"steps", steps},                 {"plan_path", r.plan_path.string()}};
}

std::string markdown_fallback(const QuantizeResult& r) {
  if (!r.fallback) return "";
  const auto& f = *r.fallback;
  std::ostringstream m;
  m << "### Accuracy fallback\n\n" << f.metric_name << " on " << f.samples << " held-out samples: drop "
    << fmt("%.2f", f.initial_drop()) << " points with the rules' plan, " << fmt("%.2f", f.final_drop())
    << " after returning " << f.steps.size() << " of " << f.weighted_ops << " weighted ops to float (--max_drop "
    << fmt("%g", f.max_drop) << "; " << f.trials << " candidates tried, each kept if it raised the " << f.steered_by
    << "; " << f.stop_reason
    << "). The same samples verify the model below, so its held-out figures are not independent of this "
       "choice. Plan: `" << r.plan_path.string() << "`.\n\n";
  if (!f.steps.empty()) {
    m << "| step | node returned to float | op | drop after |\n| ---: | --- | --- | ---: |\n";
    for (std::size_t i = 0; i < f.steps.size(); ++i)
      m << "| " << i + 1 << " | " << f.steps[i].node << " | " << f.steps[i].op_type << " | "
        << fmt("%.2f", f.float_value - f.steps[i].metric) << " |\n";
  }
  return m.str();
}

nlohmann::json worst_tensor_json(const TensorQuantizationError& t, const ValueHistogram& histogram) {
  return {{"tensor", t.tensor},
          {"relative_mse", t.estimate.relative_mse},
          {"clipped_fraction", t.estimate.clipped_fraction},
          {"scale", t.scale},
          {"zero_point", t.zero_point},
          {"clip_low", t.clip_low},
          {"clip_high", t.clip_high},
          {"threshold", t.threshold},
          {"abs_max", t.abs_max},
          {"histogram", {{"upper", histogram.upper}, {"counts", histogram.counts}}}};
}

// Everything between the verdict and the worst-quantized activations: settings, plan counts, the
// nodes kept in high precision, and every activation's range and scale.
std::string markdown_settings_and_plan(const QuantizeResult& r, const QuantizeOptions& o) {
  std::ostringstream m;
  m << "## Settings\n\n| setting | value |\n| --- | --- |\n";
  const auto settings = settings_json(r, o);
  for (const auto& [k, v] : settings.items())
    m << "| " << k << " | " << (v.is_string() ? v.get<std::string>() : v.dump()) << " |\n";
  m << "\n## Plan\n\n| what | count |\n| --- | ---: |\n";
  const auto summary = summary_json(r);
  for (const auto& [what, count] : summary.items()) m << "| " << what << " | " << count.dump() << " |\n";
  m << "\n### Kept in high precision\n\n| node | op | rule |\n| --- | --- | --- |\n";
  for (const auto& f : r.plan.float_nodes) m << "| " << f.node << " | " << f.op_type << " | " << f.rule << " |\n";
  if (r.fallback) m << "\n" << markdown_fallback(r);
  m << "\n### Activation ranges and scales\n\n| tensor | min | max | amax (" << r.ranges.method
    << ") | scale | zero point | rule |\n| --- | ---: | ---: | ---: | ---: | ---: | --- |\n";
  const auto qparams = activation_qparams(r.plan, r.ranges);
  m << std::setprecision(6);
  for (const auto& a : r.plan.activations) {
    const auto& range = r.ranges.tensors.at(a.tensor);
    const auto& q = qparams.at(a.tensor);
    const auto chosen = r.ranges.chosen.find(a.tensor);
    m << "| " << a.tensor << " | " << range.min << " | " << range.max << " | " << range.amax
      << (chosen != r.ranges.chosen.end() ? " (" + chosen->second + ")" : "") << " | " << q.scale << " | "
      << q.zero_point << " | " << a.rule << " |\n";
  }
  return m.str();
}

std::string markdown_worst_tensors(const std::vector<TensorQuantizationError>& worst) {
  std::ostringstream m;
  m << "### Worst-quantized activations\n\n";
  if (worst.empty()) {
    m << "None to show: no quantized activation has a calibration histogram (the max method and calibration "
         "caches keep none; graph inputs and probabilities need none).\n";
    return m.str();
  }
  m << "The activations that lose most to their scale, estimated from their calibration histograms of |x|: "
       "relative MSE = (clipping error (|x| - threshold)^2 beyond the dequantized range + rounding error "
       "scale^2 / 12 within it) / mean of x^2. The HTML report draws their histograms against the thresholds.\n\n"
       "| tensor | relative MSE | SQNR dB | values clipped | dequantized range | max abs | scale |\n"
       "| --- | ---: | ---: | ---: | --- | ---: | ---: |\n";
  for (const auto& t : worst) {
    const double mse = t.estimate.relative_mse;
    const std::string sqnr_db = mse > 0 ? fmt("%.1f", -10 * std::log10(mse)) : "inf";
    m << "| " << t.tensor << " | " << fmt("%.3g", mse) << " | " << sqnr_db << " | "
      << fmt("%.3g", 100 * t.estimate.clipped_fraction) << "% | [" << fmt("%.4g", t.clip_low) << ", "
      << fmt("%.4g", t.clip_high) << "] | " << fmt("%.4g", t.abs_max) << " | " << fmt("%.4g", t.scale) << " |\n";
  }
  return m.str();
}

}  // namespace

nlohmann::json to_json(const QuantizeResult& r, const QuantizeOptions& o) {
  nlohmann::json j;
  j["settings"] = settings_json(r, o);
  j["summary"] = summary_json(r);
  j["plan"] = to_json(r.plan);
  const auto qparams = activation_qparams(r.plan, r.ranges);
  j["ranges"] = nlohmann::json::object();
  for (const auto& [tensor, range] : r.ranges.tensors) {
    nlohmann::json e{{"min", range.min}, {"max", range.max}, {"amax", range.amax}};
    if (auto m = r.ranges.chosen.find(tensor); m != r.ranges.chosen.end()) e["method"] = m->second;
    if (auto it = qparams.find(tensor); it != qparams.end()) {
      e["scale"] = it->second.scale;
      e["zero_point"] = it->second.zero_point;
    }
    j["ranges"][tensor] = e;
  }
  if (!r.ranges.chosen.empty()) j["calibration_methods"] = chosen_method_counts(r.ranges);
  j["worst_quantized"] = nlohmann::json::array();
  for (const auto& t : worst_quantized_tensors(r.plan, r.ranges, kWorstTensors))
    j["worst_quantized"].push_back(worst_tensor_json(t, r.ranges.histograms.at(t.tensor)));
  const auto& t = r.times;
  j["times_s"] = {{"load", t.load_s},   {"plan", t.plan_s}, {"calibrate", t.calibrate_s}, {"select", t.select_s}, {"tune", t.tune_s},
                  {"write", t.write_s}, {"save", t.save_s}, {"verify", t.verify_s}};
  j["fallback"] = fallback_json(r);
  j["bias_shifts"] = nlohmann::json::object();
  for (const auto& b : r.bias_shifts) j["bias_shifts"][b.node] = b.shift;
  j["calibration_files"] = r.calibration_files;
  j["verification"] = r.verification ? to_json(*r.verification) : nlohmann::json(nullptr);
  j["verdict"] = to_json(r.verdict);
  return j;
}

std::string markdown_report(const QuantizeResult& r, const QuantizeOptions& o) {
  std::ostringstream m;
  m << "# " << kTitle << "\n\n**" << verdict_line(r.verdict) << "**\n\n" << markdown_settings_and_plan(r, o) << "\n"
    << markdown_worst_tensors(worst_quantized_tensors(r.plan, r.ranges, kWorstTensors));
  if (r.verification) m << "\n" << markdown_report(*r.verification);
  return m.str();
}

std::string html_report(const QuantizeResult& r, const QuantizeOptions& o) {
  std::string level = verdict_name(r.verdict.level);
  std::transform(level.begin(), level.end(), level.begin(), [](unsigned char c) { return std::tolower(c); });
  std::ostringstream body;
  body << "<h1>" << kTitle << "</h1>\n<p class=\"verdict " << level << "\"><strong>"
       << html_escape(verdict_line(r.verdict)) << "</strong></p>\n"
       << markdown_to_html(markdown_settings_and_plan(r, o));
  const auto worst = worst_quantized_tensors(r.plan, r.ranges, kWorstTensors);
  body << markdown_to_html(markdown_worst_tensors(worst));
  if (!worst.empty()) {
    body << "<div class=\"histograms\">\n";
    for (const auto& t : worst) body << range_histogram_svg(t, r.ranges.histograms.at(t.tensor));
    body << "</div>\n";
  }
  if (r.verification) body << markdown_to_html(markdown_report(*r.verification));
  return html_page(kTitle, body.str());
}

}  // namespace yoloq
