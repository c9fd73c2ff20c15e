#pragma once
// The task heads that sit on the YOLO11 neck. The backbone and neck are shared by every task; a
// task (detect today; segment, pose, obb, classify later) is one TaskHead: it declares its
// metadata task name and emits its layers on the neck's feature maps. Segment, pose and obb
// heads extend detection, so DetectionHead exposes its parts (the per-level box and class
// branches, the DFL decoding) for them to reuse.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "synth/yolo11_blocks.hpp"

namespace yoloq::yolo {

struct HeadOutput {
  std::string tensor;  // a node output, renamed to `name` when declared a graph output
  std::string name;
  std::vector<std::int64_t> shape;
};

class TaskHead {
 public:
  virtual ~TaskHead() = default;
  virtual std::string task() const = 0;  // Ultralytics' metadata "task"
  // Emits the head in the builder's current scope (the head's layer, "model.23") on the neck's
  // outputs, finest level first, and returns the graph outputs.
  virtual std::vector<HeadOutput> build(OnnxGraphBuilder& b, const std::vector<Feature>& levels,
                                        std::int64_t imgsz) const = 0;
};

class DetectionHead : public TaskHead {
 public:
  explicit DetectionHead(std::int64_t num_classes, std::int64_t reg_max = 16)
      : num_classes_(num_classes), reg_max_(reg_max) {}
  std::string task() const override { return "detect"; }
  std::vector<HeadOutput> build(OnnxGraphBuilder& b, const std::vector<Feature>& levels,
                                std::int64_t imgsz) const override;

 protected:
  // Per level: concat(box distribution logits [4*reg_max], class logits [nc]) ("cv2.i", "cv3.i").
  std::vector<Feature> level_predictions(OnnxGraphBuilder& b,
                                         const std::vector<Feature>& levels) const;
  // Flattens the levels to [1, 4*reg_max + nc, anchors], decodes boxes with the DFL and the
  // anchor/stride constants of `imgsz`, and returns [1, 4 + nc, anchors]: xywh in pixels, then
  // class probabilities.
  std::string decode(OnnxGraphBuilder& b, const std::vector<Feature>& predictions,
                     std::int64_t imgsz) const;

  std::int64_t num_classes_, reg_max_;
};

}  // namespace yoloq::yolo
