// pycocotools' COCOeval for bounding boxes (evaluate, accumulate, summarize), reimplemented from
// its definition for the case yoloq has: every ground truth iscrowd 0, area range 'all',
// maxDets 100. Boxes are compared as COCO stores them, [x, y, w, h] doubles, with its IoU.
#include <algorithm>
#include <map>
#include <numeric>

#include "yoloq/detection_metrics.hpp"

namespace yoloq {

namespace {

constexpr std::size_t kMaxDetections = 100;
constexpr double kSpacingOfOne = 2.220446049250313e-16;  // numpy.spacing(1), pycocotools' guard

struct Xywh {
  double x, y, w, h;
};
Xywh to_xywh(const Box& b) { return {b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1}; }

// maskApi's bbIou for iscrowd 0.
double coco_iou(const Xywh& d, const Xywh& g) {
  const double w = std::min(d.x + d.w, g.x + g.w) - std::max(d.x, g.x);
  if (w <= 0) return 0;
  const double h = std::min(d.y + d.h, g.y + g.h) - std::max(d.y, g.y);
  if (h <= 0) return 0;
  const double inter = w * h;
  return inter / (d.w * d.h + g.w * g.h - inter);
}

// One (image, category) evaluation: the kept detections' scores and, per IoU threshold, whether
// each was matched.
struct ImageCategoryResult {
  std::vector<double> scores;
  std::vector<std::vector<bool>> matched;  // [threshold][detection]
  std::size_t ground_truths = 0;
};

ImageCategoryResult evaluate_image_category(const std::vector<Xywh>& gts,
                                            std::vector<std::pair<double, Xywh>> dts,
                                            const std::vector<double>& thresholds) {
  std::stable_sort(dts.begin(), dts.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  if (dts.size() > kMaxDetections) dts.resize(kMaxDetections);
  ImageCategoryResult r;
  r.ground_truths = gts.size();
  for (const auto& d : dts) r.scores.push_back(d.first);
  r.matched.assign(thresholds.size(), std::vector<bool>(dts.size(), false));
  for (std::size_t t = 0; t < thresholds.size(); ++t) {
    std::vector<bool> gt_matched(gts.size(), false);
    for (std::size_t d = 0; d < dts.size(); ++d) {
      double best = std::min(thresholds[t], 1 - 1e-10);
      std::ptrdiff_t match = -1;
      for (std::size_t g = 0; g < gts.size(); ++g) {
        if (gt_matched[g]) continue;
        const double o = coco_iou(dts[d].second, gts[g]);
        if (o < best) continue;  // ties go to the later ground truth, as in COCOeval
        best = o;
        match = static_cast<std::ptrdiff_t>(g);
      }
      if (match < 0) continue;
      gt_matched[static_cast<std::size_t>(match)] = true;
      r.matched[t][d] = true;
    }
  }
  return r;
}

}  // namespace

DetectionMetrics coco_metrics(const std::vector<ImageDetections>& images) {
  // The operating-point precision/recall and per-class counts come from the Ultralytics pass;
  // COCOeval has no single precision/recall.
  DetectionMetrics result = ultralytics_metrics(images);
  result.metric = ApMetric::Coco;
  result.map50 = result.map50_95 = 0;

  std::vector<const ImageDetections*> ordered;
  for (const auto& image : images) ordered.push_back(&image);
  std::stable_sort(
      ordered.begin(), ordered.end(),
      [](const ImageDetections* a, const ImageDetections* b) { return a->image_id < b->image_id; });

  const auto thresholds = iou_thresholds();
  double precision_sum = 0, precision_at_50_sum = 0, recall_sum = 0;
  std::size_t evaluated_classes = 0;
  for (auto& class_metrics : result.per_class) {
    const int cls = class_metrics.class_id;
    // Per image, in image id order: COCOeval concatenates in that order before its stable sort.
    std::vector<ImageCategoryResult> per_image;
    std::size_t ground_truths = 0;
    for (const auto* image : ordered) {
      std::vector<Xywh> gts;
      std::vector<std::pair<double, Xywh>> dts;
      for (const auto& g : image->ground_truth)
        if (g.class_id == cls) gts.push_back(to_xywh(g.box));
      for (const auto& d : image->detections)
        if (d.class_id == cls) dts.push_back({static_cast<double>(d.score), to_xywh(d.box)});
      if (gts.empty() && dts.empty()) continue;
      per_image.push_back(evaluate_image_category(gts, std::move(dts), thresholds));
      ground_truths += per_image.back().ground_truths;
    }
    if (ground_truths == 0) continue;  // COCOeval leaves -1 and the mean skips it

    struct Ranked {
      double score;
      std::size_t image, index;
    };
    std::vector<Ranked> ranked;
    for (std::size_t i = 0; i < per_image.size(); ++i)
      for (std::size_t d = 0; d < per_image[i].scores.size(); ++d)
        ranked.push_back({per_image[i].scores[d], i, d});
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const Ranked& a, const Ranked& b) { return a.score > b.score; });

    double ap_sum = 0;
    for (std::size_t t = 0; t < thresholds.size(); ++t) {
      std::vector<double> recall, precision;
      double tp = 0, fp = 0;
      for (const auto& r : ranked) {
        (per_image[r.image].matched[t][r.index] ? tp : fp) += 1;
        recall.push_back(tp / static_cast<double>(ground_truths));
        precision.push_back(tp / (fp + tp + kSpacingOfOne));
      }
      const double ap = coco_ap(recall, precision);
      if (t == 0) class_metrics.ap50 = ap;
      ap_sum += ap;
      recall_sum += recall.empty() ? 0.0 : recall.back();
    }
    class_metrics.ap50_95 = ap_sum / static_cast<double>(thresholds.size());
    precision_sum += ap_sum;
    precision_at_50_sum += class_metrics.ap50;
    ++evaluated_classes;
  }
  if (evaluated_classes > 0) {
    const double n = static_cast<double>(evaluated_classes);
    result.map50_95 = precision_sum / (n * static_cast<double>(thresholds.size()));
    result.map50 = precision_at_50_sum / n;
    result.coco_ar100 = recall_sum / (n * static_cast<double>(thresholds.size()));
  }
  return result;
}

}  // namespace yoloq
