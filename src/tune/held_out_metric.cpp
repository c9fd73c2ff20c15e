#include "yoloq/tune/held_out_metric.hpp"

#include <cmath>
#include <limits>
#include <utility>

#include "yoloq/eval/detection.hpp"
#include "yoloq/eval/eval.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/yolo/detect_head.hpp"
#include "yoloq/yolo/metadata.hpp"
#include "yoloq/yolo/output_layout.hpp"

namespace yoloq {

namespace {

// Float detections at or above this score are the agreement metric's ground truth, as in verify.
constexpr float kReferenceScore = 0.25f;

bool is_detect_model(const Model& model, const std::vector<Tensor>& outputs) {
  if (outputs.size() != 1) return false;
  const auto metadata = read_yolo_metadata(model);
  if (metadata && !metadata->task.empty() && metadata->task != "detect") return false;
  const auto classes = metadata ? static_cast<std::int64_t>(metadata->names.size()) : 0;
  return is_detect_output(outputs[0].shape, classes) || is_end_to_end_output(outputs[0].shape);
}

double snr_db(double signal, double noise) {
  if (noise == 0) return std::numeric_limits<double>::infinity();
  return signal == 0 ? -std::numeric_limits<double>::infinity() : 10 * std::log10(signal / noise);
}

// The Detect head's class probabilities: the one Sigmoid downstream of its output convolutions
// (YOLOv8/11 and YOLO26 have exactly one there); "" without a head or with several.
std::string head_class_scores(const Model& model) {
  const GraphIndex index(model.graph());
  const auto head = find_detect_head(index);
  if (!head) return "";
  std::string found;
  for (const auto n : head->tail) {
    if (index.node(n).op_type() != "Sigmoid") continue;
    if (!found.empty()) return "";
    found = index.node(n).output(0);
  }
  return found;
}

}  // namespace

DropMetric parse_drop_metric(const std::string& name) {
  if (name == "agreement") return DropMetric::Agreement;
  if (name == "map") return DropMetric::Map;
  throw Error("unknown drop metric '" + name + "' (agreement or map)");
}

std::string drop_metric_name(DropMetric metric) { return metric == DropMetric::Map ? "map" : "agreement"; }

HeldOutMetric::HeldOutMetric(const Model& float_model, BatchSource& held_out, const HeldOutMetricOptions& options)
    : options_(options), description_(held_out.description()) {
  if (options.metric == DropMetric::Map && options.labels.empty())
    throw Error("--drop_metric map needs --labels (a folder of YOLO labels for the images)");
  class_scores_ = head_class_scores(float_model);
  Model exposed = float_model;
  if (!class_scores_.empty()) expose_as_outputs(exposed, {class_scores_});
  Session session(serialize_model(exposed), "float model", options.runtime);
  for (const auto& out : float_model.graph().output()) output_names_.push_back(out.name());
  held_out.rewind();
  while (auto batch = held_out.next()) {
    samples_ += held_out.origins().size();
    origins_.push_back(held_out.origins());
    std::vector<std::string> names = output_names_;
    if (!class_scores_.empty()) names.push_back(class_scores_);
    auto outputs = session.run(*batch, names);
    if (!class_scores_.empty()) {
      float_class_scores_.push_back(std::move(outputs.back()));
      outputs.pop_back();
    }
    float_outputs_.push_back(std::move(outputs));
    batches_.push_back(std::move(*batch));
  }
  if (batches_.empty()) throw Error(description_ + ": no held-out samples to measure on");
  detect_ = is_detect_model(float_model, float_outputs_.front());
  if (!detect_ && options.metric == DropMetric::Map)
    throw Error("--drop_metric map needs a detect model (one [batch, 4 + classes, anchors] or [batch, N, 6] output)");

  // The reference each sample's detections are scored against: the float model's confident
  // detections in input pixels, or the labels in the original image's pixels.
  bool any_label_file = false;
  for (std::size_t b = 0; detect_ && b < batches_.size(); ++b)
    for (std::size_t row = 0; row < origins_[b].size(); ++row) {
      std::vector<GroundTruth> reference;
      if (options.metric == DropMetric::Agreement) {
        for (const auto& d : decode_detections(float_outputs_[b][0], static_cast<std::int64_t>(row), {}))
          if (d.score >= kReferenceScore) reference.push_back({d.box, d.class_id});
      } else {
        const auto& origin = origins_[b][row];
        if (origin.image.empty() || !origin.geometry)
          throw Error("--drop_metric map needs images (their labels are found by file name), not " + description_);
        bool found = false;
        reference = load_ground_truth(origin.image, options.labels, origin.geometry->original_width,
                                      origin.geometry->original_height, 0, found);
        any_label_file |= found;
      }
      references_.push_back(std::move(reference));
    }
  if (options.metric == DropMetric::Map && !any_label_file)
    throw Error(options.labels.string() + ": no label file for any of the " + std::to_string(samples_) +
                " held-out images");
  float_value_ = score(float_outputs_);
}

std::string HeldOutMetric::name() const {
  if (!detect_) return "output SNR";
  return options_.metric == DropMetric::Map ? "mAP50-95 vs labels" : "agreement mAP50-95";
}

std::string HeldOutMetric::unit() const { return detect_ ? "points" : "dB"; }

HeldOutMetric::Measurement HeldOutMetric::measure_in_detail(const Model& candidate) const {
  Model exposed = candidate;
  if (!class_scores_.empty()) expose_as_outputs(exposed, {class_scores_});
  Session session(serialize_model(exposed), "candidate model", options_.runtime);
  std::vector<std::string> names = output_names_;
  if (!class_scores_.empty()) names.push_back(class_scores_);
  std::vector<std::vector<Tensor>> outputs;
  double signal = 0, noise = 0;
  for (std::size_t b = 0; b < batches_.size(); ++b) {
    auto out = session.run(batches_[b], names);
    if (!class_scores_.empty()) {
      const auto f = float_class_scores_[b].values<float>();
      const auto q = std::as_const(out.back()).values<float>();
      for (std::size_t i = 0; i < f.size(); ++i) {
        signal += double(f[i]) * f[i];
        noise += (double(f[i]) - q[i]) * (double(f[i]) - q[i]);
      }
      out.pop_back();
    }
    outputs.push_back(std::move(out));
  }
  Measurement m;
  m.value = score(outputs);
  if (!class_scores_.empty()) m.class_score_snr_db = snr_db(signal, noise);
  return m;
}

double HeldOutMetric::score(const std::vector<std::vector<Tensor>>& outputs) const {
  if (!detect_) {
    double signal = 0, noise = 0;
    for (std::size_t b = 0; b < outputs.size(); ++b)
      for (std::size_t o = 0; o < outputs[b].size(); ++o) {
        if (outputs[b][o].dtype != DType::Float32) continue;
        const auto f = float_outputs_[b][o].values<float>(), q = outputs[b][o].values<float>();
        for (std::size_t i = 0; i < f.size(); ++i) {
          signal += double(f[i]) * f[i];
          noise += (double(f[i]) - q[i]) * (double(f[i]) - q[i]);
        }
      }
    return snr_db(signal, noise);
  }
  std::vector<ImageDetections> images;
  for (std::size_t b = 0; b < outputs.size(); ++b)
    for (std::size_t row = 0; row < origins_[b].size(); ++row) {
      auto detections = decode_detections(outputs[b][0], static_cast<std::int64_t>(row), {});
      if (options_.metric == DropMetric::Map) map_to_original(detections, *origins_[b][row].geometry);
      const auto id = static_cast<long long>(images.size() + 1);
      images.push_back({id, references_[images.size()], std::move(detections)});
    }
  return 100 * coco_metrics(images).map50_95;
}

}  // namespace yoloq
