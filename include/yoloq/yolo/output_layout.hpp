#pragma once
// The layouts of a YOLO detect model's output: the head's [B, 4+nc, A] (four box values, cx, cy,
// w, h in input pixels, then nc class scores, for each of A anchors), or an end-to-end model's
// ranked detections. Eval decodes them, verify reads their scores; both ask here.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "yoloq/onnx/model.hpp"

namespace yoloq {

// cx, cy, w, h: the class scores start after them.
inline constexpr std::int64_t kDetectBoxChannels = 4;

// The shape of a head output [B, 4+nc(+task channels), A]; throws Error naming `output_name`
// otherwise. `num_classes` 0: every channel after the box is a class score (detect); else the
// scores are that many channels and the rest, if any, are the task's.
struct DetectLayout {
  std::int64_t batch = 0, num_classes = 0, anchors = 0;
  std::int64_t channels = 0;  // 4 + num_classes + the task's channels
};
DetectLayout detect_layout(const std::vector<std::int64_t>& shape, const std::string& output_name,
                           std::int64_t num_classes = 0);
// True when the shape looks like a detect head's output (rank 3, 4+nc channels with nc >= 1, more
// anchors than channels). `expected_classes` > 0 also requires that many classes.
bool is_detect_output(const std::vector<std::int64_t>& shape, std::int64_t expected_classes = 0);

// The output of an end-to-end (NMS-free) detect model, [B, N, 6]: N detections ranked by score,
// each x1, y1, x2, y2 in input pixels, score, class id. YOLO26 and YOLOv10 export it by default
// (Ultralytics' end2end); its rows are already final, so it takes no NMS.
inline constexpr std::int64_t kEndToEndColumns = 6;
bool is_end_to_end_output(const std::vector<std::int64_t>& shape);

// How boxes are read from a model's first output. Detect models hold 4 + nc channels per anchor
// (or end-to-end rows); segment and pose models carry channels of their own after the class
// scores (mask coefficients; keypoint values), so their boxes are scored as detections once nc is
// known from the metadata.
struct BoxOutputLayout {
  std::string task = "detect";
  std::int64_t num_classes = 0;    // score channels after the box; 0 for end-to-end rows
  std::int64_t task_channels = 0;  // after the scores: mask coefficients or keypoint values
  bool end_to_end = false;
  std::int64_t keypoint_values = 0;  // pose: values per keypoint, 2 (x, y) or 3 (x, y, visibility)
  // What the task's channels hold: "mask coefficients", "keypoints", "angle", or "" for detect.
  std::string task_channels_name() const;
};

// The layout of `model`'s first output from its task (Ultralytics metadata; none = detect), class
// names and output shapes (`outputs` names them, `shapes` in the same order), or why its boxes
// cannot be scored: another task (obb, classify), or shapes that do not fit the task (e.g. a
// segment model's output0 must have 4 + nc + the prototypes' channels).
std::variant<BoxOutputLayout, std::string> box_output_layout(const Model& model, const std::vector<std::string>& outputs,
                                                             const std::vector<std::vector<std::int64_t>>& shapes);

// An OBB model's output [B, 4 + nc + 1, A] split into its parts (cx, cy, w, h; class scores; the
// angle), for verify's per-part figures; its rotated boxes are scored elsewhere (eval/obb.hpp).
// nullopt unless the metadata says obb with class names and the one output fits them.
std::optional<BoxOutputLayout> obb_parts_layout(const Model& model, const std::vector<std::vector<std::int64_t>>& shapes);

}  // namespace yoloq
