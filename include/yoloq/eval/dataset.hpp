#pragma once
// YOLO-format datasets: images in one folder, labels/NAME.txt for images/NAME.jpg with one line
// per object, "class cx cy w h", coordinates normalised to [0, 1].
#include <filesystem>
#include <string>
#include <vector>

#include "yoloq/data/image_folder.hpp"
#include "yoloq/eval/detection.hpp"

namespace yoloq {

struct LabelBox {
  int class_id = 0;
  double cx = 0, cy = 0, w = 0, h = 0;  // normalised
};

// Parses one label file. Errors name the file and the line: wrong number of fields, a value that
// is not a number, a coordinate outside [0, 1], a class id that is not a whole number in
// [0, num_classes) (num_classes <= 0 skips the upper bound).
std::vector<LabelBox> read_label_file(const std::filesystem::path& path, int num_classes);

// Corners in original image pixels, computed as COCO converters do: x = (cx - w/2) * width.
Box label_to_pixels(const LabelBox& label, int image_width, int image_height);

// labels_dir / (stem + ".txt").
std::filesystem::path label_path_for(const std::filesystem::path& image,
                                     const std::filesystem::path& labels_dir);

// COCO image ids: the stem as a number when every stem is all digits and distinct as a number
// (as Ultralytics does for COCO file names), else the position in the sorted list, from 1. The
// pycocotools cross-check script follows the same rule.
std::vector<long long> coco_image_ids(const std::vector<std::filesystem::path>& images);

}  // namespace yoloq
