// Segment (polygon) and pose (keypoint) label files in Ultralytics' format.
#include "yoloq/eval/task_labels.hpp"

#include <algorithm>
#include <cmath>

#include "eval/label_lines.hpp"
#include "yoloq/support/error.hpp"

namespace fs = std::filesystem;

namespace yoloq {

namespace {

// values[i] (fields[i + 1] as written; the class id is field 1) must lie in [low, high]:
// coordinates in [0, 1], pose visibilities in [0, 2].
void check_range(const LabelLine& line, const std::vector<double>& values, std::size_t i, double low, double high,
                 const char* what) {
  if (values[i] < low || values[i] > high)
    line.fail("field " + std::to_string(i + 2) + " '" + line.fields[i + 1] + "' is outside [" +
              std::to_string(static_cast<int>(low)) + ", " + std::to_string(static_cast<int>(high)) + "] (" + what +
              ")");
}
constexpr const char* kNormalised = "label coordinates are normalised";

LabelBox box_from_values(int class_id, const std::vector<double>& v) { return {class_id, v[0], v[1], v[2], v[3]}; }

}  // namespace

std::vector<TaskLabel> read_segment_label_file(const fs::path& path, int num_classes) {
  std::vector<TaskLabel> labels;
  for_each_label_line(path, [&](const LabelLine& line) {
    // The class id before the other numbers, so a non-numeric one is reported as a bad class id.
    const int class_id = line.class_id(num_classes);
    const std::vector<double> values = line.numbers(1);
    const std::size_t n = values.size();
    for (std::size_t i = 0; i < n; ++i) check_range(line, values, i, 0, 1, kNormalised);
    TaskLabel label;
    if (n == 4) {  // Ultralytics reads lines of up to 6 fields as boxes; 5 is the box format
      label.box = box_from_values(class_id, values);
      labels.push_back(std::move(label));
      return;
    }
    if (n % 2 != 0)
      line.fail("a polygon needs x y pairs, found " + std::to_string(n) +
                " coordinates (an odd number) after the class");
    if (n < 6)
      line.fail("a polygon needs at least 3 points, found " + std::to_string(n / 2));
    label.polygon = values;
    // The box is the polygon's extent, as Ultralytics' segments2boxes makes it.
    double x_min = 1, y_min = 1, x_max = 0, y_max = 0;
    for (std::size_t i = 0; i < n; i += 2) {
      x_min = std::min(x_min, values[i]), x_max = std::max(x_max, values[i]);
      y_min = std::min(y_min, values[i + 1]), y_max = std::max(y_max, values[i + 1]);
    }
    label.box = {class_id, (x_min + x_max) / 2, (y_min + y_max) / 2, x_max - x_min, y_max - y_min};
    labels.push_back(std::move(label));
  });
  return labels;
}

std::vector<TaskLabel> read_pose_label_file(const fs::path& path, int num_classes, std::int64_t keypoints,
                                            std::int64_t values_per_keypoint) {
  if (keypoints < 1 || values_per_keypoint < 2 || values_per_keypoint > 3)
    throw Error("read_pose_label_file: keypoint shape [" + std::to_string(keypoints) + ", " +
                std::to_string(values_per_keypoint) + "] is not [K, 2 or 3]");
  const auto expected = static_cast<std::size_t>(4 + keypoints * values_per_keypoint);
  std::vector<TaskLabel> labels;
  for_each_label_line(path, [&](const LabelLine& line) {
    // The class id before the other numbers, so a non-numeric one is reported as a bad class id.
    const int class_id = line.class_id(num_classes);
    const std::vector<double> values = line.numbers(1);
    const std::size_t n = values.size();
    if (n != 4 && n != expected)
      line.fail("expected 5 + " + std::to_string(keypoints) + " x " + std::to_string(values_per_keypoint) + " = " +
                std::to_string(expected + 1) +
                " fields 'class cx cy w h' then the keypoints (or 5 for a box alone), found " + std::to_string(n + 1));
    const auto per = static_cast<std::size_t>(values_per_keypoint);
    for (std::size_t i = 0; i < n; ++i) {
      const bool visibility = i >= 4 && per == 3 && (i - 4) % 3 == 2;
      check_range(line, values, i, 0, visibility ? 2 : 1,
                  visibility ? "a keypoint's visibility is 0, 1 or 2" : kNormalised);
    }
    TaskLabel label;
    label.box = box_from_values(class_id, values);
    for (std::size_t i = 4; i < n; i += per)
      label.keypoints.push_back({values[i], values[i + 1], per == 3 ? values[i + 2] : 2.0});
    labels.push_back(std::move(label));
  });
  return labels;
}

GroundTruth task_label_to_pixels(const TaskLabel& label, int width, int height, std::int64_t values_per_keypoint) {
  GroundTruth gt;
  gt.box = label_to_pixels(label.box, width, height);
  gt.class_id = label.box.class_id;
  if (!label.polygon.empty()) {
    std::vector<double> xy(label.polygon.size());
    for (std::size_t i = 0; i < xy.size(); i += 2) {
      xy[i] = label.polygon[i] * width;
      xy[i + 1] = label.polygon[i + 1] * height;
    }
    gt.mask = polygon_mask(xy, height, width);
  }
  for (const auto& k : label.keypoints)
    gt.keypoints.push_back({k.x * width, k.y * height, values_per_keypoint == 3 ? k.v : 2.0});
  return gt;
}

}  // namespace yoloq
