#pragma once
// Turning a YOLO detect head's raw output into detections, as the Ultralytics validator does:
// decode [B, 4+nc, A] (cx, cy, w, h in input pixels, then nc class scores), keep each
// anchor's best class above a confidence threshold (or every class: multi-label), per-class
// greedy NMS, at most max_det per image, then map the boxes back through the letterbox.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "yoloq/eval/rle_mask.hpp"
#include "yoloq/tensor/tensor.hpp"
#include "yoloq/yolo/letterbox.hpp"
#include "yoloq/yolo/output_layout.hpp"

namespace yoloq {

// Corners in pixels. Double so that the coordinates written to a COCO results file are exactly the
// ones the built-in COCO evaluator uses.
struct Box {
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  double width() const { return x2 - x1; }
  double height() const { return y2 - y1; }
  double area() const { return width() * height(); }
};

// A pose keypoint in pixels; v is a label's visibility (0 unlabelled, 1, 2) or the model's
// visibility confidence (1 when the model has none).
struct Keypoint {
  double x = 0, y = 0, v = 0;
};

struct Detection {
  Box box;
  float score = 0;
  int class_id = 0;
  std::int64_t anchor = -1;  // the output column it was decoded from (its mask coefficients, keypoints)
  RleMask mask;                     // segment models, at the original image resolution
  std::vector<Keypoint> keypoints;  // pose models, in the same pixels as the box
};

// Intersection over union; 0 when the union is empty. Boxes with x2 < x1 count as empty.
double iou(const Box& a, const Box& b);

struct NmsOptions {
  float conf_threshold = 0.001f;
  double iou_threshold = 0.7;  // a box is suppressed when its IoU with a kept box is above this
  std::size_t max_det = 300;
  std::size_t max_candidates = 30000;  // Ultralytics' max_nms: best-scoring candidates fed to NMS
  // false: each anchor's best class only (Ultralytics' predict, and how the project's reference
  // numbers were measured). true: every class above the threshold (Ultralytics' validator).
  bool multi_label = false;
};

// Greedy NMS within each class. Candidates are visited by descending score; equal scores keep
// their input order (the earlier one wins). Returns kept detections by descending score.
std::vector<Detection> non_max_suppression(std::vector<Detection> candidates,
                                           const NmsOptions& options);

// Decodes one image (`batch_index`) of a float32 detect output and runs NMS; an end-to-end
// output's rows above the confidence threshold are taken as they are (the model ran its own
// selection). Boxes stay in the network input's pixel coordinates. `num_classes` 0: every channel
// after the box is a class score; else only that many are, and the rest (a segment or pose
// model's own channels, BoxOutputLayout) are not read.
std::vector<Detection> decode_detections(const Tensor& output, std::int64_t batch_index,
                                         const NmsOptions& options, std::int64_t num_classes = 0);

// Input pixels -> original image pixels: subtract the padding, divide by the scale, clip to the
// image.
Box map_to_original(const Box& box, const LetterboxGeometry& geometry);
void map_to_original(std::vector<Detection>& detections, const LetterboxGeometry& geometry);

}  // namespace yoloq
