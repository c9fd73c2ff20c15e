// DOTA-style YOLO label files for OBB models: "class x1 y1 x2 y2 x3 y3 x4 y4", normalised.
#include "eval/label_lines.hpp"
#include "yoloq/eval/obb.hpp"

namespace fs = std::filesystem;

namespace yoloq {

std::vector<ObbLabel> read_obb_label_file(const fs::path& path, int num_classes) {
  std::vector<ObbLabel> labels;
  for_each_label_line(path, [&](const LabelLine& line) {
    if (line.fields.size() != 9)
      line.fail("expected 9 numbers 'class x1 y1 x2 y2 x3 y3 x4 y4' (an OBB label), found " +
                std::to_string(line.fields.size()));
    const std::vector<double> values = line.numbers(0);
    ObbLabel label;
    label.class_id = line.class_id(num_classes);
    for (std::size_t i = 1; i < 9; ++i) line.check_coordinate(i, values[i], "OBB labels are normalised corners");
    for (std::size_t c = 0; c < 4; ++c) label.corners[c] = {values[1 + 2 * c], values[2 + 2 * c]};
    labels.push_back(label);
  });
  return labels;
}

}  // namespace yoloq
