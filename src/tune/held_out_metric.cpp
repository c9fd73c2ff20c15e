#include "yoloq/tune/held_out_metric.hpp"

#include <utility>

#include "yoloq/eval/classify.hpp"
#include "yoloq/eval/detection.hpp"
#include "yoloq/eval/eval.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/tensor/signal_noise.hpp"
#include "yoloq/yolo/metadata.hpp"
#include "yoloq/yolo/yolo_head.hpp"
#include "yoloq/yolo/output_layout.hpp"

namespace yoloq {

namespace {

// The head's class probabilities, found by structure (yolo/yolo_head.hpp); "" without a head.
std::string head_class_scores(const Model& model) {
  const GraphIndex index(model.graph());
  const auto head = find_yolo_head(index);
  if (!head || !head->class_sigmoid) return "";
  return index.node(*head->class_sigmoid).output(0);
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
  for (const auto& out : float_model.graph().output()) output_names_.push_back(out.name());
  Session session = open_session(float_model, "float model");
  held_out.rewind();
  while (auto batch = held_out.next()) {
    samples_ += held_out.origins().size();
    origins_.push_back(held_out.origins());
    auto [outputs, class_scores] = run(session, *batch);
    float_outputs_.push_back(std::move(outputs));
    if (class_scores) float_class_scores_.push_back(std::move(*class_scores));
    batches_.push_back(std::move(*batch));
  }
  if (batches_.empty()) throw Error(description_ + ": no held-out samples to measure on");
  std::vector<std::vector<std::int64_t>> shapes;
  for (const auto& out : float_outputs_.front()) shapes.push_back(out.shape);
  const auto layout = box_output_layout(float_model, output_names_, shapes);
  detect_ = std::holds_alternative<BoxOutputLayout>(layout);
  if (detect_) num_classes_ = std::get<BoxOutputLayout>(layout).num_classes;
  if (!detect_) {
    const auto metadata = read_yolo_metadata(float_model);
    if (metadata && (metadata->task == "obb" || metadata->task == "classify")) {
      agreement_task_ = metadata->task;
      num_classes_ = static_cast<std::int64_t>(metadata->names.size());
    }
  }
  for (std::size_t b = 0; agreement_task_ == "obb" && b < batches_.size(); ++b)
    for (std::size_t row = 0; row < origins_[b].size(); ++row)
      obb_references_.push_back(obb_agreement_reference(
          decode_obb_detections(float_outputs_[b][0], static_cast<std::int64_t>(row), {}, num_classes_)));
  if (!detect_ && options.metric == DropMetric::Map)
    throw Error("--drop_metric map needs a detect model (one [batch, 4 + classes, anchors] or [batch, N, 6] output)");

  // The reference each sample's detections are scored against: the float model's confident
  // detections in input pixels, or the labels in the original image's pixels.
  bool any_label_file = false;
  for (std::size_t b = 0; detect_ && b < batches_.size(); ++b)
    for (std::size_t row = 0; row < origins_[b].size(); ++row) {
      std::vector<GroundTruth> reference;
      if (options.metric == DropMetric::Agreement) {
        reference = agreement_reference(
            decode_detections(float_outputs_[b][0], static_cast<std::int64_t>(row), {}, num_classes_));
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
  if (agreement_task_ == "obb") return "agreement mAP50-95 (rotated boxes)";
  if (agreement_task_ == "classify") return "top-1 agreement";
  if (!detect_) return "output SNR";
  return options_.metric == DropMetric::Map ? "mAP50-95 vs labels" : "agreement mAP50-95";
}

std::string HeldOutMetric::unit() const { return detect_ || !agreement_task_.empty() ? "points" : "dB"; }

Session HeldOutMetric::open_session(const Model& model, const std::string& what) const {
  Model exposed = model;
  if (!class_scores_.empty()) expose_as_outputs(exposed, {class_scores_});
  return Session(serialize_model(exposed), what, options_.runtime);
}

HeldOutMetric::Outputs HeldOutMetric::run(Session& session, const NamedTensors& batch) const {
  std::vector<std::string> names = output_names_;
  if (!class_scores_.empty()) names.push_back(class_scores_);
  Outputs out{session.run(batch, names), std::nullopt};
  if (!class_scores_.empty()) {
    out.class_scores = std::move(out.outputs.back());
    out.outputs.pop_back();
  }
  return out;
}

HeldOutMetric::Measurement HeldOutMetric::measure_in_detail(const Model& candidate) const {
  Session session = open_session(candidate, "candidate model");
  std::vector<std::vector<Tensor>> outputs;
  SignalNoise class_scores;
  for (std::size_t b = 0; b < batches_.size(); ++b) {
    auto out = run(session, batches_[b]);
    if (out.class_scores) class_scores.add(float_class_scores_[b].values<float>(), std::as_const(*out.class_scores).values<float>());
    outputs.push_back(std::move(out.outputs));
  }
  Measurement m;
  m.value = score(outputs);
  if (!class_scores_.empty()) m.class_score_snr_db = class_scores.snr_db();
  return m;
}

double HeldOutMetric::score(const std::vector<std::vector<Tensor>>& outputs) const {
  if (agreement_task_ == "obb") {
    std::vector<ObbImage> images;
    for (std::size_t b = 0; b < outputs.size(); ++b)
      for (std::size_t row = 0; row < origins_[b].size(); ++row)
        images.push_back({obb_references_[images.size()],
                          decode_obb_detections(outputs[b][0], static_cast<std::int64_t>(row), {}, num_classes_)});
    return 100 * obb_metrics(images, ApMetric::Coco).map50_95;
  }
  if (agreement_task_ == "classify") {
    ClassifyAgreementScorer agreement;
    for (std::size_t b = 0; b < outputs.size(); ++b) {
      const auto& reference = float_outputs_[b][0];
      if (reference.shape.size() != 2) throw Error("a classify model's output is [batch, classes]");
      const auto classes = static_cast<std::size_t>(reference.shape[1]);
      for (std::size_t row = 0; row < origins_[b].size(); ++row)
        agreement.add(reference.values<float>().subspan(row * classes, classes),
                      outputs[b][0].values<float>().subspan(row * classes, classes));
    }
    return 100 * agreement.agreement().top1;
  }
  if (!detect_) {
    SignalNoise all;
    for (std::size_t b = 0; b < outputs.size(); ++b)
      for (std::size_t o = 0; o < outputs[b].size(); ++o)
        if (outputs[b][o].dtype == DType::Float32) all.add(float_outputs_[b][o].values<float>(), outputs[b][o].values<float>());
    return all.snr_db();
  }
  std::vector<ImageDetections> images;
  for (std::size_t b = 0; b < outputs.size(); ++b)
    for (std::size_t row = 0; row < origins_[b].size(); ++row) {
      auto detections = decode_detections(outputs[b][0], static_cast<std::int64_t>(row), {}, num_classes_);
      if (options_.metric == DropMetric::Map) map_to_original(detections, *origins_[b][row].geometry);
      const auto id = static_cast<long long>(images.size() + 1);
      images.push_back({id, references_[images.size()], std::move(detections)});
    }
  return 100 * coco_metrics(images).map50_95;
}

}  // namespace yoloq
