#include "yoloq/eval/dataset.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>

#include "yoloq/support/error.hpp"
#include "yoloq/support/file_io.hpp"

namespace fs = std::filesystem;

namespace yoloq {

bool parse_label_number(const std::string& field, double& value) {
  if (field.empty()) return false;
  errno = 0;
  char* end = nullptr;
  value = std::strtod(field.c_str(), &end);
  return errno == 0 && end == field.c_str() + field.size() && std::isfinite(value);
}

std::vector<LabelBox> read_label_file(const fs::path& path, int num_classes) {
  std::istringstream text(read_file(path));
  std::vector<LabelBox> boxes;
  std::string line;
  for (int line_number = 1; std::getline(text, line); ++line_number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream fields_in(line);
    std::vector<std::string> fields;
    for (std::string f; fields_in >> f;) fields.push_back(f);
    if (fields.empty()) continue;  // blank lines are harmless
    const std::string where = path.string() + ":" + std::to_string(line_number) + ": ";
    if (fields.size() != 5)
      throw Error(where + "expected 5 fields 'class cx cy w h', found " +
                  std::to_string(fields.size()));
    double values[5];
    for (int i = 0; i < 5; ++i)
      if (!parse_label_number(fields[static_cast<std::size_t>(i)], values[i]))
        throw Error(where + "field " + std::to_string(i + 1) + " '" +
                    fields[static_cast<std::size_t>(i)] + "' is not a number");
    if (values[0] < 0 || values[0] != std::floor(values[0]) || values[0] > 1e9)
      throw Error(where + "class id '" + fields[0] + "' is not a whole number >= 0");
    const int class_id = static_cast<int>(values[0]);
    if (num_classes > 0 && class_id >= num_classes)
      throw Error(where + "class id " + std::to_string(class_id) + " is beyond the model's " +
                  std::to_string(num_classes) + " classes (0.." + std::to_string(num_classes - 1) +
                  ")");
    for (int i = 1; i < 5; ++i)
      if (values[i] < 0 || values[i] > 1)
        throw Error(where + "coordinate '" + fields[static_cast<std::size_t>(i)] +
                    "' is outside [0, 1] (labels are normalised 'class cx cy w h')");
    boxes.push_back({class_id, values[1], values[2], values[3], values[4]});
  }
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
