// The Ultralytics validator's metrics (DetectionValidator.match_predictions and
// metrics.ap_per_class), reimplemented from their definition. Ultralytics works in float32 torch
// tensors for IoU and thresholds, so the matching does too.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numeric>

#include "yoloq/eval/detection_metrics.hpp"
#include "yoloq/eval/keypoints.hpp"

namespace yoloq {

namespace {

constexpr std::size_t kThresholds = 10;
using Correct = std::array<bool, kThresholds>;

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

// For each detection and threshold: is it a true positive? Candidate pairs above the threshold
// are ranked by IoU; each detection keeps its best pair; then, visiting detections in their
// (score) order, each ground truth goes to the first detection that claims it.
float similarity_float(const GroundTruth& gt, const Detection& det, Similarity similarity) {
  switch (similarity) {
    case Similarity::Mask: return static_cast<float>(mask_iou(det.mask, gt.mask));
    case Similarity::Keypoints: return static_cast<float>(ultralytics_oks(det.keypoints, gt.keypoints, gt.box));
    case Similarity::Box: break;
  }
  return box_iou_float(gt.box, det.box);
}

std::vector<Correct> match_image(const ImageDetections& image, const std::vector<float>& thresholds,
                                 Similarity similarity) {
  const auto& gts = image.ground_truth;
  const auto& dets = image.detections;
  std::vector<Correct> correct(dets.size(), Correct{});
  if (gts.empty() || dets.empty()) return correct;
  std::vector<float> ious(gts.size() * dets.size(), 0.0f);
  for (std::size_t g = 0; g < gts.size(); ++g)
    for (std::size_t d = 0; d < dets.size(); ++d)
      if (gts[g].class_id == dets[d].class_id)
        ious[g * dets.size() + d] = similarity_float(gts[g], dets[d], similarity);

  struct Pair {
    std::size_t gt, det;
    float iou;
  };
  for (std::size_t t = 0; t < thresholds.size(); ++t) {
    std::vector<Pair> pairs;
    for (std::size_t g = 0; g < gts.size(); ++g)
      for (std::size_t d = 0; d < dets.size(); ++d)
        if (ious[g * dets.size() + d] >= thresholds[t])
          pairs.push_back({g, d, ious[g * dets.size() + d]});
    std::stable_sort(pairs.begin(), pairs.end(),
                     [](const Pair& a, const Pair& b) { return a.iou > b.iou; });
    std::vector<bool> det_taken(dets.size(), false);
    std::vector<Pair> best_per_det;
    for (const auto& p : pairs)
      if (!det_taken[p.det]) det_taken[p.det] = true, best_per_det.push_back(p);
    std::sort(best_per_det.begin(), best_per_det.end(),
              [](const Pair& a, const Pair& b) { return a.det < b.det; });
    std::vector<bool> gt_taken(gts.size(), false);
    for (const auto& p : best_per_det)
      if (!gt_taken[p.gt]) gt_taken[p.gt] = true, correct[p.det][t] = true;
  }
  return correct;
}

struct ScoredDetection {
  float score;
  int class_id;
  Correct correct;
};

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

}  // namespace

namespace {

// One class's AP50 and AP50-95 (into `metrics`), and its precision and recall over `confidences`
// at IoU 0.5, as ap_per_class computes them.
std::pair<std::vector<double>, std::vector<double>> class_curves(ClassMetrics& metrics,
                                                                 const std::vector<ScoredDetection>& scored,
                                                                 const std::vector<double>& confidences) {
  const int cls = metrics.class_id;
  std::vector<double> neg_conf;
  std::array<std::vector<double>, kThresholds> recall, precision;
  std::array<double, kThresholds> tp_sum{}, fp_sum{};
  for (const auto& s : scored) {
    if (s.class_id != cls) continue;
    neg_conf.push_back(-static_cast<double>(s.score));
    for (std::size_t t = 0; t < kThresholds; ++t) {
      (s.correct[t] ? tp_sum[t] : fp_sum[t]) += 1;
      recall[t].push_back(tp_sum[t] / (static_cast<double>(metrics.instances) + 1e-16));
      precision[t].push_back(tp_sum[t] / (tp_sum[t] + fp_sum[t]));
    }
  }
  std::vector<double> p_curve(confidences.size(), 0.0), r_curve(confidences.size(), 0.0);
  if (neg_conf.empty()) return {p_curve, r_curve};
  for (std::size_t i = 0; i < confidences.size(); ++i) {
    r_curve[i] = numpy_interp(-confidences[i], neg_conf, recall[0], 0.0, recall[0].back());
    p_curve[i] = numpy_interp(-confidences[i], neg_conf, precision[0], 1.0, precision[0].back());
  }
  double ap_sum = 0;
  for (std::size_t t = 0; t < kThresholds; ++t) {
    const double ap = ultralytics_ap(recall[t], precision[t]);
    if (t == 0) metrics.ap50 = ap;
    ap_sum += ap;
  }
  metrics.ap50_95 = ap_sum / kThresholds;
  return {p_curve, r_curve};
}

}  // namespace

DetectionMetrics ultralytics_metrics(const std::vector<ImageDetections>& images, Similarity similarity) {
  std::vector<float> thresholds;
  for (double t : iou_thresholds()) thresholds.push_back(static_cast<float>(t));

  DetectionMetrics result;
  result.metric = ApMetric::Ultralytics;
  result.images = images.size();
  std::map<int, ClassMetrics> classes;  // present in the labels
  std::vector<ScoredDetection> scored;
  for (const auto& image : images) {
    std::map<int, std::size_t> in_image;
    for (const auto& gt : image.ground_truth) ++in_image[gt.class_id];
    for (const auto& [cls, n] : in_image) {
      auto& c = classes[cls];
      c.class_id = cls;
      c.images += 1;
      c.instances += n;
      result.instances += n;
    }
    const auto correct = match_image(image, thresholds, similarity);
    for (std::size_t d = 0; d < image.detections.size(); ++d)
      scored.push_back({image.detections[d].score, image.detections[d].class_id, correct[d]});
  }
  std::stable_sort(
      scored.begin(), scored.end(),
      [](const ScoredDetection& a, const ScoredDetection& b) { return a.score > b.score; });

  constexpr std::size_t kCurvePoints = 1000;
  std::vector<double> confidences(kCurvePoints);
  for (std::size_t i = 0; i < kCurvePoints; ++i)
    confidences[i] = static_cast<double>(i) * (1.0 / 999.0);
  confidences.back() = 1.0;

  std::vector<std::vector<double>> precision_curves, recall_curves;  // per class, over confidence
  for (auto& [cls, metrics] : classes) {
    auto [p_curve, r_curve] = class_curves(metrics, scored, confidences);
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
