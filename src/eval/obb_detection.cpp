// An OBB output to rotated detections, as Ultralytics' validator gets them: best class (or every
// class, multi-label) above the confidence, then its rotated Fast-NMS with probiou.
#include <algorithm>

#include "yoloq/eval/detection_metrics.hpp"
#include "yoloq/eval/obb.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/yolo/output_layout.hpp"

namespace yoloq {

namespace {

constexpr std::int64_t kAngleChannels = 1;

// TorchNMS.fast_nms: a candidate is kept when no higher-scoring candidate of its class, kept or
// not, overlaps it by more than the threshold (unlike greedy NMS, a suppressed box still
// suppresses). Classes never suppress each other (Ultralytics moves them max_wh apart).
std::vector<ObbDetection> rotated_fast_nms(std::vector<ObbDetection> candidates, const NmsOptions& options) {
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const ObbDetection& a, const ObbDetection& b) { return a.score > b.score; });
  if (candidates.size() > options.max_candidates) candidates.resize(options.max_candidates);
  std::vector<BoxGaussian> gaussians;
  for (const auto& c : candidates) gaussians.push_back(box_gaussian(c.box));
  std::vector<ObbDetection> kept;
  for (std::size_t i = 0; i < candidates.size() && kept.size() < options.max_det; ++i) {
    bool suppressed = false;
    for (std::size_t j = 0; j < i && !suppressed; ++j)
      suppressed = candidates[j].class_id == candidates[i].class_id &&
                   probiou(gaussians[j], gaussians[i]) > options.iou_threshold;
    if (!suppressed) kept.push_back(candidates[i]);
  }
  return kept;
}

}  // namespace

std::int64_t obb_num_classes(const std::vector<std::int64_t>& shape, std::int64_t num_classes) {
  const std::int64_t extra = kDetectBoxChannels + kAngleChannels;
  // With the class count unknown, more anchors than channels is what tells the layout from [B, A, C].
  const bool fits = shape.size() == 3 && shape[1] > extra && shape[2] > 0 &&
                    (num_classes > 0 ? shape[1] == extra + num_classes : shape[2] > shape[1]);
  if (!fits) {
    throw Error("OBB output [" + shape_string(shape) + "] is not [batch, 4 + " +
                (num_classes > 0 ? std::to_string(num_classes) : std::string("classes")) +
                " + 1 angle, anchors]");
  }
  return shape[1] - extra;
}

std::vector<ObbDetection> decode_obb_detections(const Tensor& output, std::int64_t batch_index,
                                                const NmsOptions& options, std::int64_t num_classes) {
  const std::int64_t classes = obb_num_classes(output.shape, num_classes);
  if (batch_index < 0 || batch_index >= output.shape[0])
    throw Error("decode_obb_detections: batch index " + std::to_string(batch_index) +
                " outside the output's batch of " + std::to_string(output.shape[0]));
  const auto values = output.values<float>();
  const auto channels = static_cast<std::size_t>(output.shape[1]);
  const auto anchors = static_cast<std::size_t>(output.shape[2]);
  const float* base = values.data() + static_cast<std::size_t>(batch_index) * channels * anchors;
  auto at = [&](std::size_t channel, std::size_t anchor) { return base[channel * anchors + anchor]; };
  const std::size_t angle_channel = channels - 1;

  std::vector<ObbDetection> candidates;
  for (std::size_t a = 0; a < anchors; ++a) {
    const RotatedBox box{at(0, a), at(1, a), at(2, a), at(3, a), at(angle_channel, a)};
    if (options.multi_label) {
      for (std::size_t c = 0; c < static_cast<std::size_t>(classes); ++c)
        if (at(4 + c, a) > options.conf_threshold) candidates.push_back({box, at(4 + c, a), static_cast<int>(c)});
    } else {
      std::size_t best = 0;
      for (std::size_t c = 1; c < static_cast<std::size_t>(classes); ++c)
        if (at(4 + c, a) > at(4 + best, a)) best = c;
      if (at(4 + best, a) > options.conf_threshold)
        candidates.push_back({box, at(4 + best, a), static_cast<int>(best)});
    }
  }
  return rotated_fast_nms(std::move(candidates), options);
}

// ops.scale_boxes(xywh=True): the centre loses the padding, centre and size are divided by the
// scale; rotated boxes are not clipped to the image.
void map_to_original(std::vector<ObbDetection>& detections, const LetterboxGeometry& g) {
  for (auto& d : detections) {
    d.box.cx = (d.box.cx - g.pad_left) / g.scale;
    d.box.cy = (d.box.cy - g.pad_top) / g.scale;
    d.box.w /= g.scale;
    d.box.h /= g.scale;
  }
}

std::vector<ObbGroundTruth> obb_agreement_reference(const std::vector<ObbDetection>& float_detections) {
  std::vector<ObbGroundTruth> reference;
  for (const auto& d : float_detections)
    if (d.score >= kAgreementReferenceScore) reference.push_back({corners(d.box), d.class_id});
  return reference;
}

}  // namespace yoloq
