#include "eval/label_lines.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "yoloq/support/error.hpp"
#include "yoloq/support/file_io.hpp"

namespace yoloq {

bool parse_label_number(const std::string& field, double& value) {
  if (field.empty()) return false;
  errno = 0;
  char* end = nullptr;
  value = std::strtod(field.c_str(), &end);
  return errno == 0 && end == field.c_str() + field.size() && std::isfinite(value);
}

void LabelLine::fail(const std::string& message) const { throw Error(where + message); }

std::vector<double> LabelLine::numbers(std::size_t first) const {
  std::vector<double> values;
  for (std::size_t i = first; i < fields.size(); ++i) {
    double value = 0;
    if (!parse_label_number(fields[i], value))
      fail("field " + std::to_string(i + 1) + " '" + fields[i] + "' is not a number");
    values.push_back(value);
  }
  return values;
}

int LabelLine::class_id(int num_classes) const {
  double value = 0;
  // 1e9 keeps the cast to int defined.
  if (!parse_label_number(fields[0], value) || value < 0 || value != std::floor(value) || value > 1e9)
    fail("class id '" + fields[0] + "' is not a whole number >= 0");
  const int id = static_cast<int>(value);
  if (num_classes > 0 && id >= num_classes)
    fail("class id " + std::to_string(id) + " is beyond the model's " + std::to_string(num_classes) +
         " classes (0.." + std::to_string(num_classes - 1) + ")");
  return id;
}

void LabelLine::check_coordinate(std::size_t field, double value, const std::string& why) const {
  if (value < 0 || value > 1) fail("coordinate '" + fields[field] + "' is outside [0, 1] (" + why + ")");
}

void for_each_label_line(const std::filesystem::path& path,
                         const std::function<void(const LabelLine&)>& per_line) {
  std::istringstream text(read_file(path));
  std::string text_line;
  for (int line_number = 1; std::getline(text, text_line); ++line_number) {
    if (!text_line.empty() && text_line.back() == '\r') text_line.pop_back();
    LabelLine line;
    std::istringstream fields_in(text_line);
    for (std::string field; fields_in >> field;) line.fields.push_back(field);
    if (line.fields.empty()) continue;  // blank lines are harmless
    line.where = path.string() + ":" + std::to_string(line_number) + ": ";
    per_line(line);
  }
}

}  // namespace yoloq
