#include "yoloq/eval/detection.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "yoloq/support/error.hpp"

namespace yoloq {

double iou(const Box& a, const Box& b) {
  const double iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  const double ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0.0;
  const double inter = iw * ih;
  const double area_a = std::max(0.0, a.width()) * std::max(0.0, a.height());
  const double area_b = std::max(0.0, b.width()) * std::max(0.0, b.height());
  const double uni = area_a + area_b - inter;
  return uni > 0 ? inter / uni : 0.0;
}

std::vector<Detection> non_max_suppression(std::vector<Detection> candidates,
                                           const NmsOptions& options) {
  // Stable: among equal scores the earlier candidate is visited (and so kept) first.
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  if (candidates.size() > options.max_candidates) candidates.resize(options.max_candidates);

  // Kept boxes per class: suppression never crosses classes, which is what Ultralytics' class
  // offset trick achieves by moving each class's boxes apart.
  std::vector<std::vector<Box>> kept_by_class;
  std::vector<Detection> kept;
  for (const auto& candidate : candidates) {
    if (kept.size() >= options.max_det) break;
    if (candidate.class_id < 0) continue;
    const auto cls = static_cast<std::size_t>(candidate.class_id);
    if (cls >= kept_by_class.size()) kept_by_class.resize(cls + 1);
    auto& same_class = kept_by_class[cls];
    const bool suppressed = std::any_of(same_class.begin(), same_class.end(), [&](const Box& k) {
      return iou(candidate.box, k) > options.iou_threshold;
    });
    if (suppressed) continue;
    same_class.push_back(candidate.box);
    kept.push_back(candidate);
  }
  return kept;
}

namespace {

// Rows x1, y1, x2, y2, score, class id, already ranked and suppressed by the model.
std::vector<Detection> end_to_end_detections(const Tensor& output, std::int64_t batch_index,
                                             const NmsOptions& options) {
  if (batch_index < 0 || batch_index >= output.shape[0])
    throw Error("decode_detections: batch index " + std::to_string(batch_index) +
                " outside the output's batch of " + std::to_string(output.shape[0]));
  const auto values = output.values<float>();
  const auto rows = static_cast<std::size_t>(output.shape[1]);
  const float* row = values.data() + static_cast<std::size_t>(batch_index) * rows * kEndToEndColumns;
  std::vector<Detection> detections;
  for (std::size_t r = 0; r < rows; ++r, row += kEndToEndColumns)
    if (row[4] > options.conf_threshold)
      detections.push_back({{row[0], row[1], row[2], row[3]}, row[4], static_cast<int>(std::lround(row[5])),
                            static_cast<std::int64_t>(r), {}, {}});
  std::stable_sort(detections.begin(), detections.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  if (detections.size() > options.max_det) detections.resize(options.max_det);
  return detections;
}

}  // namespace

std::vector<Detection> decode_detections(const Tensor& output, std::int64_t batch_index,
                                         const NmsOptions& options, std::int64_t num_classes) {
  if (num_classes <= 0 && is_end_to_end_output(output.shape)) return end_to_end_detections(output, batch_index, options);
  const DetectLayout layout = detect_layout(output.shape, "detect output", num_classes);
  if (batch_index < 0 || batch_index >= layout.batch)
    throw Error("decode_detections: batch index " + std::to_string(batch_index) +
                " outside the output's batch of " + std::to_string(layout.batch));
  const auto values = output.values<float>();
  const std::size_t anchors = static_cast<std::size_t>(layout.anchors);
  const std::size_t channels = static_cast<std::size_t>(layout.channels);
  const float* base = values.data() + static_cast<std::size_t>(batch_index) * channels * anchors;
  auto at = [&](std::size_t channel, std::size_t anchor) {
    return base[channel * anchors + anchor];
  };

  std::vector<Detection> candidates;
  for (std::size_t a = 0; a < anchors; ++a) {
    // Float arithmetic as in Ultralytics' xywh2xyxy, so boxes match its to the last bit.
    const float cx = at(0, a), cy = at(1, a), half_w = at(2, a) / 2, half_h = at(3, a) / 2;
    const Box box{cx - half_w, cy - half_h, cx + half_w, cy + half_h};
    if (options.multi_label) {
      for (std::size_t c = 0; c < static_cast<std::size_t>(layout.num_classes); ++c) {
        const float score = at(4 + c, a);
        if (score > options.conf_threshold)
          candidates.push_back({box, score, static_cast<int>(c), static_cast<std::int64_t>(a), {}, {}});
      }
    } else {
      std::size_t best = 0;
      for (std::size_t c = 1; c < static_cast<std::size_t>(layout.num_classes); ++c)
        if (at(4 + c, a) > at(4 + best, a)) best = c;
      const float score = at(4 + best, a);
      if (score > options.conf_threshold)
        candidates.push_back({box, score, static_cast<int>(best), static_cast<std::int64_t>(a), {}, {}});
    }
  }
  return non_max_suppression(std::move(candidates), options);
}

Box map_to_original(const Box& box, const LetterboxGeometry& g) {
  const double w = g.original_width, h = g.original_height;
  auto map_x = [&](double x) { return std::clamp((x - g.pad_left) / g.scale, 0.0, w); };
  auto map_y = [&](double y) { return std::clamp((y - g.pad_top) / g.scale, 0.0, h); };
  return {map_x(box.x1), map_y(box.y1), map_x(box.x2), map_y(box.y2)};
}

void map_to_original(std::vector<Detection>& detections, const LetterboxGeometry& geometry) {
  for (auto& d : detections) d.box = map_to_original(d.box, geometry);
}

}  // namespace yoloq
