#pragma once
// A detect, segment or pose model in ONNX Runtime, used the way the Ultralytics validator uses it: letterbox to the
// model's input size, run, decode the first output, NMS, boxes back in original image pixels.
#include <filesystem>
#include <string>
#include <vector>

#include "yoloq/eval/detection.hpp"
#include "yoloq/runtime/session.hpp"

namespace yoloq {

class Detector {
 public:
  // imgsz 0: the model's own input size (its input must then have fixed height and width).
  // A model with a fixed input size accepts only that size (else Error).
  Detector(const std::filesystem::path& model, int imgsz, const RuntimeOptions& runtime = {},
           const NmsOptions& nms = {});

  int input_height() const { return height_; }
  int input_width() const { return width_; }
  std::int64_t num_classes() const { return num_classes_; }
  // The task and how its first output is laid out (metadata and output shapes agree: else the
  // constructor threw), and every output's shape from the probe run.
  const BoxOutputLayout& layout() const { return layout_; }
  const std::vector<std::vector<std::int64_t>>& output_shapes() const { return output_shapes_; }
  const std::string& input_name() const { return input_name_; }
  const std::string& output_name() const { return output_name_; }

  // Input pixels of the letterboxed image, before mapping back.
  std::vector<Detection> detect_letterboxed(const Tensor& input);
  // Original image pixels, with each detection's mask (segment) or keypoints (pose).
  std::vector<Detection> detect(const LetterboxedImage& image);
  Session& session() { return session_; }

 private:
  std::filesystem::path path_;
  Session session_;
  NmsOptions nms_;
  std::string input_name_, output_name_;
  int height_ = 0, width_ = 0;
  std::int64_t num_classes_ = 0;
  BoxOutputLayout layout_;
  std::vector<std::vector<std::int64_t>> output_shapes_;
};

}  // namespace yoloq
