#pragma once
// The layouts of a YOLO detect model's output: the head's [B, 4+nc, A] (four box values, cx, cy,
// w, h in input pixels, then nc class scores, for each of A anchors), or an end-to-end model's
// ranked detections. Eval decodes them, verify reads their scores; both ask here.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "yoloq/onnx/model.hpp"

namespace yoloq {

// cx, cy, w, h: the class scores start after them.
inline constexpr std::int64_t kDetectBoxChannels = 4;

// The shape of a detect output [B, 4+nc, A]; throws Error naming `output_name` otherwise.
struct DetectLayout {
  std::int64_t batch = 0, num_classes = 0, anchors = 0;
};
DetectLayout detect_layout(const std::vector<std::int64_t>& shape, const std::string& output_name);
// True when the shape looks like a detect head's output (rank 3, 4+nc channels with nc >= 1, more
// anchors than channels). `expected_classes` > 0 also requires that many classes.
bool is_detect_output(const std::vector<std::int64_t>& shape, std::int64_t expected_classes = 0);

// The output of an end-to-end (NMS-free) detect model, [B, N, 6]: N detections ranked by score,
// each x1, y1, x2, y2 in input pixels, score, class id. YOLO26 and YOLOv10 export it by default
// (Ultralytics' end2end); its rows are already final, so it takes no NMS.
inline constexpr std::int64_t kEndToEndColumns = 6;
bool is_end_to_end_output(const std::vector<std::int64_t>& shape);

// Why `model` is not a detect model whose detections can be scored, or nullopt when it is: one
// output (`outputs` names the model's), shaped like a head's [B, 4+nc, A] or end-to-end [B, N, 6],
// and Ultralytics metadata, when present, saying task detect with nc names (segment and pose
// outputs also have [B, C, A] shapes, hence the task).
std::optional<std::string> not_a_detect_model(const Model& model, const std::vector<std::string>& outputs,
                                              const std::vector<std::int64_t>& first_output_shape);

}  // namespace yoloq
