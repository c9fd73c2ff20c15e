// Masks and keypoints of segment and pose detections, from Ultralytics' process_mask_native,
// scale_masks, crop_mask and scale_coords definitions.
#include "yoloq/eval/task_outputs.hpp"

#include <algorithm>
#include <cmath>

#include "yoloq/support/error.hpp"

namespace yoloq {

namespace {

// torch's bilinear source index along one axis (align_corners false, float math): for each output
// pixel, the two input pixels and the weight of the second.
struct BilinearAxis {
  std::vector<int> low, high;
  std::vector<float> weight_high;
};

BilinearAxis bilinear_axis(int input_size, int output_size) {
  BilinearAxis axis;
  const float scale = static_cast<float>(input_size) / static_cast<float>(output_size);
  for (int i = 0; i < output_size; ++i) {
    const float source = std::max(0.0f, scale * (static_cast<float>(i) + 0.5f) - 0.5f);
    const int low = static_cast<int>(source);
    axis.low.push_back(low);
    axis.high.push_back(low < input_size - 1 ? low + 1 : low);
    axis.weight_high.push_back(std::clamp(source - static_cast<float>(low), 0.0f, 1.0f));
  }
  return axis;
}

// The first pixel index >= v (crop_mask keeps pixel i where v1 <= i < v2), within [0, size].
int first_pixel_at_or_after(double v, int size) {
  return static_cast<int>(std::clamp(std::ceil(v), 0.0, static_cast<double>(size)));
}

void check_row(const Tensor& t, std::int64_t batch_index, const char* what) {
  if (batch_index < 0 || t.shape.empty() || batch_index >= t.shape[0])
    throw Error(std::string(what) + ": batch index " + std::to_string(batch_index) + " outside the batch");
}

}  // namespace

void attach_masks(std::vector<Detection>& detections, const Tensor& output, const Tensor& prototypes,
                  std::int64_t batch_index, const BoxOutputLayout& layout, const LetterboxGeometry& geometry) {
  if (prototypes.shape.size() != 4 || prototypes.shape[1] != layout.task_channels)
    throw Error("segment masks: prototypes [" + shape_string(prototypes.shape) + "] do not have the " +
                std::to_string(layout.task_channels) + " channels the coefficients need");
  check_row(output, batch_index, "segment masks");
  check_row(prototypes, batch_index, "segment masks");
  const int masks = static_cast<int>(prototypes.shape[1]);
  const int mh = static_cast<int>(prototypes.shape[2]), mw = static_cast<int>(prototypes.shape[3]);
  const int oh = geometry.original_height, ow = geometry.original_width;
  // scale_masks: the prototypes' share of the letterbox padding, rounded as Python's round().
  const double gain = std::min(static_cast<double>(mh) / oh, static_cast<double>(mw) / ow);
  const double pad_w = (mw - ow * gain) / 2, pad_h = (mh - oh * gain) / 2;
  const int top = static_cast<int>(std::nearbyint(pad_h - 0.1)), left = static_cast<int>(std::nearbyint(pad_w - 0.1));
  const int bottom = mh - static_cast<int>(std::nearbyint(pad_h + 0.1));
  const int right = mw - static_cast<int>(std::nearbyint(pad_w + 0.1));
  if (bottom <= top || right <= left) throw Error("segment masks: the prototypes hold no unpadded region");
  const BilinearAxis rows = bilinear_axis(bottom - top, oh), cols = bilinear_axis(right - left, ow);

  const auto out_values = output.values<float>();
  const auto anchors = static_cast<std::size_t>(output.shape[2]);
  const float* head = out_values.data() + static_cast<std::size_t>(batch_index) * static_cast<std::size_t>(output.shape[1]) * anchors;
  const auto proto_values = prototypes.values<float>();
  const std::size_t plane = static_cast<std::size_t>(mh) * static_cast<std::size_t>(mw);
  const float* protos = proto_values.data() + static_cast<std::size_t>(batch_index) * static_cast<std::size_t>(masks) * plane;
  const std::size_t first_coefficient = static_cast<std::size_t>(kDetectBoxChannels + layout.num_classes);

  std::vector<float> logits;
  for (auto& d : detections) {
    if (d.anchor < 0 || static_cast<std::size_t>(d.anchor) >= anchors)
      throw Error("segment masks: a detection has no anchor in the output");
    const int x0 = first_pixel_at_or_after(d.box.x1, ow), x1 = first_pixel_at_or_after(d.box.x2, ow);
    const int y0 = first_pixel_at_or_after(d.box.y1, oh), y1 = first_pixel_at_or_after(d.box.y2, oh);
    RleBuilder rle(oh, ow);
    if (x1 <= x0 || y1 <= y0) {
      d.mask = rle.finish();
      continue;
    }
    // Logits only over the prototype pixels the box's interpolation reads.
    const int r0 = rows.low[static_cast<std::size_t>(y0)], r1 = rows.high[static_cast<std::size_t>(y1 - 1)];
    const int c0 = cols.low[static_cast<std::size_t>(x0)], c1 = cols.high[static_cast<std::size_t>(x1 - 1)];
    const int lw = c1 - c0 + 1;
    logits.assign(static_cast<std::size_t>((r1 - r0 + 1) * lw), 0.0f);
    for (int m = 0; m < masks; ++m) {
      const float coefficient = head[(first_coefficient + static_cast<std::size_t>(m)) * anchors + static_cast<std::size_t>(d.anchor)];
      const float* p = protos + static_cast<std::size_t>(m) * plane;
      for (int r = r0; r <= r1; ++r) {
        const float* src = p + static_cast<std::size_t>(r + top) * static_cast<std::size_t>(mw) + static_cast<std::size_t>(left + c0);
        float* dst = logits.data() + static_cast<std::size_t>((r - r0) * lw);
        for (int c = 0; c < lw; ++c) dst[c] += coefficient * src[c];
      }
    }
    auto at = [&](int r, int c) { return logits[static_cast<std::size_t>((r - r0) * lw + (c - c0))]; };
    rle.add(false, static_cast<std::uint64_t>(x0) * static_cast<std::uint64_t>(oh));
    for (int x = x0; x < x1; ++x) {
      const auto xi = static_cast<std::size_t>(x);
      const int ca = cols.low[xi], cb = cols.high[xi];
      const float wb = cols.weight_high[xi], wa = 1 - wb;
      rle.add(false, static_cast<std::uint64_t>(y0));
      for (int y = y0; y < y1; ++y) {
        const auto yi = static_cast<std::size_t>(y);
        const int ra = rows.low[yi], rb = rows.high[yi];
        const float hb = rows.weight_high[yi], ha = 1 - hb;
        const float value = ha * (wa * at(ra, ca) + wb * at(ra, cb)) + hb * (wa * at(rb, ca) + wb * at(rb, cb));
        rle.add(value > 0.0f, 1);
      }
      rle.add(false, static_cast<std::uint64_t>(oh - y1));
    }
    d.mask = rle.finish();
  }
}

void attach_keypoints(std::vector<Detection>& detections, const Tensor& output, std::int64_t batch_index,
                      const BoxOutputLayout& layout, const LetterboxGeometry& geometry) {
  check_row(output, batch_index, "pose keypoints");
  const auto values = output.values<float>();
  const auto anchors = static_cast<std::size_t>(output.shape[2]);
  const float* head = values.data() + static_cast<std::size_t>(batch_index) * static_cast<std::size_t>(output.shape[1]) * anchors;
  const auto per_keypoint = static_cast<std::size_t>(layout.keypoint_values);
  if (per_keypoint < 2) throw Error("pose keypoints: the layout has no keypoint values");
  const std::size_t keypoints = static_cast<std::size_t>(layout.task_channels) / per_keypoint;
  const std::size_t first = static_cast<std::size_t>(kDetectBoxChannels + layout.num_classes);
  const double w = geometry.original_width, h = geometry.original_height;
  for (auto& d : detections) {
    if (d.anchor < 0 || static_cast<std::size_t>(d.anchor) >= anchors)
      throw Error("pose keypoints: a detection has no anchor in the output");
    auto at = [&](std::size_t channel) { return static_cast<double>(head[channel * anchors + static_cast<std::size_t>(d.anchor)]); };
    d.keypoints.resize(keypoints);
    for (std::size_t k = 0; k < keypoints; ++k) {
      const std::size_t c = first + k * per_keypoint;
      d.keypoints[k].x = std::clamp((at(c) - geometry.pad_left) / geometry.scale, 0.0, w);
      d.keypoints[k].y = std::clamp((at(c + 1) - geometry.pad_top) / geometry.scale, 0.0, h);
      d.keypoints[k].v = per_keypoint == 3 ? at(c + 2) : 1.0;
    }
  }
}

void attach_task_outputs(std::vector<Detection>& detections, const std::vector<Tensor>& outputs,
                         std::int64_t batch_index, const BoxOutputLayout& layout, const LetterboxGeometry& geometry) {
  if (layout.task == "segment") {
    if (outputs.size() < 2) throw Error("segment masks: the model's prototype output is missing");
    attach_masks(detections, outputs[0], outputs[1], batch_index, layout, geometry);
  } else if (layout.task == "pose") {
    attach_keypoints(detections, outputs.at(0), batch_index, layout, geometry);
  }
}

}  // namespace yoloq
