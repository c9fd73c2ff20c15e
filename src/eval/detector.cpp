#include "yoloq/eval/detector.hpp"

#include "yoloq/eval/task_outputs.hpp"
#include "yoloq/onnx/model.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq {

namespace {

// One probe run on a blank image gives the outputs' real shapes even when the model declares them
// with symbolic dimensions.
std::vector<std::vector<std::int64_t>> probe_output_shapes(Session& session, const std::string& input, int height,
                                                           int width) {
  Tensor blank(DType::Float32, {1, 3, height, width});
  std::vector<std::vector<std::int64_t>> shapes;
  for (const auto& output : session.run({{input, std::move(blank)}}, session.output_names())) shapes.push_back(output.shape);
  return shapes;
}

}  // namespace

Detector::Detector(const std::filesystem::path& model, int imgsz, const RuntimeOptions& runtime,
                   const NmsOptions& nms)
    : path_(model), session_(model, runtime), nms_(nms) {
  if (session_.input_names().size() != 1)
    throw Error(model.string() + ": a detect model has one input, this one has " +
                std::to_string(session_.input_names().size()));
  input_name_ = session_.input_names().front();
  output_name_ = session_.output_names().front();
  const auto shape = session_.input_shapes().front();
  if (shape.size() != 4 || (shape[1] != 3 && shape[1] != -1))
    throw Error(model.string() + ": input '" + input_name_ + "' has shape [" + shape_string(shape) +
                "], expected an image batch [N, 3, H, W]");
  const bool fixed = shape[2] > 0 && shape[3] > 0;
  if (imgsz <= 0 && !fixed)
    throw Error(model.string() + ": input '" + input_name_ + "' has a dynamic size; give --imgsz");
  if (imgsz > 0 && fixed && (shape[2] != imgsz || shape[3] != imgsz))
    throw Error(model.string() + ": input '" + input_name_ + "' is fixed at " +
                std::to_string(shape[2]) + "x" + std::to_string(shape[3]) + ", --imgsz " +
                std::to_string(imgsz) + " does not fit it");
  height_ = fixed ? static_cast<int>(shape[2]) : imgsz;
  width_ = fixed ? static_cast<int>(shape[3]) : imgsz;
  // The task and class count come from the metadata and the outputs' real shapes; a model whose
  // outputs do not fit its task is an error, not a silent score. An end-to-end output does not say
  // how many classes there are (0: labels are not bounded).
  output_shapes_ = probe_output_shapes(session_, input_name_, height_, width_);
  const auto layout = box_output_layout(load_model(model), session_.output_names(), output_shapes_);
  if (const auto* why_not = std::get_if<std::string>(&layout)) throw Error(model.string() + ": " + *why_not);
  layout_ = std::get<BoxOutputLayout>(layout);
  num_classes_ = layout_.num_classes;
}

std::vector<Detection> Detector::detect_letterboxed(const Tensor& input) {
  NamedTensors inputs;
  inputs.emplace_back(input_name_, input);
  const auto outputs = session_.run(inputs, {output_name_});
  return decode_detections(outputs.front(), 0, nms_, num_classes_);
}

std::vector<Detection> Detector::detect(const LetterboxedImage& image) {
  if (layout_.task == "detect") {
    auto detections = detect_letterboxed(image.tensor);
    map_to_original(detections, image.geometry);
    return detections;
  }
  // Segment and pose models: the task's parts are read from every output at each kept anchor.
  NamedTensors inputs;
  inputs.emplace_back(input_name_, image.tensor);
  const auto outputs = session_.run(inputs, session_.output_names());
  auto detections = decode_detections(outputs.front(), 0, nms_, num_classes_);
  map_to_original(detections, image.geometry);
  attach_task_outputs(detections, outputs, 0, layout_, image.geometry);
  return detections;
}

}  // namespace yoloq
