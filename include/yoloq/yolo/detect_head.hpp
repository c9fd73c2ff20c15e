#pragma once
// Finds an Ultralytics Detect head by graph structure, never by node names: the output
// convolutions that produce the raw box and class channels, and everything downstream of them
// (the DFL when there is one, box decoding, the Sigmoid of the class scores, the final Concat, and
// an end-to-end model's top-k selection).
//
// Two shapes of head are recognised:
// - with a DFL (YOLOv8, YOLO11, YOLOv10): Reshape -> Transpose -> Softmax -> a 1x1 Conv with 16
//   inputs and 1 output; the output convolutions are those feeding its Reshape.
// - without one (YOLO26: reg_max 1, boxes come straight out of 4-channel convolutions): a Sigmoid
//   over the per-level class convolutions joined by Reshape/Concat; the output convolutions are
//   the last convolutions on every path from the graph's outputs, which the class convolutions
//   must be among.
#include <cstddef>
#include <optional>
#include <set>

#include "yoloq/onnx/model.hpp"

namespace yoloq {

struct DetectHead {
  std::optional<std::size_t> dfl_softmax, dfl_conv;  // node indices into the graph; none without a DFL
  // The convolutions producing the raw output channels: boxes, class scores, and a segment
  // model's mask coefficients and prototypes or a pose model's keypoints.
  std::set<std::size_t> output_convs;
  // Every node downstream of the output convolutions, excluding the output convolutions
  // themselves: the per-level Concats and Reshapes, the DFL, the anchor/stride arithmetic, the
  // Sigmoid of the class scores, the keypoint decoding, the final Concat, an end-to-end selection.
  std::set<std::size_t> tail;
};

std::optional<DetectHead> find_detect_head(const GraphIndex& index);

}  // namespace yoloq
