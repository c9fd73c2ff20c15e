#include "verify/task_agreement.hpp"

#include "yoloq/support/error.hpp"
#include "yoloq/yolo/metadata.hpp"

namespace yoloq::verify_detail {

std::unique_ptr<TaskAgreement> TaskAgreement::for_model(const Model& float_model) {
  const auto metadata = read_yolo_metadata(float_model);
  if (!metadata || (metadata->task != "obb" && metadata->task != "classify")) return nullptr;
  auto agreement = std::make_unique<TaskAgreement>();
  agreement->obb_ = metadata->task == "obb";
  agreement->num_classes_ = static_cast<std::int64_t>(metadata->names.size());
  return agreement;
}

void TaskAgreement::add(const Tensor& float_out, const Tensor& quant_out, std::int64_t row) {
  if (obb_) {
    const auto float_dets = decode_obb_detections(float_out, row, {}, num_classes_);
    obb_images_.push_back({obb_agreement_reference(float_dets), decode_obb_detections(quant_out, row, {}, num_classes_)});
    return;
  }
  if (float_out.shape.size() != 2 || float_out.shape != quant_out.shape || row >= float_out.shape[0])
    throw Error("verify: a classify model's output is [batch, classes], this one is [" + shape_string(float_out.shape) +
                "]");
  const auto classes = static_cast<std::size_t>(float_out.shape[1]);
  const auto offset = static_cast<std::size_t>(row) * classes;
  classify_.add(float_out.values<float>().subspan(offset, classes), quant_out.values<float>().subspan(offset, classes));
}

void TaskAgreement::finish(VerifyResult& result) const {
  if (!obb_) {
    result.classification = classify_.agreement();
    result.detections = {};
    result.detections.note = "classify model: compared by its class ranking (classification agreement)";
    return;
  }
  auto& d = result.detections;
  d = {};
  d.evaluated = true;
  d.images = obb_images_.size();
  const auto metrics = obb_metrics(obb_images_, ApMetric::Coco);
  d.agreement = {metrics.map50_95, metrics.map50};
  d.reference_objects = metrics.instances;
  d.note =
      "agreement: INT8 rotated boxes scored against the float model's with score >= 0.25, exact rotated IoU, "
      "COCO's AP integral";
}

}  // namespace yoloq::verify_detail
