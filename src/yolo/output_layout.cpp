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

DetectLayout detect_layout(const std::vector<std::int64_t>& shape, const std::string& output_name,
                           std::int64_t num_classes) {
  const bool fits = num_classes <= 0 ? is_detect_output(shape)
                                     : shape.size() == 3 && shape[1] >= kDetectBoxChannels + num_classes &&
                                           shape[2] > shape[1];
  if (!fits)
    throw Error("output '" + output_name + "' has shape [" + shape_string(shape) +
                "], expected a detect head's [batch, 4 + classes, anchors]");
  return {shape[0], num_classes > 0 ? num_classes : shape[1] - kDetectBoxChannels, shape[2], shape[1]};
}

std::string BoxOutputLayout::task_channels_name() const {
  if (task == "segment") return "mask coefficients";
  if (task == "pose") return "keypoints";
  if (task == "obb") return "angle";
  return "";
}

std::variant<BoxOutputLayout, std::string> box_output_layout(const Model& model, const std::vector<std::string>& outputs,
                                                             const std::vector<std::vector<std::int64_t>>& shapes) {
  const auto metadata = read_yolo_metadata(model);
  BoxOutputLayout layout;
  if (metadata && !metadata->task.empty()) layout.task = metadata->task;
  if (layout.task != "detect" && layout.task != "segment" && layout.task != "pose")
    return "the model's task is '" + layout.task + "'; boxes are scored for detect, segment and pose models";
  const std::size_t expected_outputs = layout.task == "segment" ? 2 : 1;
  if (outputs.size() != expected_outputs || shapes.size() != outputs.size())
    return "the model has " + std::to_string(outputs.size()) + " outputs; a " + layout.task + " model has " +
           std::to_string(expected_outputs);
  const auto& shape = shapes.front();
  const std::int64_t classes = metadata ? static_cast<std::int64_t>(metadata->names.size()) : 0;
  if (layout.task == "detect") {
    if (is_end_to_end_output(shape)) {
      layout.end_to_end = true;
      return layout;
    }
    if (!is_detect_output(shape, classes))
      return "output '" + outputs[0] + "' [" + shape_string(shape) +
             "] is neither a detect head's [batch, 4 + classes, anchors] nor end-to-end detections [batch, N, 6]";
    layout.num_classes = shape[1] - kDetectBoxChannels;
    return layout;
  }
  if (classes == 0) return "the " + layout.task + " model's metadata names no classes, so its scores cannot be told apart";
  layout.num_classes = classes;
  if (layout.task == "segment") {
    const auto& protos = shapes[1];
    if (protos.size() != 4) return "output '" + outputs[1] + "' [" + shape_string(protos) + "] is not [batch, masks, h, w] prototypes";
    layout.task_channels = protos[1];
  } else {
    const auto& kpt = metadata->kpt_shape;
    if (kpt.size() != 2 || kpt[0] < 1 || kpt[1] < 2 || kpt[1] > 3)
      return "the pose model's metadata has no kpt_shape [keypoints, 2 or 3]";
    layout.task_channels = kpt[0] * kpt[1];
    layout.keypoint_values = kpt[1];
  }
  const std::int64_t channels = kDetectBoxChannels + classes + layout.task_channels;
  if (shape.size() != 3 || shape[1] != channels || shape[2] <= channels)
    return "output '" + outputs[0] + "' [" + shape_string(shape) + "] does not fit a " + layout.task + " model with " +
           std::to_string(classes) + " classes and " + std::to_string(layout.task_channels) + " " +
           layout.task_channels_name() + ": expected [batch, " + std::to_string(channels) + ", anchors]";
  return layout;
}

std::optional<BoxOutputLayout> obb_parts_layout(const Model& model, const std::vector<std::vector<std::int64_t>>& shapes) {
  const auto metadata = read_yolo_metadata(model);
  if (!metadata || metadata->task != "obb" || metadata->names.empty() || shapes.size() != 1) return std::nullopt;
  const auto classes = static_cast<std::int64_t>(metadata->names.size());
  const auto& shape = shapes.front();
  if (shape.size() != 3 || shape[1] != kDetectBoxChannels + classes + 1) return std::nullopt;
  BoxOutputLayout layout;
  layout.task = "obb";
  layout.num_classes = classes;
  layout.task_channels = 1;
  return layout;
}

}  // namespace yoloq
