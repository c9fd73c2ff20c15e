#pragma once
// Verify's agreement for the tasks whose outputs are not boxes of [B, 4 + nc, A]: an OBB model's
// rotated detections (INT8 against the float model's with score >= 0.25, exact rotated IoU,
// mAP50-95 with COCO's AP integral, in input pixels) and a classify model's class ranking (top-1
// agreement and top-5 overlap). The task comes from the Ultralytics metadata.
#include <memory>
#include <vector>

#include "yoloq/eval/classify.hpp"
#include "yoloq/eval/obb.hpp"
#include "yoloq/onnx/model.hpp"
#include "yoloq/verify/verify.hpp"

namespace yoloq::verify_detail {

class TaskAgreement {
 public:
  // Null unless the model's task is "obb" or "classify".
  static std::unique_ptr<TaskAgreement> for_model(const Model& float_model);

  // One sample (`row` of the batch) of both models' first output.
  void add(const Tensor& float_out, const Tensor& quant_out, std::int64_t row);
  // Writes the agreement into `result` (OBB: its detections part; classify: its classification part).
  void finish(VerifyResult& result) const;

 private:
  bool obb_ = false;
  std::int64_t num_classes_ = 0;
  std::vector<ObbImage> obb_images_;
  ClassifyAgreementScorer classify_;
};

}  // namespace yoloq::verify_detail
