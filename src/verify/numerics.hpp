#pragma once
// Streaming float-vs-quantized comparison of one output: sums over all samples, so memory does
// not grow with the number of samples (except the distinct class-score sets, bounded by the
// number of distinct float values).
#include <optional>
#include <vector>

#include "yoloq/tensor/signal_noise.hpp"
#include "yoloq/tensor/tensor.hpp"
#include "yoloq/verify/verify.hpp"
#include "yoloq/yolo/output_layout.hpp"

namespace yoloq::verify_detail {

class OutputComparison {
 public:
  // `box_layout`: the model's first output read as boxes, scores and the task's channels
  // (yolo/output_layout.hpp); none for other outputs.
  OutputComparison(std::string name, std::optional<BoxOutputLayout> box_layout) : layout_(std::move(box_layout)) {
    result_.name = std::move(name);
    result_.detect_output = layout_.has_value();
    if (layout_) result_.task_channels = layout_->task_channels_name();
  }
  // An end-to-end output's rows are ranked by score, so the same detection can sit in another row
  // of the other model's output: only its scores' spread is compared here, the rows themselves as
  // detections.
  void mark_end_to_end() { result_.end_to_end = true; }
  void add(const Tensor& reference, const Tensor& quantized);  // throws Error when shapes differ
  OutputNumerics finish() const;

 private:
  struct Sums {
    double ref_sq = 0, quant_sq = 0, dot = 0, err_sq = 0, max_abs = 0;
    void add(double r, double q);
  };
  OutputNumerics result_;
  std::optional<BoxOutputLayout> layout_;
  Sums whole_, boxes_, class_scores_, task_channels_;
  std::vector<float> distinct_ref_, distinct_quant_;
};


}  // namespace yoloq::verify_detail
