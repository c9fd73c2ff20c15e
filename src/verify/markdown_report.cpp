// The human-readable verification report: the same numbers as to_json, as Markdown tables.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "yoloq/verify/report.hpp"
#include "yoloq/verify/verify.hpp"

namespace yoloq {

namespace {

std::string fmt(const char* format, double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

}  // namespace

std::string markdown_report(const VerifyResult& r) {
  std::ostringstream md;
  md << "# yoloq verification report\n\n";
  md << "- float model: `" << r.float_model.string() << "`\n";
  md << "- quantized model: `" << r.quant_model.string() << "`\n";
  md << "- held-out data: " << r.data_description << "\n";
  md << "- verdict: **" << verdict_line(r.verdict) << "**\n\n";

  const auto& s = r.structure;
  md << "## Structure\n\n";
  md << "The quantized model loads in ONNX Runtime. Interface: "
     << (s.interface_differences.empty() ? "same input and output names, types and shapes.\n\n"
                                         : "**changed**:\n\n");
  for (const auto& d : s.interface_differences) md << "- " << d << "\n";
  if (!s.interface_differences.empty()) md << "\n";
  md << "| what | count |\n| --- | --- |\n";
  md << "| QuantizeLinear | " << s.quantize_linear << " |\n";
  md << "| DequantizeLinear | " << s.dequantize_linear << " |\n";
  for (const auto& [op, n] : s.dequantized_inputs_by_op)
    md << "| inputs of " << op << " fed by DequantizeLinear | " << n << " |\n";
  for (const auto& [op, c] : s.weighted_ops)
    md << "| " << op << " with quantized input and weight | " << c.quantized << " of " << c.total
       << " |\n";
  md << "| weight bytes INT8 / float (quantized model) | " << s.int8_weight_bytes << " / "
     << s.float_weight_bytes << " |\n";
  md << "| weight bytes (float model) | " << s.float_model_weight_bytes << " |\n\n";

  md << "## Numerics\n\nFloat vs quantized outputs over " << r.samples << " held-out samples.\n\n";
  md << "| output | shape | cosine | SNR dB | max abs error | box SNR dB | class-score SNR dB | distinct class "
        "scores INT8 (float) | task channels SNR dB |\n";
  md << "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
  for (const auto& n : r.numerics) {
    if (n.end_to_end) {  // ranked rows do not correspond: compared as detections
      md << "| " << n.name << " | " << shape_string(n.shape) << " | end-to-end rows | - | - | - | - | "
         << n.distinct_class_scores_quant << " (" << n.distinct_class_scores_float << ") | - |\n";
      continue;
    }
    md << "| " << n.name << " | " << shape_string(n.shape) << " | " << fmt("%.6f", n.cosine)
       << " | " << fmt("%.1f", n.snr_db) << " | " << fmt("%.4g", n.max_abs_error) << " | ";
    if (n.detect_output)
      md << fmt("%.1f", n.box_snr_db) << " | " << fmt("%.1f", n.class_score_snr_db) << " | "
         << n.distinct_class_scores_quant << " (" << n.distinct_class_scores_float << ") | "
         << (n.task_channels.empty() ? "-" : n.task_channels + " " + fmt("%.1f", n.task_channels_snr_db)) << " |\n";
    else
      md << "- | - | - | - |\n";
  }

  const auto& d = r.detections;
  if (r.classification)
    md << "\n## Classification\n\nINT8 against the float model on " << r.classification->images
       << " images: top-1 agreement " << fmt("%.3f", r.classification->top1) << ", top-5 overlap "
       << fmt("%.3f", r.classification->top5_overlap) << ".\n";
  md << "\n## Detections\n\n" << d.note << ".\n\n";
  if (d.evaluated) {
    md << "| measure | mAP50-95 | mAP50 |\n| --- | --- | --- |\n";
    md << "| INT8 vs float detections (" << d.images << " images) | "
       << fmt("%.3f", d.agreement.map50_95) << " | " << fmt("%.3f", d.agreement.map50) << " |\n";
    if (d.mask_agreement)
      md << "| INT8 vs float masks | " << fmt("%.3f", d.mask_agreement->map50_95) << " | "
         << fmt("%.3f", d.mask_agreement->map50) << " |\n";
    if (d.keypoint_agreement)
      md << "| INT8 vs float keypoints (OKS) | " << fmt("%.3f", d.keypoint_agreement->map50_95) << " | "
         << fmt("%.3f", d.keypoint_agreement->map50) << " |\n";
    if (d.with_labels) {
      md << "| float vs labels, COCO-style | " << fmt("%.3f", d.float_coco.map50_95) << " | "
         << fmt("%.3f", d.float_coco.map50) << " |\n";
      md << "| INT8 vs labels, COCO-style | " << fmt("%.3f", d.quant_coco.map50_95) << " | "
         << fmt("%.3f", d.quant_coco.map50) << " |\n";
      md << "| float vs labels, Ultralytics-style | " << fmt("%.3f", d.float_ultralytics.map50_95)
         << " | " << fmt("%.3f", d.float_ultralytics.map50) << " |\n";
      md << "| INT8 vs labels, Ultralytics-style | " << fmt("%.3f", d.quant_ultralytics.map50_95)
         << " | " << fmt("%.3f", d.quant_ultralytics.map50) << " |\n";
      md << "\nmAP50-95 drop: " << fmt("%.2f", d.drop_points_coco) << " points COCO-style, "
         << fmt("%.2f", d.drop_points_ultralytics) << " points Ultralytics-style ("
         << d.labelled_objects << " labelled objects). What these " << d.images
         << " images resolve: " << fmt("%.0f", 100 * d.drop_interval_coco.level) << "% of "
         << d.drop_interval_coco.resamples << " paired resamplings of them (the same images for both models) drop "
         << fmt("%.2f", d.drop_interval_coco.low) << " to " << fmt("%.2f", d.drop_interval_coco.high)
         << " points COCO-style.\n";
    }
  }
  md << "\n## Speed\n\n";
  if (r.speed.runs > 0)
    md << "ONNX Runtime CPU (" << r.speed.cpu << "; " << r.speed.threads << "), median of " << r.speed.runs << " alternating runs after warm-up: float "
       << fmt("%.1f", r.speed.float_median_ms) << " ms, INT8 "
       << fmt("%.1f", r.speed.quant_median_ms) << " ms (" << fmt("%.2f", r.speed.speedup)
       << "x).\n";
  else
    md << "Not measured" << (r.speed.note.empty() ? "" : ": " + r.speed.note) << ".\n";
  return md.str();
}

}  // namespace yoloq
