#pragma once
// Keypoint similarity (OKS) of a pose model's keypoints against labelled ones, in the two flavours
// yoloq's AP comes in: pycocotools' COCOeval.computeOks and Ultralytics' kpt_iou.
#include <vector>

#include "yoloq/eval/detection.hpp"

namespace yoloq {

// COCO's 17 person keypoints' sigmas (pycocotools' Params.kpt_oks_sigmas, also Ultralytics'
// OKS_SIGMA); other keypoint counts use 1/K each, as Ultralytics does.
std::vector<double> keypoint_sigmas(std::size_t keypoints);

// pycocotools' OKS for one detection and one labelled object: over the labelled keypoints
// (v > 0), mean of exp(-d^2 / (2 s^2 area)) with s = 2 sigma; with none labelled, the distance to
// the labelled box grown by its size on every side. `area` is the object's area in pixels (yoloq
// uses the labelled box's w * h: YOLO pose labels carry no segmentation area).
double coco_oks(const std::vector<Keypoint>& detected, const std::vector<Keypoint>& labelled, const Box& labelled_box,
                double area);

// Ultralytics' kpt_iou: the same exponent with area = 0.53 * box area and float32 epsilons,
// averaged over keypoints with v != 0.
double ultralytics_oks(const std::vector<Keypoint>& detected, const std::vector<Keypoint>& labelled,
                       const Box& labelled_box);

}  // namespace yoloq
