#include "yoloq/eval/dataset.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "eval/label_lines.hpp"

namespace fs = std::filesystem;

namespace yoloq {

std::vector<LabelBox> read_label_file(const fs::path& path, int num_classes) {
  std::vector<LabelBox> boxes;
  for_each_label_line(path, [&](const LabelLine& line) {
    if (line.fields.size() != 5)
      line.fail("expected 5 fields 'class cx cy w h', found " + std::to_string(line.fields.size()));
    const std::vector<double> values = line.numbers(0);
    const int class_id = line.class_id(num_classes);
    for (std::size_t i = 1; i < 5; ++i)
      line.check_coordinate(i, values[i], "labels are normalised 'class cx cy w h'");
    boxes.push_back({class_id, values[1], values[2], values[3], values[4]});
  });
  return boxes;
}

Box label_to_pixels(const LabelBox& l, int image_width, int image_height) {
  const double x = (l.cx - l.w / 2) * image_width, y = (l.cy - l.h / 2) * image_height;
  const double w = l.w * image_width, h = l.h * image_height;
  return {x, y, x + w, y + h};
}

fs::path label_path_for(const fs::path& image, const fs::path& labels_dir) {
  return labels_dir / (image.stem().string() + ".txt");
}

std::vector<long long> coco_image_ids(const std::vector<fs::path>& images) {
  std::vector<long long> numeric;
  std::set<long long> seen;
  for (const auto& image : images) {
    const std::string stem = image.stem().string();
    const bool digits =
        !stem.empty() && stem.size() <= 15 &&
        std::all_of(stem.begin(), stem.end(), [](unsigned char c) { return std::isdigit(c); });
    if (!digits || !seen.insert(std::stoll(stem)).second) {
      numeric.clear();
      break;
    }
    numeric.push_back(std::stoll(stem));
  }
  if (numeric.size() == images.size()) return numeric;
  std::vector<long long> positions(images.size());
  for (std::size_t i = 0; i < images.size(); ++i) positions[i] = static_cast<long long>(i + 1);
  return positions;
}

}  // namespace yoloq
