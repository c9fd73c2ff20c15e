#pragma once
// Oriented-box (OBB) models: Ultralytics' OBB export has one output [B, 4 + nc + 1, A]: per anchor
// cx, cy, w, h in input pixels, nc class scores, then the angle in radians (the head's
// (sigmoid - 0.25) * pi, so in [-pi/4, 3pi/4)). Labels are DOTA-style YOLO lines
// "class x1 y1 x2 y2 x3 y3 x4 y4", the four corners normalised to [0, 1].
//
// Which overlap is used where:
// - NMS: Ultralytics' probiou with its Fast-NMS (ops.non_max_suppression(rotated=True) ->
//   TorchNMS.fast_nms(iou_func=batch_probiou)), so that the kept detections are the validator's.
// - Matching detections to labels for AP: the exact IoU of the two polygons (rotated_box.hpp), the
//   rotated-box IoU of DOTA's devkit. Ultralytics' OBBValidator._process_batch matches with
//   probiou instead (an approximation that also scores disjoint boxes above 0), so its mAP can
//   differ slightly from yoloq's; the matching rule itself (greedy by IoU, one label per
//   detection) and the AP integral are the Ultralytics validator's, as for detect.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "yoloq/eval/detection.hpp"
#include "yoloq/eval/detection_metrics.hpp"
#include "yoloq/eval/rotated_box.hpp"
#include "yoloq/tensor/tensor.hpp"
#include "yoloq/yolo/letterbox.hpp"

namespace yoloq {

struct ObbLabel {
  int class_id = 0;
  Quad corners;  // normalised
};

// Parses a DOTA-style YOLO label file. Errors name the file and the line: a line with another
// count of numbers than 9 (e.g. a detect label's 5), a value that is not a number, a coordinate
// outside [0, 1], a class id that is not a whole number in [0, num_classes) (num_classes <= 0
// skips the upper bound).
std::vector<ObbLabel> read_obb_label_file(const std::filesystem::path& path, int num_classes);

struct ObbDetection {
  RotatedBox box;
  float score = 0;
  int class_id = 0;
};

struct ObbGroundTruth {
  Quad corners;  // pixels
  int class_id = 0;
};

// One image: labels and detections (descending score) in the same pixel coordinates.
struct ObbImage {
  std::vector<ObbGroundTruth> ground_truth;
  std::vector<ObbDetection> detections;
};

// The channels of an OBB output: 4 + nc + 1. Throws Error naming the output when the shape is not
// [B, 4 + nc + 1, A] (nc = num_classes, or channels - 5 when num_classes is 0).
std::int64_t obb_num_classes(const std::vector<std::int64_t>& shape, std::int64_t num_classes);

// Decodes one image of an OBB output and runs Ultralytics' rotated NMS (per class: probiou,
// Fast-NMS; conf, IoU threshold, max candidates and max_det from `options`). Input pixels.
std::vector<ObbDetection> decode_obb_detections(const Tensor& output, std::int64_t batch_index,
                                                const NmsOptions& options, std::int64_t num_classes);

// Input pixels -> original image pixels through the letterbox (centre and size; the angle is kept).
void map_to_original(std::vector<ObbDetection>& detections, const LetterboxGeometry& geometry);

// A float model's confident detections (score >= kAgreementReferenceScore) as the ground truth
// of the agreement metric, as for detect.
std::vector<ObbGroundTruth> obb_agreement_reference(const std::vector<ObbDetection>& float_detections);

struct ObbClassMetrics {
  int class_id = 0;
  std::size_t images = 0, instances = 0;
  double ap50 = 0, ap50_95 = 0;
};

struct ObbMetrics {
  double map50_95 = 0, map50 = 0;
  std::size_t images = 0, instances = 0;
  std::vector<ObbClassMetrics> per_class;  // classes present in the labels, ascending id
};

// Ultralytics-style matching (match_predictions) at IoU 0.50:0.05:0.95 with the exact rotated IoU,
// AP per class present in the labels, mean over them. `integral` Ultralytics: its ap_per_class
// (101-point trapezoid after appending recall 1 -> precision 0; a perfect ranking scores 0.995);
// Coco: COCO's 101-point mean of the precision envelope (a perfect ranking scores 1), which the
// agreement metric uses, as detect's agreement is COCO-style.
ObbMetrics obb_metrics(const std::vector<ObbImage>& images, ApMetric integral = ApMetric::Ultralytics);

std::string obb_metrics_text(const ObbMetrics& metrics, bool per_class, const std::vector<std::string>& names);
nlohmann::json to_json(const ObbMetrics& metrics, const std::vector<std::string>& names);

struct EvalOptions;
struct ObbEvalResult {
  ObbMetrics metrics;
  std::size_t images_without_label_file = 0;  // counted as images with no objects
  std::vector<std::string> class_names;
  double seconds = 0;
};

// `yoloq eval` on an OBB model: letterbox, ONNX Runtime, rotated NMS, map back, score.
ObbEvalResult evaluate_obb(const std::filesystem::path& model, const EvalOptions& options);

}  // namespace yoloq
