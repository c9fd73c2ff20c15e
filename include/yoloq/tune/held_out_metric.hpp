#pragma once
// The end metric accuracy tuning steers by: a candidate model's quality on held-out samples,
// against the float model's outputs on the same samples. For a detect model (a head's
// [B, 4+nc, A] or end-to-end [B, N, 6] output) it is mAP50-95 x 100, either of the candidate's
// detections against the float model's with score >= 0.25 ("agreement", the float model scores
// 100) or against YOLO labels ("map"); for an OBB model the agreement of its rotated boxes
// (eval/obb.hpp, COCO's AP integral) and for a classify model the top-1 agreement, both x 100
// (agreement only); for any other model, the SNR of its outputs in dB.
//
// The held-out samples are read once and kept: every candidate runs on the same batches, and
// there are at most a few dozen of them (holdout_count in data/batch_source.hpp).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "yoloq/data/batch_source.hpp"
#include "yoloq/eval/detection_metrics.hpp"
#include "yoloq/eval/obb.hpp"
#include "yoloq/onnx/model.hpp"
#include "yoloq/runtime/session.hpp"

namespace yoloq {

enum class DropMetric { Agreement, Map };
DropMetric parse_drop_metric(const std::string& name);  // "agreement", "map"
std::string drop_metric_name(DropMetric metric);

struct HeldOutMetricOptions {
  DropMetric metric = DropMetric::Agreement;
  std::filesystem::path labels;  // needed by DropMetric::Map
  RuntimeOptions runtime;
};

class HeldOutMetric {
 public:
  // Reads every batch of `held_out` and runs the float model on them. Throws Error for no samples,
  // DropMetric::Map without labels or without images to find them for, or no label file at all.
  HeldOutMetric(const Model& float_model, BatchSource& held_out, const HeldOutMetricOptions& options);

  bool detect_model() const { return detect_; }
  std::string name() const;         // "agreement mAP50-95", "mAP50-95 vs labels", "output SNR"
  std::string unit() const;         // "points" or "dB"
  double float_value() const { return float_value_; }  // 100, the float model's mAP, or +inf
  // The end metric, and when the model's Detect head is found (yolo/yolo_head.hpp), the SNR of
  // its class probabilities (the head's Sigmoid, every anchor and class) against the float
  // model's: a continuous signal that a few dozen samples measure far more steadily than mAP.
  struct Measurement {
    double value = 0;
    std::optional<double> class_score_snr_db;
  };
  Measurement measure_in_detail(const Model& candidate) const;
  double measure(const Model& candidate) const { return measure_in_detail(candidate).value; }
  bool has_class_scores() const { return !class_scores_.empty(); }
  // float_value() - measure(candidate): what quantization lost, in points (detect models only).
  double drop(const Model& candidate) const { return float_value_ - measure(candidate); }

  const std::vector<NamedTensors>& batches() const { return batches_; }
  std::size_t samples() const { return samples_; }
  const std::string& description() const { return description_; }

 private:
  // Sessions and runs that also fetch the head's class scores, when there are any.
  struct Outputs {
    std::vector<Tensor> outputs;
    std::optional<Tensor> class_scores;
  };
  Session open_session(const Model& model, const std::string& what) const;
  Outputs run(Session& session, const NamedTensors& batch) const;
  double score(const std::vector<std::vector<Tensor>>& outputs) const;
  std::vector<NamedTensors> batches_;
  std::vector<std::vector<SampleOrigin>> origins_;
  std::vector<std::vector<Tensor>> float_outputs_;    // per batch, every output
  std::vector<std::vector<GroundTruth>> references_;  // per sample: float detections or labels
  std::vector<std::string> output_names_;
  std::string class_scores_;                // the head's class-probability tensor, or ""
  std::vector<Tensor> float_class_scores_;  // per batch
  HeldOutMetricOptions options_;
  bool detect_ = false;  // boxes to score (detect, segment, pose: yolo/output_layout.hpp)
  // "obb" or "classify" (Ultralytics metadata) when scored by agreement as such, else "".
  std::string agreement_task_;
  std::vector<std::vector<ObbGroundTruth>> obb_references_;  // per sample: float rotated boxes
  std::int64_t num_classes_ = 0;
  double float_value_ = 0;
  std::size_t samples_ = 0;
  std::string description_;
};

}  // namespace yoloq
