#pragma once
// The layout of a YOLO detect head's output, [B, 4+nc, A]: four box values (cx, cy, w, h in
// input pixels), then nc class scores, for each of A anchors. Eval decodes it, verify reads its
// class-score channels; both ask here.
#include <cstdint>
#include <string>
#include <vector>

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

}  // namespace yoloq
