// The Ultralytics validator's metrics (DetectionValidator.match_predictions and
// metrics.ap_per_class), reimplemented from their definition. Ultralytics works in float32 torch
// tensors for IoU and thresholds, so the matching does too.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numeric>

#include "eval/ultralytics_matching.hpp"
#include "yoloq/eval/detection_metrics.hpp"
#include "yoloq/eval/keypoints.hpp"

namespace yoloq {

namespace {

float box_iou_float(const Box& a, const Box& b) {
  const float ax1 = static_cast<float>(a.x1), ay1 = static_cast<float>(a.y1),
              ax2 = static_cast<float>(a.x2), ay2 = static_cast<float>(a.y2);
  const float bx1 = static_cast<float>(b.x1), by1 = static_cast<float>(b.y1),
              bx2 = static_cast<float>(b.x2), by2 = static_cast<float>(b.y2);
  const float iw = std::max(0.0f, std::min(ax2, bx2) - std::max(ax1, bx1));
  const float ih = std::max(0.0f, std::min(ay2, by2) - std::max(ay1, by1));
  const float inter = iw * ih;
  return inter / ((ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter + 1e-7f);
}

float similarity_float(const GroundTruth& gt, const Detection& det, Similarity similarity) {
  switch (similarity) {
    case Similarity::Mask: return static_cast<float>(mask_iou(det.mask, gt.mask));
    case Similarity::Keypoints: return static_cast<float>(ultralytics_oks(det.keypoints, gt.keypoints, gt.box));
    case Similarity::Box: break;
  }
  return box_iou_float(gt.box, det.box);
}

// For each detection and threshold: is it a true positive?
std::vector<ThresholdHits> match_image(const ImageDetections& image, const std::vector<float>& thresholds,
                                       Similarity similarity) {
  const auto& gts = image.ground_truth;
  const auto& dets = image.detections;
  std::vector<float> ious(gts.size() * dets.size(), 0.0f);
  for (std::size_t g = 0; g < gts.size(); ++g)
    for (std::size_t d = 0; d < dets.size(); ++d)
      if (gts[g].class_id == dets[d].class_id)
        ious[g * dets.size() + d] = similarity_float(gts[g], dets[d], similarity);
  return match_predictions(ious, gts.size(), dets.size(), thresholds);
}

// Ultralytics' smooth(): box filter of 2 * 0.1 * n + 1 points (101 for 1000), ends padded with
// the end values.
std::vector<double> smooth(const std::vector<double>& y) {
  const std::size_t width =
      static_cast<std::size_t>(std::lround(static_cast<double>(y.size()) * 0.1 * 2)) / 2 + 1;
  const std::size_t half = width / 2;
  std::vector<double> padded(half, y.front());
  padded.insert(padded.end(), y.begin(), y.end());
  padded.insert(padded.end(), half, y.back());
  std::vector<double> out(y.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    double sum = 0;
    for (std::size_t k = 0; k < width; ++k)
      sum += padded[i + k] * (1.0 / static_cast<double>(width));
    out[i] = sum;
  }
  return out;
}

// One class's AP50 and AP50-95 (into `metrics`), and its precision and recall over `confidences`
// at IoU 0.5, as ap_per_class computes them.
std::pair<std::vector<double>, std::vector<double>> class_pr_curves(ClassMetrics& metrics,
                                                                    const MatchedDataset& dataset,
                                                                    const std::vector<double>& confidences) {
  const ClassCurves curves = class_curves(dataset, metrics.class_id);
  std::vector<double> p_curve(confidences.size(), 0.0), r_curve(confidences.size(), 0.0);
  if (curves.neg_scores.empty()) return {p_curve, r_curve};
  const auto& recall = curves.recall[0];
  const auto& precision = curves.precision[0];
  for (std::size_t i = 0; i < confidences.size(); ++i) {
    r_curve[i] = numpy_interp(-confidences[i], curves.neg_scores, recall, 0.0, recall.back());
    p_curve[i] = numpy_interp(-confidences[i], curves.neg_scores, precision, 1.0, precision.back());
  }
  const ClassAp ap = class_ap(curves, ApMetric::Ultralytics);
  metrics.ap50 = ap.ap50;
  metrics.ap50_95 = ap.ap50_95;
  return {p_curve, r_curve};
}

}  // namespace

DetectionMetrics ultralytics_metrics(const std::vector<ImageDetections>& images, Similarity similarity) {
  const std::vector<float> thresholds = float_iou_thresholds();

  DetectionMetrics result;
  result.metric = ApMetric::Ultralytics;
  result.images = images.size();
  MatchedDataset matched;
  for (const auto& image : images) matched.add_image(image, match_image(image, thresholds, similarity));
  matched.sort_by_score();
  result.instances = matched.instances;
  std::map<int, ClassMetrics> classes;  // present in the labels
  for (const auto& [cls, count] : matched.classes) {
    auto& c = classes[cls];
    c.class_id = cls;
    c.images = count.images;
    c.instances = count.instances;
  }

  constexpr std::size_t kCurvePoints = 1000;
  std::vector<double> confidences(kCurvePoints);
  for (std::size_t i = 0; i < kCurvePoints; ++i)
    confidences[i] = static_cast<double>(i) * (1.0 / 999.0);
  confidences.back() = 1.0;

  std::vector<std::vector<double>> precision_curves, recall_curves;  // per class, over confidence
  for (auto& [cls, metrics] : classes) {
    auto [p_curve, r_curve] = class_pr_curves(metrics, matched, confidences);
    precision_curves.push_back(std::move(p_curve));
    recall_curves.push_back(std::move(r_curve));
  }
  if (classes.empty()) return result;

  // The operating point: the confidence maximising the (smoothed) mean F1 over classes.
  std::vector<double> mean_f1(kCurvePoints, 0.0);
  for (std::size_t c = 0; c < precision_curves.size(); ++c)
    for (std::size_t i = 0; i < kCurvePoints; ++i) {
      const double p = precision_curves[c][i], r = recall_curves[c][i];
      mean_f1[i] += 2 * p * r / (p + r + 1e-16) / static_cast<double>(precision_curves.size());
    }
  const auto smoothed = smooth(mean_f1);
  const std::size_t best = static_cast<std::size_t>(
      std::max_element(smoothed.begin(), smoothed.end()) - smoothed.begin());

  std::size_t c = 0;
  for (auto& [cls, metrics] : classes) {
    metrics.precision = precision_curves[c][best];
    metrics.recall = recall_curves[c][best];
    ++c;
    result.precision += metrics.precision / static_cast<double>(classes.size());
    result.recall += metrics.recall / static_cast<double>(classes.size());
    result.map50 += metrics.ap50 / static_cast<double>(classes.size());
    result.map50_95 += metrics.ap50_95 / static_cast<double>(classes.size());
    result.per_class.push_back(metrics);
  }
  return result;
}

DetectionMetrics compute_metrics(const std::vector<ImageDetections>& images, ApMetric metric,
                                 Similarity similarity) {
  return metric == ApMetric::Coco ? coco_metrics(images, similarity) : ultralytics_metrics(images, similarity);
}

}  // namespace yoloq
