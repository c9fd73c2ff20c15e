#pragma once
// The conclusion of a verification: PASS, WARN or FAIL, and why, from thresholds that are
// documented, printed and settable. The defaults were chosen on the shared YOLO11n and 64
// coco128 images (docs/verdict.md): every sound model passes them, and every model that loses
// more than 2 mAP points against the labels fails at least one.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>


namespace yoloq {

struct VerifyResult;

struct VerdictThresholds {
  double min_agreement = 0.90;          // agreement mAP50-95 with the float model's detections
  double min_class_score_snr_db = 8.0;  // SNR of the class-score channels
  double min_distinct_ratio = 0.10;     // distinct INT8 class scores / the float model's
  double max_drop = 2.0;                // mAP50-95 points lost against labels (COCO-style)
  std::size_t min_samples = 10;         // below this, detections are too few to judge
  // Below this many float detections one box moves the agreement by several hundredths, so an
  // agreement under min_agreement is a caveat (WARN), not a failure: measured on YOLO11n-pose,
  // 16 persons in the held-out eighth gave 0.881 while on all 254 labelled persons of coco128
  // the same INT8 model scored 0.434 mAP50-95 against the float model's 0.432.
  std::size_t min_reference_objects = 30;
};

enum class VerdictLevel { Pass, Warn, Fail };

struct Verdict {
  VerdictLevel level = VerdictLevel::Pass;
  std::vector<std::string> reasons;  // every failed check (FAIL), else every caveat (WARN), else what passed
  VerdictThresholds thresholds;
};

// `real_data`: the samples are real inputs (images or the user's tensors), not random ones, which
// say nothing of accuracy. `held_out`: they were not calibrated on.
Verdict judge(const VerifyResult& result, const VerdictThresholds& thresholds, bool real_data, bool held_out = true);
// A model written without verification (--no_verify).
Verdict unverified_verdict(const VerdictThresholds& thresholds);

std::string verdict_name(VerdictLevel level);  // "PASS", "WARN", "FAIL"
std::string verdict_line(const Verdict& verdict);  // "FAIL: agreement 0.799 < 0.90; ..."
nlohmann::json to_json(const Verdict& verdict);

}  // namespace yoloq
