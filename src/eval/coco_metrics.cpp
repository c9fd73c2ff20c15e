// pycocotools' COCOeval for bounding boxes (evaluate, accumulate, summarize), reimplemented from
// its definition for the case yoloq has: every ground truth iscrowd 0, maxDets 100, the four area
// ranges (all for the headline numbers; small, medium, large). Boxes are compared as COCO stores
// them, [x, y, w, h] doubles, with its IoU.
#include <algorithm>
#include <array>
#include <map>
#include <numeric>
#include <optional>

#include "yoloq/eval/detection_metrics.hpp"

namespace yoloq {

namespace {

constexpr std::size_t kMaxDetections = 100;
constexpr double kSpacingOfOne = 2.220446049250313e-16;  // numpy.spacing(1), pycocotools' guard

struct AreaRange {
  double low, high;
  bool contains(double area) const { return area >= low && area <= high; }
};
// COCO's ranges: all, small (< 32^2), medium (32^2 .. 96^2), large (> 96^2), bounds inclusive.
constexpr std::array<AreaRange, 4> kAreaRanges{
    {{0, 1e10}, {0, 32.0 * 32.0}, {32.0 * 32.0, 96.0 * 96.0}, {96.0 * 96.0, 1e10}}};

struct Xywh {
  double x, y, w, h;
  double area() const { return w * h; }
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

// One (image, category, area range): per IoU threshold, whether each kept detection matched and
// whether it is ignored (matched to an out-of-range object, or unmatched and itself out of range).
struct ImageCategoryResult {
  std::vector<double> scores;
  std::vector<std::vector<char>> matched, ignored;  // [threshold][detection]
  std::size_t counted_ground_truths = 0;            // objects inside the area range
};

// `dts` already sorted by descending score and cut to kMaxDetections.
ImageCategoryResult evaluate_image_category(const std::vector<Xywh>& gts_in,
                                            const std::vector<std::pair<double, Xywh>>& dts,
                                            const std::vector<double>& thresholds,
                                            const AreaRange& range) {
  // Objects outside the range are ignored and go last (a stable sort, as COCOeval's mergesort).
  std::vector<Xywh> gts;
  std::vector<char> gt_ignored;
  for (int pass = 0; pass < 2; ++pass)
    for (const auto& g : gts_in)
      if (range.contains(g.area()) == (pass == 0)) {
        gts.push_back(g);
        gt_ignored.push_back(pass == 1);
      }
  ImageCategoryResult r;
  r.counted_ground_truths =
      static_cast<std::size_t>(std::count(gt_ignored.begin(), gt_ignored.end(), 0));
  for (const auto& d : dts) r.scores.push_back(d.first);
  r.matched.assign(thresholds.size(), std::vector<char>(dts.size(), 0));
  r.ignored.assign(thresholds.size(), std::vector<char>(dts.size(), 0));
  std::vector<std::vector<double>> ious(dts.size(), std::vector<double>(gts.size()));
  for (std::size_t d = 0; d < dts.size(); ++d)
    for (std::size_t g = 0; g < gts.size(); ++g) ious[d][g] = coco_iou(dts[d].second, gts[g]);

  for (std::size_t t = 0; t < thresholds.size(); ++t) {
    std::vector<char> gt_matched(gts.size(), 0);
    for (std::size_t d = 0; d < dts.size(); ++d) {
      double best = std::min(thresholds[t], 1 - 1e-10);
      std::ptrdiff_t match = -1;
      for (std::size_t g = 0; g < gts.size(); ++g) {
        if (gt_matched[g]) continue;
        // A counted object already found beats any ignored one.
        if (match > -1 && !gt_ignored[static_cast<std::size_t>(match)] && gt_ignored[g]) break;
        if (ious[d][g] < best) continue;  // ties go to the later object, as in COCOeval
        best = ious[d][g];
        match = static_cast<std::ptrdiff_t>(g);
      }
      if (match < 0) {
        r.ignored[t][d] = !range.contains(dts[d].second.area());
        continue;
      }
      gt_matched[static_cast<std::size_t>(match)] = 1;
      r.matched[t][d] = 1;
      r.ignored[t][d] = gt_ignored[static_cast<std::size_t>(match)];
    }
  }
  return r;
}

struct ClassResult {
  std::vector<double> ap;            // per threshold
  std::vector<double> final_recall;  // per threshold
};

// COCOeval.accumulate for one category and area range; nullopt when it has no counted object
// (COCOeval's -1, which the means skip).
std::optional<ClassResult> accumulate(const std::vector<ImageCategoryResult>& per_image,
                                      std::size_t thresholds) {
  std::size_t ground_truths = 0;
  for (const auto& r : per_image) ground_truths += r.counted_ground_truths;
  if (ground_truths == 0) return std::nullopt;
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
  ClassResult out;
  for (std::size_t t = 0; t < thresholds; ++t) {
    std::vector<double> recall, precision;
    double tp = 0, fp = 0;
    for (const auto& r : ranked) {
      if (per_image[r.image].ignored[t][r.index]) {
        // Neither a hit nor a miss, but still a point of the curve (COCOeval keeps the column).
      } else if (per_image[r.image].matched[t][r.index]) {
        tp += 1;
      } else {
        fp += 1;
      }
      recall.push_back(tp / static_cast<double>(ground_truths));
      precision.push_back(tp / (fp + tp + kSpacingOfOne));
    }
    out.ap.push_back(coco_ap(recall, precision));
    out.final_recall.push_back(recall.empty() ? 0.0 : recall.back());
  }
  return out;
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
  const double n_thresholds = static_cast<double>(thresholds.size());
  std::array<double, kAreaRanges.size()> ap_sum{};
  std::array<std::size_t, kAreaRanges.size()> classes_counted{};
  double ap50_sum = 0, recall_sum = 0;
  for (auto& class_metrics : result.per_class) {
    const int cls = class_metrics.class_id;
    // Per image, in image id order: COCOeval concatenates in that order before its stable sort.
    std::vector<std::vector<Xywh>> gts_per_image;
    std::vector<std::vector<std::pair<double, Xywh>>> dts_per_image;
    for (const auto* image : ordered) {
      std::vector<Xywh> gts;
      std::vector<std::pair<double, Xywh>> dts;
      for (const auto& g : image->ground_truth)
        if (g.class_id == cls) gts.push_back(to_xywh(g.box));
      for (const auto& d : image->detections)
        if (d.class_id == cls) dts.push_back({static_cast<double>(d.score), to_xywh(d.box)});
      if (gts.empty() && dts.empty()) continue;
      std::stable_sort(dts.begin(), dts.end(),
                       [](const auto& a, const auto& b) { return a.first > b.first; });
      if (dts.size() > kMaxDetections) dts.resize(kMaxDetections);
      gts_per_image.push_back(std::move(gts));
      dts_per_image.push_back(std::move(dts));
    }
    for (std::size_t a = 0; a < kAreaRanges.size(); ++a) {
      std::vector<ImageCategoryResult> per_image;
      for (std::size_t i = 0; i < gts_per_image.size(); ++i)
        per_image.push_back(evaluate_image_category(gts_per_image[i], dts_per_image[i], thresholds,
                                                    kAreaRanges[a]));
      const auto curves = accumulate(per_image, thresholds.size());
      if (!curves) continue;
      const double class_ap = std::accumulate(curves->ap.begin(), curves->ap.end(), 0.0);
      ap_sum[a] += class_ap;
      ++classes_counted[a];
      if (a == 0) {
        class_metrics.ap50 = curves->ap[0];
        class_metrics.ap50_95 = class_ap / n_thresholds;
        ap50_sum += curves->ap[0];
        recall_sum +=
            std::accumulate(curves->final_recall.begin(), curves->final_recall.end(), 0.0);
      }
    }
  }
  auto mean_ap = [&](std::size_t a) {
    return classes_counted[a] ? ap_sum[a] / (static_cast<double>(classes_counted[a]) * n_thresholds)
                              : -1.0;
  };
  if (classes_counted[0] > 0) {
    result.map50_95 = mean_ap(0);
    result.map50 = ap50_sum / static_cast<double>(classes_counted[0]);
    result.coco_ar100 = recall_sum / (static_cast<double>(classes_counted[0]) * n_thresholds);
  }
  result.coco_ap_small = mean_ap(1);
  result.coco_ap_medium = mean_ap(2);
  result.coco_ap_large = mean_ap(3);
  return result;
}

}  // namespace yoloq
