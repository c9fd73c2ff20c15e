#pragma once
// What the Ultralytics validator does once the overlaps of an image's labels and detections are
// known, whatever the overlap is: match_predictions (greedy by IoU at the 10 thresholds), then
// ap_per_class's score-ordered precision and recall per class. Detect, segment and pose
// (ultralytics_metrics.cpp) and OBB (obb_metrics.cpp, exact rotated IoU) differ only in the overlap
// and in what they report, so they share this.
#include <array>
#include <cstddef>
#include <map>
#include <vector>

#include "yoloq/eval/detection_metrics.hpp"

namespace yoloq {

inline constexpr std::size_t kIouThresholdCount = 10;
using ThresholdHits = std::array<bool, kIouThresholdCount>;  // true positive at each threshold

// iou_thresholds() in float32: Ultralytics compares float32 torch tensors.
std::vector<float> float_iou_thresholds();

// Ultralytics' match_predictions. `ious[g * detections + d]` is label g's overlap with detection d,
// 0 across classes. Per threshold, the pairs at or above it are ranked by IoU, each detection keeps
// its best pair, then, visiting detections in their (score) order, each label goes to the first
// detection that claims it. One ThresholdHits per detection.
std::vector<ThresholdHits> match_predictions(const std::vector<float>& ious, std::size_t labels,
                                             std::size_t detections, const std::vector<float>& thresholds);

struct LabelCount {
  std::size_t images = 0;     // images with at least one label of the class
  std::size_t instances = 0;  // labels of the class
};

struct MatchedDetection {
  float score = 0;
  int class_id = 0;
  ThresholdHits correct{};
};

// A dataset's matched detections and its labels per class: what ap_per_class starts from.
struct MatchedDataset {
  std::map<int, LabelCount> classes;  // classes present in the labels, ascending id
  std::size_t instances = 0;          // all labels
  std::vector<MatchedDetection> detections;

  // One image: anything with `ground_truth[].class_id` and `detections[].score/.class_id`, and the
  // hits match_predictions found for its detections.
  template <typename Image>
  void add_image(const Image& image, const std::vector<ThresholdHits>& correct) {
    std::map<int, std::size_t> in_image;
    for (const auto& gt : image.ground_truth) ++in_image[gt.class_id];
    for (const auto& [cls, n] : in_image) {
      classes[cls].images += 1;
      classes[cls].instances += n;
      instances += n;
    }
    for (std::size_t d = 0; d < image.detections.size(); ++d)
      detections.push_back({image.detections[d].score, image.detections[d].class_id, correct[d]});
  }

  // Best score first; ties keep image and detection order.
  void sort_by_score();
};

// One class's detections, best score first (from a sorted MatchedDataset), as cumulative curves.
struct ClassCurves {
  std::vector<double> neg_scores;  // -score, ascending, as ap_per_class interpolates over it
  std::array<std::vector<double>, kIouThresholdCount> recall, precision;
};
ClassCurves class_curves(const MatchedDataset& dataset, int class_id);

// AP at IoU 0.5 and the mean over the 10 thresholds, with `integral` (ultralytics_ap or coco_ap);
// 0 for a class without detections.
struct ClassAp {
  double ap50 = 0, ap50_95 = 0;
};
ClassAp class_ap(const ClassCurves& curves, ApMetric integral);

}  // namespace yoloq
