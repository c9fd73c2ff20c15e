#pragma once
// The parts of a segment or pose model's output beyond the box, for detections already decoded
// (decode_detections keeps each one's anchor) and mapped to the original image:
// - segment: the mask as Ultralytics' process_mask_native makes it: coefficients x prototypes,
//   the prototypes' letterbox padding cropped, bilinear resize (align_corners false) to the
//   original image, cropped to the box, kept where the logit is > 0 (sigmoid > 0.5);
// - pose: the keypoints, mapped through the letterbox like the box and clipped to the image.
#include <cstdint>
#include <vector>

#include "yoloq/eval/detection.hpp"
#include "yoloq/tensor/tensor.hpp"
#include "yoloq/yolo/letterbox.hpp"
#include "yoloq/yolo/output_layout.hpp"

namespace yoloq {

// `output` is the [B, 4 + nc + masks, A] head output and `prototypes` the [B, masks, h, w]
// second output; `batch_index` picks the image. Only the pixels inside each box are computed.
void attach_masks(std::vector<Detection>& detections, const Tensor& output, const Tensor& prototypes,
                  std::int64_t batch_index, const BoxOutputLayout& layout, const LetterboxGeometry& geometry);

// `output` is the [B, 4 + nc + K * values, A] head output.
void attach_keypoints(std::vector<Detection>& detections, const Tensor& output, std::int64_t batch_index,
                      const BoxOutputLayout& layout, const LetterboxGeometry& geometry);

// Both, as the layout's task asks (nothing for detect). `outputs` are the model's outputs in order.
void attach_task_outputs(std::vector<Detection>& detections, const std::vector<Tensor>& outputs,
                         std::int64_t batch_index, const BoxOutputLayout& layout, const LetterboxGeometry& geometry);

}  // namespace yoloq
