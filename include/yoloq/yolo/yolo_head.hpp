#pragma once
// Finds an Ultralytics head by graph structure, never by node names, and says what kind it is:
// the output convolutions that produce the raw channels, everything downstream of them (the
// decoding), and the parts of each kind.
//
// Box decoding comes in two shapes:
// - with a DFL (YOLOv8, YOLO11, YOLOv10): Reshape -> Transpose -> Softmax -> a 1x1 Conv with
//   reg_max inputs and 1 output (reg_max read from that weight); the box convolutions feed its
//   Reshape.
// - without one (YOLO26: boxes come straight out of 4-channel convolutions).
// Either way the class scores are one Sigmoid over the per-level class convolutions joined by
// Reshape/Concat, read by nothing but joins and the selection (a keypoint visibility Sigmoid feeds
// arithmetic; an OBB angle Sigmoid feeds a Sub), and the output convolutions are the last
// convolutions on every path from the graph's outputs.
//
// The task is read from structure too: a rank-4 graph output fed by its own convolutions is a
// segment model's prototypes; Cos/Sin in the decoding are an OBB model's rotated boxes; other
// output convolutions (neither box nor class) are a pose model's keypoints. A classify model has
// no box decoding: a pool, a Linear (Gemm/MatMul) and a Softmax at the output.
#include <cstddef>
#include <optional>
#include <set>
#include <string>

#include "yoloq/onnx/model.hpp"

namespace yoloq {

enum class HeadKind { Detect, Segment, Pose, Obb, Classify };
std::string head_kind_name(HeadKind kind);  // "detect", "segment", "pose", "obb", "classify"

struct YoloHead {
  HeadKind kind = HeadKind::Detect;
  std::optional<std::size_t> dfl_softmax, dfl_conv;  // node indices into the graph; none without a DFL
  int reg_max = 1;                                   // DFL bins per box side; 1 without a DFL
  // The convolutions producing the raw output channels, every one of them, and their split by
  // branch: boxes, class scores, and the task's own (mask coefficients, keypoints, angle; for a
  // classify model the convolution before the pool).
  std::set<std::size_t> output_convs, box_convs, class_convs, task_convs;
  // A segment model's prototype branch: the Proto module from its first convolution to the
  // prototypes output (its last convolution is among output_convs).
  std::set<std::size_t> prototypes;
  std::optional<std::size_t> class_sigmoid;  // the class probabilities (none for classify)
  // Every node downstream of the output convolutions, excluding them: the per-level joins, the
  // DFL, the anchor/stride arithmetic, the class Sigmoid, the keypoint or rotated-box decoding,
  // the final Concat, an end-to-end selection, a classifier's pool, Linear and Softmax.
  std::set<std::size_t> tail;
  // End-to-end (NMS-free) post-processing in the graph: the TopK/GatherElements selection of
  // YOLOv10 and YOLO26 and what follows it. Empty for one-to-many heads.
  std::set<std::size_t> selection;

  bool end_to_end() const { return !selection.empty(); }
  // One line for plans and summaries: "pose: DFL (reg_max 16), 6 box/class + 3 keypoint output
  // convolutions, 54 decode nodes".
  std::string description() const;
};

std::optional<YoloHead> find_yolo_head(const GraphIndex& index);

}  // namespace yoloq
