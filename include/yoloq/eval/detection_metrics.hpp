#pragma once
// Detection metrics over a labelled dataset, in the two flavours users compare against:
// - Ultralytics (its validator): up to 300 detections per image; per IoU threshold a detection is
//   a true positive through greedy matching by IoU, unique per ground truth and per detection;
//   AP = trapezoid integral of the precision envelope sampled at 101 recall points, after adding
//   precision 1 at recall 0 (which over-credits models whose scores collapse to a few values).
// - COCO (pycocotools' COCOeval, bbox, iscrowd 0, area range 'all'): per image and category the
//   100 best-scoring detections, each matched in score order to the best-IoU unmatched ground
//   truth; AP = mean of the precision envelope at 101 recall thresholds.
// Both: IoU thresholds 0.50:0.05:0.95, mean over the classes present in the labels.
#include <string>
#include <vector>

#include "yoloq/eval/detection.hpp"

namespace yoloq {

enum class ApMetric { Ultralytics, Coco };
ApMetric parse_ap_metric(
    const std::string& name);  // "ultralytics" | "coco"; throws Error otherwise
std::string metric_name(ApMetric metric);

struct GroundTruth {
  Box box;
  int class_id = 0;
  RleMask mask;                     // segment labels: the polygon rasterized at image resolution
  std::vector<Keypoint> keypoints;  // pose labels, in pixels
};

// What a detection is compared with its ground truth by: box IoU, mask IoU (segment), or object
// keypoint similarity (pose). COCO's iouTypes bbox, segm and keypoints.
enum class Similarity { Box, Mask, Keypoints };
std::string similarity_name(Similarity similarity);  // "box", "mask", "keypoints"

// One image: its labels and its detections (descending score, as NMS returns them), both in the
// same pixel coordinates. Images are ordered by image_id for COCO's tie-breaking.
struct ImageDetections {
  long long image_id = 0;
  std::vector<GroundTruth> ground_truth;
  std::vector<Detection> detections;
};

// The ground truth of the agreement metric (verify, and the accuracy tuning of tune/): a float
// model's detections at or above the confidence Ultralytics' predict uses, so that low-score noise
// is not treated as objects. Their masks come along; their keypoints count as labelled where the
// model's visibility is at least 0.5 (Ultralytics' plotting threshold), as v = 2, else v = 0.
inline constexpr float kAgreementReferenceScore = 0.25f;
inline constexpr double kAgreementKeypointVisibility = 0.5;
std::vector<GroundTruth> agreement_reference(const std::vector<Detection>& float_detections);

struct ClassMetrics {
  int class_id = 0;
  std::size_t images = 0;     // images with at least one label of this class
  std::size_t instances = 0;  // labels of this class
  double precision = 0, recall = 0, ap50 = 0, ap50_95 = 0;
};

struct DetectionMetrics {
  ApMetric metric = ApMetric::Ultralytics;
  double map50_95 = 0, map50 = 0;
  // Mean over classes at the confidence that maximises the mean F1 (Ultralytics' definition; the
  // COCO flavour reports the same operating point, from the same detections).
  double precision = 0, recall = 0;
  // COCO flavour only (else -1): recall averaged over IoU thresholds with 100 detections, and
  // mAP50-95 by object area (small < 32^2 <= medium <= 96^2 < large; -1 with no such object).
  double coco_ar100 = -1;
  double coco_ap_small = -1, coco_ap_medium = -1, coco_ap_large = -1;
  std::size_t images = 0, instances = 0;
  std::vector<ClassMetrics> per_class;  // classes present in the labels, ascending id
};

// `similarity` Mask needs every ground truth's and detection's mask, Keypoints their keypoints.
// COCO's keypoint flavour follows COCOeval's keypoint parameters: 20 detections per image, area
// ranges all, medium and large (small stays -1), objects without a labelled keypoint ignored, the
// object area being the labelled box's w * h. Ultralytics' keypoint flavour is its OKS (area
// 0.53 * box area), its mask flavour the mask IoU at the original image resolution.
DetectionMetrics compute_metrics(const std::vector<ImageDetections>& images, ApMetric metric,
                                 Similarity similarity = Similarity::Box);
DetectionMetrics ultralytics_metrics(const std::vector<ImageDetections>& images,
                                     Similarity similarity = Similarity::Box);
DetectionMetrics coco_metrics(const std::vector<ImageDetections>& images, Similarity similarity = Similarity::Box);
// COCO-style box mAP50-95 of images drawn from `images`, one value per draw (a list of indices,
// repeats allowed: a repeated image counts as another image). The same as coco_metrics on copies
// of the drawn images with ids in draw order, but each image is matched once, so hundreds of
// draws cost little more than one coco_metrics (eval/drop_interval.hpp).
std::vector<double> coco_map50_95_of_draws(const std::vector<ImageDetections>& images,
                                          const std::vector<std::vector<std::size_t>>& draws);

// The two AP integrals on one precision/recall curve (points in detection order), exposed for
// tests. Ultralytics: recall 0 -> precision 1 and recall 1 -> precision 0 appended, envelope,
// numpy-style interpolation at 101 points, trapezoid rule. COCO: envelope, precision at the first
// point reaching each of 101 recall thresholds (0 where recall never reaches it), mean.
double ultralytics_ap(const std::vector<double>& recall, const std::vector<double>& precision);
double coco_ap(const std::vector<double>& recall, const std::vector<double>& precision);

// numpy.interp for a non-decreasing xp, the same branch for branch (duplicate xp values, exact
// hits); Ultralytics' curves depend on it.
double numpy_interp(double x, const std::vector<double>& xp, const std::vector<double>& fp,
                    double left, double right);

// The 10 IoU thresholds as numpy.linspace(0.5, 0.95, 10) computes them.
std::vector<double> iou_thresholds();

}  // namespace yoloq
