// The report of `yoloq quantize --report`: what was asked, what was decided and why, the ranges
// and scales written, and the verification, as JSON and as Markdown.
#include <iomanip>
#include <sstream>

#include "yoloq/pipeline/quantize.hpp"
#include "yoloq/pipeline/report.hpp"
#include "yoloq/support/version.hpp"
#include "yoloq/verify/report.hpp"

namespace yoloq {

std::string summary_text(const QuantizeResult& r) {
  std::ostringstream o;
  o << "wrote " << r.output_path.string() << "\n";
  o << "  target " << target_name(r.plan.target) << ", yolo head " << yolo_head_name(r.plan.yolo_head) << ", calibration "
    << r.ranges.method << " on " << r.calibration_source << "\n";
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
  o.setf(std::ios::fixed);
  o.precision(2);
  const auto& t = r.times;
  o << "  time: " << t.load_s + t.plan_s + t.calibrate_s + t.write_s + t.save_s + t.verify_s << " s (calibration "
    << t.calibrate_s << " s" << (r.ranges_from_cache ? ", from cache" : "") << ", write " << t.write_s + t.save_s
    << " s, verify " << t.verify_s << " s)\n";
  if (r.verification) o << summary_text(*r.verification);
  return o.str();
}


namespace {

nlohmann::json settings_json(const QuantizeResult& r, const QuantizeOptions& o) {
  return {{"yoloq_version", version()},
          {"command_line", o.command_line},
          {"seed", o.source.seed},
          {"calibration_samples", r.calibration_samples},
          {"held_out_samples", r.verification ? r.verification->samples : 0},
          {"onnx_path", o.onnx_path.string()},
          {"output_path", r.output_path.string()},
          {"target", target_name(r.plan.target)},
          {"yolo_head", yolo_head_name(r.plan.yolo_head)},
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
    if (auto it = qparams.find(tensor); it != qparams.end()) {
      e["scale"] = it->second.scale;
      e["zero_point"] = it->second.zero_point;
    }
    j["ranges"][tensor] = e;
  }
  const auto& t = r.times;
  j["times_s"] = {{"load", t.load_s}, {"plan", t.plan_s}, {"calibrate", t.calibrate_s},
                  {"write", t.write_s}, {"save", t.save_s}, {"verify", t.verify_s}};
  j["verification"] = r.verification ? to_json(*r.verification) : nlohmann::json(nullptr);
  j["verdict"] = to_json(r.verdict);
  return j;
}

std::string markdown_report(const QuantizeResult& r, const QuantizeOptions& o) {
  std::ostringstream m;
  m << "# yoloq quantization report\n\n**" << verdict_line(r.verdict) << "**\n\n## Settings\n\n| setting | value |\n| --- | --- |\n";
  const auto settings = settings_json(r, o);
  for (const auto& [k, v] : settings.items())
    m << "| " << k << " | " << (v.is_string() ? v.get<std::string>() : v.dump()) << " |\n";
  m << "\n## Plan\n\n| what | count |\n| --- | ---: |\n";
  const auto summary = summary_json(r);
  for (const auto& [what, count] : summary.items()) m << "| " << what << " | " << count.dump() << " |\n";
  m << "\n### Kept in high precision\n\n| node | op | rule |\n| --- | --- | --- |\n";
  for (const auto& f : r.plan.float_nodes) m << "| " << f.node << " | " << f.op_type << " | " << f.rule << " |\n";
  m << "\n### Activation ranges and scales\n\n| tensor | min | max | amax (" << r.ranges.method
    << ") | scale | zero point | rule |\n| --- | ---: | ---: | ---: | ---: | ---: | --- |\n";
  const auto qparams = activation_qparams(r.plan, r.ranges);
  m << std::setprecision(6);
  for (const auto& a : r.plan.activations) {
    const auto& range = r.ranges.tensors.at(a.tensor);
    const auto& q = qparams.at(a.tensor);
    m << "| " << a.tensor << " | " << range.min << " | " << range.max << " | " << range.amax << " | " << q.scale << " | "
      << q.zero_point << " | " << a.rule << " |\n";
  }
  if (r.verification) m << "\n" << markdown_report(*r.verification);
  return m.str();
}

}  // namespace yoloq
