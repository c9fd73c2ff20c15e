// The machine-readable and the terminal forms of a VerifyResult.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "yoloq/verify/report.hpp"
#include "yoloq/verify/verify.hpp"

namespace yoloq {

namespace {

nlohmann::json map_json(const MapPair& m) { return {{"map50_95", m.map50_95}, {"map50", m.map50}}; }

// JSON has no infinity: identical outputs (infinite SNR) become null.
nlohmann::json finite_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

std::string db_text(double v) {
  if (std::isinf(v)) return v > 0 ? "inf (identical)" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f dB", v);
  return buf;
}

}  // namespace

nlohmann::json to_json(const VerifyResult& r) {
  nlohmann::json j;
  j["float_model"] = r.float_model.string();
  j["quant_model"] = r.quant_model.string();
  j["data"] = r.data_description;
  j["samples"] = r.samples;
  j["calibration_samples_seen"] = r.calibration_samples_seen;

  const auto& s = r.structure;
  auto& st = j["structure"];
  st["loads_in_onnxruntime"] = true;  // verify_models throws otherwise
  st["interface_matches"] = s.interface_differences.empty();
  st["interface_differences"] = s.interface_differences;
  st["quantize_linear"] = s.quantize_linear;
  st["dequantize_linear"] = s.dequantize_linear;
  st["dequantized_inputs_by_op"] = s.dequantized_inputs_by_op;
  st["weighted_ops"] = nlohmann::json::object();
  for (const auto& [op, c] : s.weighted_ops)
    st["weighted_ops"][op] = {{"total", c.total}, {"quantized", c.quantized}};
  st["weight_bytes"] = {{"int8", s.int8_weight_bytes},
                        {"float", s.float_weight_bytes},
                        {"float_model", s.float_model_weight_bytes}};

  j["numerics"] = nlohmann::json::array();
  for (const auto& n : r.numerics) {
    nlohmann::json o{{"output", n.name},
                     {"shape", n.shape},
                     {"cosine", finite_or_null(n.cosine)},
                     {"snr_db", finite_or_null(n.snr_db)},
                     {"max_abs_error", finite_or_null(n.max_abs_error)},
                     {"detect_output", n.detect_output},
                     {"end_to_end", n.end_to_end}};
    if (n.detect_output) {
      o["class_score_snr_db"] = finite_or_null(n.class_score_snr_db);
      o["box_snr_db"] = finite_or_null(n.box_snr_db);
      if (!n.task_channels.empty()) o["task_channels"] = {{"name", n.task_channels}, {"snr_db", finite_or_null(n.task_channels_snr_db)}};
      o["distinct_class_scores"] = {{"float", n.distinct_class_scores_float},
                                    {"quant", n.distinct_class_scores_quant}};
    }
    j["numerics"].push_back(o);
  }

  const auto& d = r.detections;
  auto& dj = j["detections"];
  dj["evaluated"] = d.evaluated;
  dj["note"] = d.note;
  if (d.evaluated) {
    dj["images"] = d.images;
    dj["agreement"] = map_json(d.agreement);
    if (d.mask_agreement) dj["mask_agreement"] = map_json(*d.mask_agreement);
    if (d.keypoint_agreement) dj["keypoint_agreement"] = map_json(*d.keypoint_agreement);
    dj["reference_objects"] = d.reference_objects;
    dj["with_labels"] = d.with_labels;
    if (d.with_labels) {
      dj["labelled_objects"] = d.labelled_objects;
      dj["coco"] = {{"float", map_json(d.float_coco)},
                    {"quant", map_json(d.quant_coco)},
                    {"drop_points", d.drop_points_coco},
                    {"drop_interval_points",
                     {{"low", d.drop_interval_coco.low},
                      {"high", d.drop_interval_coco.high},
                      {"level", d.drop_interval_coco.level},
                      {"resamples", d.drop_interval_coco.resamples}}}};
      dj["ultralytics"] = {{"float", map_json(d.float_ultralytics)},
                           {"quant", map_json(d.quant_ultralytics)},
                           {"drop_points", d.drop_points_ultralytics}};
    }
  }
  if (r.classification)
    j["classification"] = {{"top1_agreement", r.classification->top1},
                           {"top5_overlap", r.classification->top5_overlap},
                           {"images", r.classification->images}};
  j["speed"] = {{"runs", r.speed.runs},
                {"float_median_ms", r.speed.float_median_ms},
                {"quant_median_ms", r.speed.quant_median_ms},
                {"speedup", r.speed.speedup},
                {"cpu", r.speed.cpu},
                {"threads", r.speed.threads},
                {"note", r.speed.note}};
  j["verdict"] = to_json(r.verdict);
  return j;
}

std::string summary_text(const VerifyResult& r) {
  std::ostringstream out;
  char line[512];
  const auto& s = r.structure;
  out << "verify: " << r.quant_model.string() << " against " << r.float_model.string() << " on "
      << r.data_description << "\n";
  if (r.calibration_samples_seen > 0)
    out << "  data: " << r.calibration_samples_seen << " of the " << r.samples
        << " samples are ones the model was calibrated on (their values match the fingerprints it records)\n";
  std::size_t weighted = 0, quantized = 0;
  for (const auto& [op, c] : s.weighted_ops) weighted += c.total, quantized += c.quantized;
  std::snprintf(
      line, sizeof line,
      "  structure: loads in ONNX Runtime; interface %s; %zu QuantizeLinear, %zu DequantizeLinear; "
      "%zu/%zu Conv/Gemm/MatMul quantized; weights %.2f MB INT8 + %.2f MB float (float model %.2f "
      "MB)\n",
      s.interface_differences.empty() ? "unchanged" : "CHANGED", s.quantize_linear,
      s.dequantize_linear, quantized, weighted, s.int8_weight_bytes / 1e6,
      s.float_weight_bytes / 1e6, s.float_model_weight_bytes / 1e6);
  out << line;
  for (const auto& d : s.interface_differences) out << "    differs: " << d << "\n";
  for (const auto& n : r.numerics) {
    if (n.end_to_end) {
      out << "  numerics " << n.name << ": end-to-end detections, ranked rows (compared as detections below, not "
          << "element by element); distinct scores " << n.distinct_class_scores_quant << " (float "
          << n.distinct_class_scores_float << ")\n";
      continue;
    }
    std::snprintf(line, sizeof line, "  numerics %s: cosine %.6f, SNR %s, max abs error %.4g",
                  n.name.c_str(), n.cosine, db_text(n.snr_db).c_str(), n.max_abs_error);
    out << line;
    if (n.detect_output) {
      out << "; boxes SNR " << db_text(n.box_snr_db) << "; class scores SNR " << db_text(n.class_score_snr_db)
          << ", distinct values " << n.distinct_class_scores_quant << " (float " << n.distinct_class_scores_float << ")";
      if (!n.task_channels.empty()) out << "; " << n.task_channels << " SNR " << db_text(n.task_channels_snr_db);
    }
    out << "\n";
  }
  const auto& d = r.detections;
  if (r.classification) {
    std::snprintf(line, sizeof line,
                  "  classification: agreement with float top-1 %.3f, top-5 overlap %.3f (%zu images)\n",
                  r.classification->top1, r.classification->top5_overlap, r.classification->images);
    out << line;
  } else if (!d.evaluated) {
    out << "  detections: " << d.note << "\n";
  } else if (d.reference_objects == 0) {
    out << "  detections: the float model finds nothing at score >= 0.25 on these " << d.images
        << " inputs, so there is no agreement to score\n";
  } else {
    std::snprintf(line, sizeof line,
                  "  detections: agreement with float mAP50-95 %.3f, mAP50 %.3f (%zu images, %zu float detections)\n",
                  d.agreement.map50_95, d.agreement.map50, d.images, d.reference_objects);
    out << line;
    for (const auto& [what, pair] : {std::pair{"masks", d.mask_agreement}, std::pair{"keypoints (OKS)", d.keypoint_agreement}})
      if (pair) {
        std::snprintf(line, sizeof line, "  %s: agreement with float mAP50-95 %.3f, mAP50 %.3f\n", what,
                      pair->map50_95, pair->map50);
        out << line;
      }
    if (d.with_labels) {
      std::snprintf(
          line, sizeof line,
          "  labels (%zu objects): COCO mAP50-95 float %.3f, INT8 %.3f, drop %.2f points (%.0f%% interval %.2f to "
          "%.2f over these %zu images); Ultralytics float %.3f, INT8 %.3f, drop %.2f points\n",
          d.labelled_objects, d.float_coco.map50_95, d.quant_coco.map50_95, d.drop_points_coco,
          100 * d.drop_interval_coco.level, d.drop_interval_coco.low, d.drop_interval_coco.high, d.images,
          d.float_ultralytics.map50_95, d.quant_ultralytics.map50_95, d.drop_points_ultralytics);
      out << line;
    }
  }
  if (r.speed.runs > 0) {
    std::snprintf(line, sizeof line,
                  "  speed (ONNX Runtime CPU: %s; %s; median of %d alternating runs): float %.1f ms, INT8 %.1f ms, %.2fx\n",
                  r.speed.cpu.c_str(), r.speed.threads.c_str(), r.speed.runs, r.speed.float_median_ms, r.speed.quant_median_ms, r.speed.speedup);
    out << line;
  } else if (!r.speed.note.empty()) {
    out << "  speed: " << r.speed.note << "\n";
  }
  return out.str();
}

}  // namespace yoloq
