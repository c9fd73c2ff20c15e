#pragma once
// Ultralytics' label formats for segment and pose datasets, one object per line, normalised:
// - segment: "class x1 y1 x2 y2 ... xn yn", a polygon of n >= 3 points; its box is the polygon's
//   extent (Ultralytics' segments2boxes). A 5-field "class cx cy w h" line is a box without mask.
// - pose: "class cx cy w h" then K keypoints of 2 or 3 values each (x y, or x y visibility).
//   A 5-field line is a box without keypoints.
// Errors name the file and line (wrong number of values, a polygon with an odd number of
// coordinates or fewer than 3 points, a value that is not a number or outside [0, 1]).
#include <cstdint>
#include <filesystem>
#include <vector>

#include "yoloq/eval/dataset.hpp"
#include "yoloq/eval/detection_metrics.hpp"

namespace yoloq {

struct TaskLabel {
  LabelBox box;                      // normalised
  std::vector<double> polygon;       // normalised x, y pairs; empty when the line has none
  std::vector<Keypoint> keypoints;   // normalised; empty when the line has none
};

// `keypoints` and `values_per_keypoint` describe pose labels (0 for segment labels).
std::vector<TaskLabel> read_segment_label_file(const std::filesystem::path& path, int num_classes);
std::vector<TaskLabel> read_pose_label_file(const std::filesystem::path& path, int num_classes,
                                            std::int64_t keypoints, std::int64_t values_per_keypoint);

// In pixels of a width x height image: the box as label_to_pixels computes it, the polygon
// rasterized (polygon_mask), the keypoints scaled (v kept; 2 when the labels have no visibility).
GroundTruth task_label_to_pixels(const TaskLabel& label, int width, int height, std::int64_t values_per_keypoint);

}  // namespace yoloq
