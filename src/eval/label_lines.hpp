#pragma once
// The line loop every YOLO label file is read with: detect boxes (dataset.cpp), segment polygons
// and pose keypoints (task_labels.cpp), DOTA corners (obb_labels.cpp). What a line must hold is
// each format's own; splitting it, skipping blank lines, CRLF, and the checks all formats share
// (numbers, class ids) live here so that their errors read the same for every task.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace yoloq {

// A label field as a finite number: strtod on the whole field, so "0.5x" or "nan" are rejected
// rather than half-read.
bool parse_label_number(const std::string& field, double& value);

// One non-blank line of a label file, split on whitespace.
struct LabelLine {
  std::string where;                // "FILE:LINE: ", the start of every error about this line
  std::vector<std::string> fields;  // as written, the class id first

  // Throws Error(where + message).
  [[noreturn]] void fail(const std::string& message) const;
  // fields[first], fields[first + 1], ... as numbers; the first field that is not one fails with
  // "field N '...' is not a number" (N counted from 1, the class id being field 1).
  std::vector<double> numbers(std::size_t first) const;
  // fields[0] as a class id: a whole number >= 0, below num_classes (num_classes <= 0 skips that).
  int class_id(int num_classes) const;
  // fields[field], read as `value`, must lie in [0, 1]; `why` ends the error, in parentheses.
  void check_coordinate(std::size_t field, double value, const std::string& why) const;
};

// Reads the file and calls per_line on each non-blank line, in order.
void for_each_label_line(const std::filesystem::path& path,
                         const std::function<void(const LabelLine&)>& per_line);

}  // namespace yoloq
