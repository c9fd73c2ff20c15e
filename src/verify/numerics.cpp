#include "verify/numerics.hpp"

#include <algorithm>
#include <cmath>

#include "yoloq/support/error.hpp"
#include "yoloq/yolo/output_layout.hpp"

namespace yoloq::verify_detail {

namespace {

constexpr float kScoreFloor = 0.001f;  // below the detection threshold, scores do not matter

void merge_distinct(std::vector<float>& distinct, std::vector<float> added) {
  distinct.insert(distinct.end(), added.begin(), added.end());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
}

}  // namespace

void OutputComparison::Sums::add(double r, double q) {
  ref_sq += r * r;
  quant_sq += q * q;
  dot += r * q;
  err_sq += (r - q) * (r - q);
  max_abs = std::max(max_abs, std::abs(r - q));
}

void OutputComparison::add(const Tensor& reference, const Tensor& quantized) {
  if (reference.shape != quantized.shape)
    throw Error("output '" + result_.name + "': float shape [" + shape_string(reference.shape) +
                "] but quantized shape [" + shape_string(quantized.shape) + "]");
  if (reference.dtype != DType::Float32 || quantized.dtype != DType::Float32)
    return;  // compared as float only
  result_.shape = reference.shape;
  const auto r = reference.values<float>(), q = quantized.values<float>();
  if (result_.end_to_end) {
    std::vector<float> ref_scores, quant_scores;
    for (std::size_t i = 4; i < r.size(); i += kEndToEndColumns) {
      if (r[i] > kScoreFloor) ref_scores.push_back(r[i]);
      if (q[i] > kScoreFloor) quant_scores.push_back(q[i]);
    }
    merge_distinct(distinct_ref_, std::move(ref_scores));
    merge_distinct(distinct_quant_, std::move(quant_scores));
    return;
  }
  for (std::size_t i = 0; i < r.size(); ++i) whole_.add(r[i], q[i]);
  if (!result_.detect_output) return;
  // [B, 4 + nc (+ the task's channels), A]: box, class scores, then mask coefficients or keypoints.
  const DetectLayout layout = detect_layout(reference.shape, result_.name, layout_->num_classes);
  const std::size_t channels = static_cast<std::size_t>(layout.channels);
  const std::size_t scores_end = static_cast<std::size_t>(kDetectBoxChannels + layout.num_classes);
  const std::size_t anchors = static_cast<std::size_t>(layout.anchors);
  std::vector<float> ref_scores, quant_scores;
  for (std::size_t b = 0; b < static_cast<std::size_t>(reference.shape[0]); ++b)
    for (std::size_t c = 0; c < channels; ++c)
      for (std::size_t a = 0; a < anchors; ++a) {
        const std::size_t i = (b * channels + c) * anchors + a;
        if (c < kDetectBoxChannels) {
          boxes_.add(r[i], q[i]);
        } else if (c >= scores_end) {
          task_channels_.add(r[i], q[i]);
        } else {
          class_scores_.add(r[i], q[i]);
          if (r[i] > kScoreFloor) ref_scores.push_back(r[i]);
          if (q[i] > kScoreFloor) quant_scores.push_back(q[i]);
        }
      }
  merge_distinct(distinct_ref_, std::move(ref_scores));
  merge_distinct(distinct_quant_, std::move(quant_scores));
}

OutputNumerics OutputComparison::finish() const {
  OutputNumerics out = result_;
  if (out.end_to_end) {
    out.distinct_class_scores_float = distinct_ref_.size();
    out.distinct_class_scores_quant = distinct_quant_.size();
    out.cosine = out.snr_db = out.max_abs_error = out.class_score_snr_db = std::nan("");
    return out;
  }
  const double norms = std::sqrt(whole_.ref_sq) * std::sqrt(whole_.quant_sq);
  out.cosine = norms > 0 ? whole_.dot / norms : (whole_.ref_sq == whole_.quant_sq ? 1.0 : 0.0);
  out.snr_db = snr_db(whole_.ref_sq, whole_.err_sq);
  out.max_abs_error = whole_.max_abs;
  if (out.detect_output) {
    out.class_score_snr_db = snr_db(class_scores_.ref_sq, class_scores_.err_sq);
    out.box_snr_db = snr_db(boxes_.ref_sq, boxes_.err_sq);
    out.task_channels_snr_db = out.task_channels.empty() ? std::nan("") : snr_db(task_channels_.ref_sq, task_channels_.err_sq);
    out.distinct_class_scores_float = distinct_ref_.size();
    out.distinct_class_scores_quant = distinct_quant_.size();
  }
  return out;
}

}  // namespace yoloq::verify_detail
