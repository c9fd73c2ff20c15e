#pragma once
// The metadata Ultralytics writes into its ONNX exports (metadata_props): task, image size,
// stride and class names. Their values are Python literals, parsed here without Python.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "yoloq/onnx/model.hpp"

namespace yoloq {

struct YoloMetadata {
  std::string task;                  // "detect", "segment", ...
  std::vector<std::int64_t> imgsz;   // [h, w]
  std::int64_t stride = 0;
  std::vector<std::string> names;    // index = class id
  std::vector<std::int64_t> kpt_shape;  // pose: [keypoints, values per keypoint (2 or 3)]
};

// nullopt when the model has no Ultralytics metadata (no "names" and no "task").
std::optional<YoloMetadata> read_yolo_metadata(const Model& model);

// Parses "{0: 'person', 1: \"bi'cycle\"}" into names by id; throws Error on malformed input.
std::vector<std::string> parse_class_names(const std::string& python_dict);

// How `yoloq inspect` shows it: a JSON object (null without metadata) and one text line.
nlohmann::json metadata_json(const std::optional<YoloMetadata>& metadata);
std::string metadata_text(const YoloMetadata& metadata);

}  // namespace yoloq
