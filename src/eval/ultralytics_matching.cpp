#include "eval/ultralytics_matching.hpp"

#include <algorithm>

namespace yoloq {

std::vector<float> float_iou_thresholds() {
  std::vector<float> thresholds;
  for (double t : iou_thresholds()) thresholds.push_back(static_cast<float>(t));
  return thresholds;
}

std::vector<ThresholdHits> match_predictions(const std::vector<float>& ious, std::size_t labels,
                                             std::size_t detections, const std::vector<float>& thresholds) {
  std::vector<ThresholdHits> correct(detections, ThresholdHits{});
  if (labels == 0 || detections == 0) return correct;
  struct Pair {
    std::size_t gt, det;
    float iou;
  };
  for (std::size_t t = 0; t < thresholds.size(); ++t) {
    std::vector<Pair> pairs;
    for (std::size_t g = 0; g < labels; ++g)
      for (std::size_t d = 0; d < detections; ++d)
        if (ious[g * detections + d] >= thresholds[t]) pairs.push_back({g, d, ious[g * detections + d]});
    std::stable_sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.iou > b.iou; });
    std::vector<bool> det_taken(detections, false);
    std::vector<Pair> best_per_det;
    for (const auto& p : pairs)
      if (!det_taken[p.det]) det_taken[p.det] = true, best_per_det.push_back(p);
    std::sort(best_per_det.begin(), best_per_det.end(), [](const Pair& a, const Pair& b) { return a.det < b.det; });
    std::vector<bool> gt_taken(labels, false);
    for (const auto& p : best_per_det)
      if (!gt_taken[p.gt]) gt_taken[p.gt] = true, correct[p.det][t] = true;
  }
  return correct;
}

void MatchedDataset::sort_by_score() {
  std::stable_sort(detections.begin(), detections.end(),
                   [](const MatchedDetection& a, const MatchedDetection& b) { return a.score > b.score; });
}

ClassCurves class_curves(const MatchedDataset& dataset, int class_id) {
  const auto counted = dataset.classes.find(class_id);
  const double instances = counted == dataset.classes.end() ? 0.0 : static_cast<double>(counted->second.instances);
  ClassCurves curves;
  std::array<double, kIouThresholdCount> tp_sum{}, fp_sum{};
  for (const auto& s : dataset.detections) {
    if (s.class_id != class_id) continue;
    curves.neg_scores.push_back(-static_cast<double>(s.score));
    for (std::size_t t = 0; t < kIouThresholdCount; ++t) {
      (s.correct[t] ? tp_sum[t] : fp_sum[t]) += 1;
      curves.recall[t].push_back(tp_sum[t] / (instances + 1e-16));
      curves.precision[t].push_back(tp_sum[t] / (tp_sum[t] + fp_sum[t]));
    }
  }
  return curves;
}

ClassAp class_ap(const ClassCurves& curves, ApMetric integral) {
  ClassAp result;
  if (curves.neg_scores.empty()) return result;
  double sum = 0;
  for (std::size_t t = 0; t < kIouThresholdCount; ++t) {
    const double ap = integral == ApMetric::Coco ? coco_ap(curves.recall[t], curves.precision[t])
                                                 : ultralytics_ap(curves.recall[t], curves.precision[t]);
    if (t == 0) result.ap50 = ap;
    sum += ap;
  }
  result.ap50_95 = sum / kIouThresholdCount;
  return result;
}

}  // namespace yoloq
