// OBB mAP the way Ultralytics' validator computes detect mAP (match_predictions, ap_per_class),
// with the exact rotated IoU of obb.hpp in place of the axis-aligned one.
#include <cstdio>
#include <sstream>

#include "eval/class_report.hpp"
#include "eval/ultralytics_matching.hpp"
#include "yoloq/eval/detection_metrics.hpp"
#include "yoloq/eval/obb.hpp"

namespace yoloq {

namespace {

// The rotated overlaps of an image's labels and detections, matched as Ultralytics matches boxes.
// IoU in float32, as in torch.
std::vector<ThresholdHits> match_image(const ObbImage& image, const std::vector<float>& thresholds) {
  const auto& gts = image.ground_truth;
  const auto& dets = image.detections;
  std::vector<float> ious(gts.size() * dets.size(), 0.0f);
  for (std::size_t d = 0; d < dets.size(); ++d) {
    const Quad det_corners = corners(dets[d].box);
    for (std::size_t g = 0; g < gts.size(); ++g)
      if (gts[g].class_id == dets[d].class_id)
        ious[g * dets.size() + d] = static_cast<float>(rotated_iou(gts[g].corners, det_corners));
  }
  return match_predictions(ious, gts.size(), dets.size(), thresholds);
}

}  // namespace

ObbMetrics obb_metrics(const std::vector<ObbImage>& images, ApMetric integral) {
  const std::vector<float> thresholds = float_iou_thresholds();
  MatchedDataset matched;
  for (const auto& image : images) matched.add_image(image, match_image(image, thresholds));
  matched.sort_by_score();
  ObbMetrics result;
  result.images = images.size();
  result.instances = matched.instances;
  for (const auto& [cls, count] : matched.classes) {
    const ClassAp ap = class_ap(class_curves(matched, cls), integral);
    result.per_class.push_back({cls, count.images, count.instances, ap.ap50, ap.ap50_95});
    result.map50 += ap.ap50 / static_cast<double>(matched.classes.size());
    result.map50_95 += ap.ap50_95 / static_cast<double>(matched.classes.size());
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
    j["per_class"].push_back(class_json(c.class_id, names, c.images, c.instances, c.ap50, c.ap50_95));
  return j;
}

}  // namespace yoloq
