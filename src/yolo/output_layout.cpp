#include "yoloq/yolo/output_layout.hpp"

#include "yoloq/support/error.hpp"
#include "yoloq/tensor/tensor.hpp"

namespace yoloq {

bool is_detect_output(const std::vector<std::int64_t>& shape, std::int64_t expected_classes) {
  if (shape.size() != 3 || shape[1] < 5 || shape[2] <= shape[1]) return false;
  return expected_classes <= 0 || shape[1] - kDetectBoxChannels == expected_classes;
}

bool is_end_to_end_output(const std::vector<std::int64_t>& shape) {
  return shape.size() == 3 && shape[2] == kEndToEndColumns && shape[1] >= 1 && !is_detect_output(shape);
}

DetectLayout detect_layout(const std::vector<std::int64_t>& shape, const std::string& output_name) {
  if (!is_detect_output(shape))
    throw Error("output '" + output_name + "' has shape [" + shape_string(shape) +
                "], expected a detect head's [batch, 4 + classes, anchors]");
  return {shape[0], shape[1] - kDetectBoxChannels, shape[2]};
}

}  // namespace yoloq
