#include "yoloq/yolo/output_layout.hpp"

#include "yoloq/support/error.hpp"
#include "yoloq/tensor/tensor.hpp"
#include "yoloq/yolo/metadata.hpp"

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

std::optional<std::string> not_a_detect_model(const Model& model, const std::vector<std::string>& outputs,
                                              const std::vector<std::int64_t>& first_output_shape) {
  const auto metadata = read_yolo_metadata(model);
  if (metadata && !metadata->task.empty() && metadata->task != "detect")
    return "the model's task is '" + metadata->task + "', detection metrics apply to detect models only";
  if (outputs.size() != 1)
    return "the model has " + std::to_string(outputs.size()) +
           " outputs; a detect model has one [batch, 4 + classes, anchors]";
  const std::int64_t classes = metadata ? static_cast<std::int64_t>(metadata->names.size()) : 0;
  if (!is_detect_output(first_output_shape, classes) && !is_end_to_end_output(first_output_shape))
    return "output '" + outputs[0] + "' [" + shape_string(first_output_shape) +
           "] is neither a detect head's [batch, 4 + classes, anchors] nor end-to-end detections [batch, N, 6]";
  return std::nullopt;
}

}  // namespace yoloq
