// DOTA-style YOLO label files for OBB models: "class x1 y1 x2 y2 x3 y3 x4 y4", normalised.
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "yoloq/eval/obb.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/file_io.hpp"

namespace fs = std::filesystem;

namespace yoloq {

namespace {

constexpr std::size_t kObbLabelFields = 9;

// strtod on the whole field, so "0.5x" or "nan" are rejected rather than half-read.
bool parse_number(const std::string& field, double& value) {
  if (field.empty()) return false;
  errno = 0;
  char* end = nullptr;
  value = std::strtod(field.c_str(), &end);
  return errno == 0 && end == field.c_str() + field.size() && std::isfinite(value);
}

}  // namespace

std::vector<ObbLabel> read_obb_label_file(const fs::path& path, int num_classes) {
  std::istringstream text(read_file(path));
  std::vector<ObbLabel> labels;
  std::string line;
  for (int line_number = 1; std::getline(text, line); ++line_number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream fields_in(line);
    std::vector<std::string> fields;
    for (std::string f; fields_in >> f;) fields.push_back(f);
    if (fields.empty()) continue;  // blank lines are harmless
    const std::string where = path.string() + ":" + std::to_string(line_number) + ": ";
    if (fields.size() != kObbLabelFields)
      throw Error(where + "expected 9 numbers 'class x1 y1 x2 y2 x3 y3 x4 y4' (an OBB label), found " +
                  std::to_string(fields.size()));
    double values[kObbLabelFields];
    for (std::size_t i = 0; i < kObbLabelFields; ++i)
      if (!parse_number(fields[i], values[i]))
        throw Error(where + "field " + std::to_string(i + 1) + " '" + fields[i] + "' is not a number");
    if (values[0] < 0 || values[0] != std::floor(values[0]) || values[0] > 1e9)
      throw Error(where + "class id '" + fields[0] + "' is not a whole number >= 0");
    const int class_id = static_cast<int>(values[0]);
    if (num_classes > 0 && class_id >= num_classes)
      throw Error(where + "class id " + std::to_string(class_id) + " is beyond the model's " +
                  std::to_string(num_classes) + " classes (0.." + std::to_string(num_classes - 1) + ")");
    for (std::size_t i = 1; i < kObbLabelFields; ++i)
      if (values[i] < 0 || values[i] > 1)
        throw Error(where + "coordinate '" + fields[i] + "' is outside [0, 1] (OBB labels are normalised corners)");
    ObbLabel label;
    label.class_id = class_id;
    for (std::size_t c = 0; c < 4; ++c) label.corners[c] = {values[1 + 2 * c], values[2 + 2 * c]};
    labels.push_back(label);
  }
  return labels;
}

}  // namespace yoloq
