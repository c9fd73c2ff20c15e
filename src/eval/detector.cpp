#include "yoloq/eval/detector.hpp"

#include "yoloq/support/error.hpp"

namespace yoloq {

namespace {

// One probe run on a blank image gives the output's real shape even when the model declares it
// with symbolic dimensions.
std::vector<std::int64_t> probe_output_shape(Session& session, const std::string& input, int height,
                                             int width) {
  Tensor blank(DType::Float32, {1, 3, height, width});
  return session.run({{input, std::move(blank)}}, {session.output_names().front()}).front().shape;
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
  // An end-to-end output does not say how many classes there are (0: labels are not bounded).
  const auto output_shape = probe_output_shape(session_, input_name_, height_, width_);
  num_classes_ = is_end_to_end_output(output_shape)
                     ? 0
                     : detect_layout(output_shape, model.string() + ": " + output_name_).num_classes;
}

std::vector<Detection> Detector::detect_letterboxed(const Tensor& input) {
  NamedTensors inputs;
  inputs.emplace_back(input_name_, input);
  const auto outputs = session_.run(inputs, {output_name_});
  return decode_detections(outputs.front(), 0, nms_);
}

std::vector<Detection> Detector::detect(const LetterboxedImage& image) {
  auto detections = detect_letterboxed(image.tensor);
  map_to_original(detections, image.geometry);
  return detections;
}

}  // namespace yoloq
