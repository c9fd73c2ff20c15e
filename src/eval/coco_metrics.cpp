// pycocotools' COCOeval for boxes, masks and keypoints (evaluate, accumulate, summarize),
// reimplemented from its definition for the case yoloq has: every ground truth iscrowd 0, maxDets
// 100 (20 for keypoints), COCO's area ranges (all for the headline numbers). Boxes are compared as
// COCO stores them, [x, y, w, h] doubles, with its IoU; masks with rleIou; keypoints with
// computeOks. A detection's area (for the area ranges) is its box's, as COCO.loadRes sets it for
// results that carry a bbox, which yoloq's --save_json always writes.
#include <algorithm>
#include <array>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "yoloq/eval/detection_metrics.hpp"
#include "yoloq/eval/keypoints.hpp"

namespace yoloq {

namespace {

constexpr std::size_t kMaxDetections = 100;
constexpr std::size_t kMaxKeypointDetections = 20;
constexpr double kSpacingOfOne = 2.220446049250313e-16;  // numpy.spacing(1), pycocotools' guard

struct AreaRange {
  double low, high;
  bool contains(double area) const { return area >= low && area <= high; }
};
// COCO's ranges: all, small (< 32^2), medium (32^2 .. 96^2), large (> 96^2), bounds inclusive.
// Keypoint evaluation has no small range (COCOeval's setKpParams): it is left out there.
constexpr std::array<AreaRange, 4> kAreaRanges{
    {{0, 1e10}, {0, 32.0 * 32.0}, {32.0 * 32.0, 96.0 * 96.0}, {96.0 * 96.0, 1e10}}};
constexpr std::size_t kSmallRange = 1;

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

// One (image, category) before the area ranges apply: detections by descending score, cut to the
// maximum; similarities[d][g] with the objects in their input order.
struct ImageCategory {
  std::vector<double> gt_areas, dt_areas, dt_scores;
  std::vector<char> gt_always_ignored;  // keypoints: an object with no labelled keypoint
  std::vector<std::vector<double>> similarities;
};

ImageCategoryResult evaluate_image_category(const ImageCategory& in, const std::vector<double>& thresholds,
                                            const AreaRange& range) {
  // Ignored objects (out of range, or always) go last, in a stable order as COCOeval's mergesort.
  std::vector<std::size_t> order;
  std::vector<char> gt_ignored;
  for (int pass = 0; pass < 2; ++pass)
    for (std::size_t g = 0; g < in.gt_areas.size(); ++g) {
      const bool ignored = in.gt_always_ignored[g] || !range.contains(in.gt_areas[g]);
      if (ignored == (pass == 1)) {
        order.push_back(g);
        gt_ignored.push_back(ignored);
      }
    }
  const std::size_t n_gts = order.size(), n_dts = in.dt_scores.size();
  ImageCategoryResult r;
  r.counted_ground_truths = static_cast<std::size_t>(std::count(gt_ignored.begin(), gt_ignored.end(), 0));
  r.scores = in.dt_scores;
  r.matched.assign(thresholds.size(), std::vector<char>(n_dts, 0));
  r.ignored.assign(thresholds.size(), std::vector<char>(n_dts, 0));

  for (std::size_t t = 0; t < thresholds.size(); ++t) {
    std::vector<char> gt_matched(n_gts, 0);
    for (std::size_t d = 0; d < n_dts; ++d) {
      double best = std::min(thresholds[t], 1 - 1e-10);
      std::ptrdiff_t match = -1;
      for (std::size_t g = 0; g < n_gts; ++g) {
        if (gt_matched[g]) continue;
        // A counted object already found beats any ignored one.
        if (match > -1 && !gt_ignored[static_cast<std::size_t>(match)] && gt_ignored[g]) break;
        const double similarity = in.similarities[d][order[g]];
        if (similarity < best) continue;  // ties go to the later object, as in COCOeval
        best = similarity;
        match = static_cast<std::ptrdiff_t>(g);
      }
      if (match < 0) {
        r.ignored[t][d] = !range.contains(in.dt_areas[d]);
        continue;
      }
      gt_matched[static_cast<std::size_t>(match)] = 1;
      r.matched[t][d] = 1;
      r.ignored[t][d] = gt_ignored[static_cast<std::size_t>(match)];
    }
  }
  return r;
}

double similarity(const GroundTruth& gt, const Detection& dt, Similarity kind) {
  switch (kind) {
    case Similarity::Mask: return mask_iou(dt.mask, gt.mask);
    case Similarity::Keypoints: return coco_oks(dt.keypoints, gt.keypoints, gt.box, to_xywh(gt.box).area());
    case Similarity::Box: break;
  }
  return coco_iou(to_xywh(dt.box), to_xywh(gt.box));
}

double ground_truth_area(const GroundTruth& gt, Similarity kind) {
  return kind == Similarity::Mask ? static_cast<double>(gt.mask.area()) : to_xywh(gt.box).area();
}

// One image's objects and detections of one category; nullopt when it has neither.
std::optional<ImageCategory> image_category(const ImageDetections& image, int cls, Similarity kind,
                                            std::size_t max_detections) {
  std::vector<const GroundTruth*> gts;
  std::vector<const Detection*> dts;
  for (const auto& g : image.ground_truth)
    if (g.class_id == cls) gts.push_back(&g);
  for (const auto& d : image.detections)
    if (d.class_id == cls) dts.push_back(&d);
  if (gts.empty() && dts.empty()) return std::nullopt;
  std::stable_sort(dts.begin(), dts.end(), [](const Detection* a, const Detection* b) { return a->score > b->score; });
  if (dts.size() > max_detections) dts.resize(max_detections);
  ImageCategory ic;
  for (const auto* g : gts) {
    ic.gt_areas.push_back(ground_truth_area(*g, kind));
    ic.gt_always_ignored.push_back(kind == Similarity::Keypoints &&
                                   std::none_of(g->keypoints.begin(), g->keypoints.end(),
                                                [](const Keypoint& k) { return k.v > 0; }));
  }
  for (const auto* d : dts) {
    ic.dt_scores.push_back(static_cast<double>(d->score));
    ic.dt_areas.push_back(to_xywh(d->box).area());
    std::vector<double> row;
    for (const auto* g : gts) row.push_back(similarity(*g, *d, kind));
    ic.similarities.push_back(std::move(row));
  }
  return ic;
}

struct ClassResult {
  std::vector<double> ap;            // per threshold
  std::vector<double> final_recall;  // per threshold
};

// COCOeval.accumulate for one category and area range; nullopt when it has no counted object
// (COCOeval's -1, which the means skip).
std::optional<ClassResult> accumulate(const std::vector<const ImageCategoryResult*>& per_image,
                                      std::size_t thresholds) {
  std::size_t ground_truths = 0;
  for (const auto* r : per_image) ground_truths += r->counted_ground_truths;
  if (ground_truths == 0) return std::nullopt;
  struct Ranked {
    double score;
    std::size_t image, index;
  };
  std::vector<Ranked> ranked;
  for (std::size_t i = 0; i < per_image.size(); ++i)
    for (std::size_t d = 0; d < per_image[i]->scores.size(); ++d)
      ranked.push_back({per_image[i]->scores[d], i, d});
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const Ranked& a, const Ranked& b) { return a.score > b.score; });
  ClassResult out;
  for (std::size_t t = 0; t < thresholds; ++t) {
    std::vector<double> recall, precision;
    double tp = 0, fp = 0;
    for (const auto& r : ranked) {
      if (per_image[r.image]->ignored[t][r.index]) {
        // Neither a hit nor a miss, but still a point of the curve (COCOeval keeps the column).
      } else if (per_image[r.image]->matched[t][r.index]) {
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

DetectionMetrics coco_metrics(const std::vector<ImageDetections>& images, Similarity kind) {
  // The operating-point precision/recall and per-class counts come from the Ultralytics pass;
  // COCOeval has no single precision/recall.
  DetectionMetrics result = ultralytics_metrics(images, kind);
  const std::size_t max_detections = kind == Similarity::Keypoints ? kMaxKeypointDetections : kMaxDetections;
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
    std::vector<ImageCategory> per_image_category;
    for (const auto* image : ordered)
      if (auto ic = image_category(*image, cls, kind, max_detections)) per_image_category.push_back(std::move(*ic));
    for (std::size_t a = 0; a < kAreaRanges.size(); ++a) {
      if (a == kSmallRange && kind == Similarity::Keypoints) continue;
      std::vector<ImageCategoryResult> per_image;
      for (const auto& ic : per_image_category)
        per_image.push_back(evaluate_image_category(ic, thresholds, kAreaRanges[a]));
      std::vector<const ImageCategoryResult*> in_order;
      for (const auto& r : per_image) in_order.push_back(&r);
      const auto curves = accumulate(in_order, thresholds.size());
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

std::vector<double> coco_map50_95_of_draws(const std::vector<ImageDetections>& images,
                                          const std::vector<std::vector<std::size_t>>& draws) {
  const auto thresholds = iou_thresholds();
  std::set<int> classes;
  for (const auto& image : images)
    for (const auto& g : image.ground_truth) classes.insert(g.class_id);
  // Each image's matching, once per class (area range all): a draw only re-accumulates them.
  std::vector<std::vector<std::optional<ImageCategoryResult>>> matched;  // [class][image]
  for (const int cls : classes) {
    auto& per_image = matched.emplace_back();
    for (const auto& image : images) {
      const auto ic = image_category(image, cls, Similarity::Box, kMaxDetections);
      per_image.push_back(ic ? std::optional(evaluate_image_category(*ic, thresholds, kAreaRanges[0])) : std::nullopt);
    }
  }
  std::vector<double> maps;
  for (const auto& draw : draws) {
    double ap_sum = 0;
    std::size_t counted = 0;
    for (const auto& per_image : matched) {
      // The draw's order is its image order (a drawn image is a new image id, as if copied).
      std::vector<const ImageCategoryResult*> in_order;
      for (const auto i : draw)
        if (per_image.at(i)) in_order.push_back(&*per_image[i]);
      const auto curves = accumulate(in_order, thresholds.size());
      if (!curves) continue;
      ap_sum += std::accumulate(curves->ap.begin(), curves->ap.end(), 0.0);
      ++counted;
    }
    maps.push_back(counted ? ap_sum / (static_cast<double>(counted) * static_cast<double>(thresholds.size())) : 0.0);
  }
  return maps;
}

}  // namespace yoloq
