#include "yoloq/verify/verdict.hpp"

#include <cmath>
#include <cstdio>

#include "yoloq/verify/verify.hpp"

namespace yoloq {

namespace {

std::string number(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

std::string drop_interval_text(const DetectionReport& d) {
  return number("%.0f", 100 * d.drop_interval_coco.level) + "% interval " + number("%.2f", d.drop_interval_coco.low) +
         " to " + number("%.2f", d.drop_interval_coco.high);
}

// The drop is above --max_drop, but resampling the images reaches below it: one box more or
// less on a few images moves mAP50-95 by a point or more (docs/verdict.md).
bool drop_unresolved(const DetectionReport& d, const VerdictThresholds& t) {
  return d.drop_points_coco > t.max_drop && d.drop_interval_coco.resamples > 0 && d.drop_interval_coco.low <= t.max_drop;
}

// Every threshold check on a result; `failed` collects what is below its threshold.
std::vector<std::string> checks(const VerifyResult& r, const VerdictThresholds& t, std::vector<std::string>& failed) {
  std::vector<std::string> passed;
  auto check = [&](bool ok, const std::string& text_ok, const std::string& text_bad) {
    (ok ? passed : failed).push_back(ok ? text_ok : text_bad);
  };
  for (const auto& n : r.numerics) {
    if (!n.detect_output) continue;
    // An end-to-end output's rows do not correspond, so it has no SNR: agreement judges it.
    if (!n.end_to_end)
      check(!(n.class_score_snr_db < t.min_class_score_snr_db),
            "class-score SNR " + number("%.1f", n.class_score_snr_db) + " dB >= " +
                number("%g", t.min_class_score_snr_db) + " dB",
            "class-score SNR " + number("%.1f", n.class_score_snr_db) + " dB < " +
                number("%g", t.min_class_score_snr_db) + " dB");
    const double ratio = n.distinct_class_scores_float
                             ? double(n.distinct_class_scores_quant) / double(n.distinct_class_scores_float)
                             : 1.0;
    check(ratio >= t.min_distinct_ratio, "",
          "class scores collapsed to " + std::to_string(n.distinct_class_scores_quant) + " distinct values (float " +
              std::to_string(n.distinct_class_scores_float) + ")");
  }
  const auto& d = r.detections;
  const bool few_objects = d.reference_objects < t.min_reference_objects;
  const bool agreement_low = d.agreement.map50_95 < t.min_agreement;
  if (d.evaluated && d.images >= t.min_samples && d.reference_objects > 0 && !(few_objects && agreement_low))
    check(!agreement_low,
          "agreement " + number("%.3f", d.agreement.map50_95) + " >= " + number("%.2f", t.min_agreement),
          "agreement " + number("%.3f", d.agreement.map50_95) + " < " + number("%.2f", t.min_agreement));
  // A classify model's top-1 agreement is judged against the same threshold as a detect model's mAP.
  if (r.classification && r.classification->images >= t.min_samples)
    check(r.classification->top1 >= t.min_agreement,
          "top-1 agreement " + number("%.3f", r.classification->top1) + " >= " + number("%.2f", t.min_agreement),
          "top-1 agreement " + number("%.3f", r.classification->top1) + " < " + number("%.2f", t.min_agreement));
  // A drop above the bound that these images do not resolve (their interval reaches below it) is
  // a caveat in judge(), not a failure.
  if (d.with_labels && d.images >= t.min_samples && !drop_unresolved(d, t))
    check(d.drop_points_coco <= t.max_drop,
          "mAP drop " + number("%.2f", d.drop_points_coco) + " <= " + number("%g", t.max_drop) + " points",
          "mAP drop " + number("%.2f", d.drop_points_coco) + " > " + number("%g", t.max_drop) + " points");
  std::erase(passed, std::string());
  return passed;
}

}  // namespace

Verdict judge(const VerifyResult& r, const VerdictThresholds& t, bool real_data, bool held_out) {
  Verdict v;
  v.thresholds = t;
  std::vector<std::string> failed;
  const auto passed = checks(r, t, failed);
  if (!failed.empty()) {
    v.level = VerdictLevel::Fail;
    v.reasons = failed;
    return v;
  }
  std::vector<std::string> caveats;
  if (!real_data)
    caveats.push_back("not validated on real data (random inputs); verify on images: yoloq verify FLOAT QUANT --data IMAGES_DIR");
  if (real_data && !held_out)
    caveats.push_back("checked on the calibration samples themselves (none were left to hold out)");
  if (real_data && held_out && r.calibration_samples_seen > 0)
    caveats.push_back(std::to_string(r.calibration_samples_seen) + " of the " + std::to_string(r.samples) +
                      " samples are ones the model was calibrated on; verify on data it has not seen");
  const auto& d = r.detections;
  if (real_data && d.evaluated && d.images < t.min_samples)
    caveats.push_back("too few held-out samples (" + std::to_string(d.images) + " < " +
                      std::to_string(t.min_samples) + ") to judge detections");
  if (real_data && r.classification && r.classification->images < t.min_samples)
    caveats.push_back("too few held-out samples (" + std::to_string(r.classification->images) + " < " +
                      std::to_string(t.min_samples) + ") to judge the classification");
  if (real_data && !d.evaluated && !r.classification) caveats.push_back("detections not checked (" + d.note + ")");
  if (real_data && d.evaluated && d.images >= t.min_samples && d.reference_objects == 0)
    caveats.push_back("the float model detects nothing on the held-out samples: no agreement to judge");
  if (real_data && d.evaluated && d.images >= t.min_samples && d.reference_objects > 0 &&
      d.reference_objects < t.min_reference_objects && d.agreement.map50_95 < t.min_agreement)
    caveats.push_back("agreement " + number("%.3f", d.agreement.map50_95) + " < " + number("%.2f", t.min_agreement) +
                      " on only " + std::to_string(d.reference_objects) + " float detections (fewer than " +
                      std::to_string(t.min_reference_objects) + " are too few to fail on); verify on more images");
  if (real_data && d.with_labels && d.images >= t.min_samples && drop_unresolved(d, t))
    caveats.push_back("mAP drop " + number("%.2f", d.drop_points_coco) + " > " + number("%g", t.max_drop) +
                      " points, but " + std::to_string(d.images) + " images do not resolve it (" +
                      drop_interval_text(d) + "); verify on more labelled images");
  v.level = caveats.empty() ? VerdictLevel::Pass : VerdictLevel::Warn;
  v.reasons = caveats.empty() ? passed : caveats;
  return v;
}

Verdict unverified_verdict(const VerdictThresholds& t) {
  return {VerdictLevel::Warn, {"not verified (--no_verify)"}, t};
}

std::string verdict_name(VerdictLevel level) {
  switch (level) {
    case VerdictLevel::Pass: return "PASS";
    case VerdictLevel::Warn: return "WARN";
    case VerdictLevel::Fail: return "FAIL";
  }
  return "?";
}

std::string verdict_line(const Verdict& v) {
  std::string line = verdict_name(v.level) + ":";
  for (std::size_t i = 0; i < v.reasons.size(); ++i) line += (i ? "; " : " ") + v.reasons[i];
  return line;
}

nlohmann::json to_json(const Verdict& v) {
  const auto& t = v.thresholds;
  return {{"level", verdict_name(v.level)},
          {"reasons", v.reasons},
          {"thresholds",
           {{"min_agreement", t.min_agreement},
            {"min_class_score_snr_db", t.min_class_score_snr_db},
            {"min_distinct_ratio", t.min_distinct_ratio},
            {"max_drop", t.max_drop},
            {"min_samples", t.min_samples},
            {"min_reference_objects", t.min_reference_objects}}}};
}

}  // namespace yoloq
