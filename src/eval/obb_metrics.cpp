// OBB mAP the way Ultralytics' validator computes detect mAP (match_predictions, ap_per_class),
// with the exact rotated IoU of obb.hpp in place of the axis-aligned one.
#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <sstream>

#include "yoloq/eval/detection_metrics.hpp"
#include "yoloq/eval/obb.hpp"

namespace yoloq {

namespace {

constexpr std::size_t kThresholds = 10;
using Correct = std::array<bool, kThresholds>;

// Ultralytics' match_predictions: per threshold, candidate pairs of one class at or above it are
// ranked by IoU, each detection keeps its best pair, then in detection order each label goes to
// the first detection that claims it. IoU and thresholds in float32, as in torch.
std::vector<Correct> match_image(const ObbImage& image, const std::vector<float>& thresholds) {
  const auto& gts = image.ground_truth;
  const auto& dets = image.detections;
  std::vector<Correct> correct(dets.size(), Correct{});
  if (gts.empty() || dets.empty()) return correct;
  std::vector<float> ious(gts.size() * dets.size(), 0.0f);
  for (std::size_t d = 0; d < dets.size(); ++d) {
    const Quad det_corners = corners(dets[d].box);
    for (std::size_t g = 0; g < gts.size(); ++g)
      if (gts[g].class_id == dets[d].class_id)
        ious[g * dets.size() + d] = static_cast<float>(rotated_iou(gts[g].corners, det_corners));
  }
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
    std::stable_sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.iou > b.iou; });
    std::vector<bool> det_taken(dets.size(), false);
    std::vector<Pair> best_per_det;
    for (const auto& p : pairs)
      if (!det_taken[p.det]) det_taken[p.det] = true, best_per_det.push_back(p);
    std::sort(best_per_det.begin(), best_per_det.end(), [](const Pair& a, const Pair& b) { return a.det < b.det; });
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

std::string class_label(int id, const std::vector<std::string>& names) {
  return id >= 0 && static_cast<std::size_t>(id) < names.size() ? names[static_cast<std::size_t>(id)]
                                                                  : std::to_string(id);
}

}  // namespace

ObbMetrics obb_metrics(const std::vector<ObbImage>& images, ApMetric integral) {
  std::vector<float> thresholds;
  for (double t : iou_thresholds()) thresholds.push_back(static_cast<float>(t));
  ObbMetrics result;
  result.images = images.size();
  std::map<int, ObbClassMetrics> classes;  // present in the labels
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
    const auto correct = match_image(image, thresholds);
    for (std::size_t d = 0; d < image.detections.size(); ++d)
      scored.push_back({image.detections[d].score, image.detections[d].class_id, correct[d]});
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const ScoredDetection& a, const ScoredDetection& b) { return a.score > b.score; });
  for (auto& [cls, metrics] : classes) {
    std::array<std::vector<double>, kThresholds> recall, precision;
    std::array<double, kThresholds> tp{}, fp{};
    for (const auto& s : scored) {
      if (s.class_id != cls) continue;
      for (std::size_t t = 0; t < kThresholds; ++t) {
        (s.correct[t] ? tp[t] : fp[t]) += 1;
        recall[t].push_back(tp[t] / (static_cast<double>(metrics.instances) + 1e-16));
        precision[t].push_back(tp[t] / (tp[t] + fp[t]));
      }
    }
    if (!recall[0].empty()) {
      auto ap = [integral](const std::vector<double>& r, const std::vector<double>& p) {
        return integral == ApMetric::Coco ? coco_ap(r, p) : ultralytics_ap(r, p);
      };
      double sum = 0;
      for (std::size_t t = 0; t < kThresholds; ++t) sum += ap(recall[t], precision[t]);
      metrics.ap50 = ap(recall[0], precision[0]);
      metrics.ap50_95 = sum / kThresholds;
    }
    result.map50 += metrics.ap50 / static_cast<double>(classes.size());
    result.map50_95 += metrics.ap50_95 / static_cast<double>(classes.size());
    result.per_class.push_back(metrics);
  }
  return result;
}

std::string obb_metrics_text(const ObbMetrics& m, bool per_class, const std::vector<std::string>& names) {
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "%-16s %7s %9s %9s %9s\n", "class", "images", "instances", "mAP50", "mAP50-95");
  out << line;
  std::snprintf(line, sizeof line, "%-16s %7zu %9zu %9.3f %9.3f\n", "all", m.images, m.instances, m.map50,
                m.map50_95);
  out << line;
  if (per_class)
    for (const auto& c : m.per_class) {
      std::snprintf(line, sizeof line, "%-16.16s %7zu %9zu %9.3f %9.3f\n", class_label(c.class_id, names).c_str(),
                    c.images, c.instances, c.ap50, c.ap50_95);
      out << line;
    }
  return out.str();
}

nlohmann::json to_json(const ObbMetrics& m, const std::vector<std::string>& names) {
  nlohmann::json j{{"task", "obb"},         {"iou", "rotated (exact polygon)"},
                   {"map50_95", m.map50_95}, {"map50", m.map50},
                   {"images", m.images},     {"instances", m.instances}};
  j["per_class"] = nlohmann::json::array();
  for (const auto& c : m.per_class)
    j["per_class"].push_back({{"class_id", c.class_id},
                              {"name", class_label(c.class_id, names)},
                              {"images", c.images},
                              {"instances", c.instances},
                              {"ap50", c.ap50},
                              {"ap50_95", c.ap50_95}});
  return j;
}

}  // namespace yoloq
