#pragma once
// The task heads of YOLO11. The backbone is shared by every task and the neck by all but
// classify; a task is one TaskHead: it declares its metadata and emits its layers on the
// features it sits on. Segment, pose and obb heads extend detection, so DetectionHead exposes its
// parts (the per-level branches, their flattening, the DFL and box decoding) for them to reuse.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
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
  virtual std::string task() const = 0;         // Ultralytics' metadata "task"
  virtual std::string module_name() const = 0;  // its metadata "head", the head's class name
  // Detection-like heads sit on the neck's three levels (yolo11.yaml); Classify on the last
  // backbone layer of yolo11-cls.yaml, which has no SPPF and no neck.
  virtual bool uses_neck() const { return true; }
  // Value numbers the exporter spent before the first layer without a node or parameter in the
  // export to show for them; only the names of Split constants depend on them (calibrated on
  // the reference exports).
  virtual int unexplained_value_ids() const { return 0; }
  // Emits the head in the builder's current scope (the head's layer, "model.23") on its input
  // features, finest level first, and returns the graph outputs.
  virtual std::vector<HeadOutput> build(OnnxGraphBuilder& b, const std::vector<Feature>& levels,
                                        std::int64_t imgsz) const = 0;
};

// How the export lays out the Detect head's logits before decoding them.
enum class DetectLayout {
  // Ultralytics 8.3: per level, box and class logits concatenated, then flattened, joined over
  // the levels, and split again into boxes and classes.
  ConcatPerLevel,
  // Ultralytics 8.4: each branch (boxes, classes, and a task's own) flattened per level and
  // joined over the levels on its own.
  BranchesApart,
};

// How a family's Detect differs from YOLO11's (Ultralytics 8.4's Detect and v10Detect).
struct DetectVariant {
  std::int64_t reg_max = 16;  // 1: no DFL, the box logits are the distances (YOLO26)
  // Detect.legacy (YOLOv8): the class branch is two 3x3 Conv and a 1x1 Conv2d, like the box
  // branch, instead of depthwise + pointwise pairs.
  bool legacy_class_branch = false;
  // The one-to-one branches (one2one_cv2, one2one_cv3), boxes as corners, and the top-k
  // selection of Detect.postprocess: output [1, min(300, anchors), 6] (x1, y1, x2, y2, score,
  // class). Without it, the one-to-many branches (cv2, cv3) and [1, 4 + nc, anchors].
  bool end_to_end = false;
  const char* module_name = "Detect";  // "v10Detect" for YOLOv10
  // Whether the box logits' dict lookup delays the DFL by one step of the order (looked_up). The
  // YOLOv8 export lists the DFL before the class sigmoid, as if it did not (calibrated on the
  // reference exports; why the legacy head traces otherwise is not modeled).
  bool box_lookup_step = true;
};

class DetectionHead : public TaskHead {
 public:
  explicit DetectionHead(std::int64_t num_classes,
                         DetectLayout layout = DetectLayout::ConcatPerLevel,
                         std::int64_t reg_max = 16)
      : num_classes_(num_classes), reg_max_(reg_max), layout_(layout) {}
  // The 8.4 export of a family's detect head (BranchesApart).
  DetectionHead(std::int64_t num_classes, const DetectVariant& variant)
      : num_classes_(num_classes),
        reg_max_(variant.reg_max),
        layout_(DetectLayout::BranchesApart),
        variant_(variant) {}
  std::string task() const override { return "detect"; }
  std::string module_name() const override { return variant_.module_name; }
  std::vector<HeadOutput> build(OnnxGraphBuilder& b, const std::vector<Feature>& levels,
                                std::int64_t imgsz) const override;

 protected:
  // Conv 3x3, Conv 3x3, Conv2d 1x1 in scope `scope` ("cv2.0"): the box branch, and the mask,
  // keypoint and angle branches of the heads built on Detect.
  static Feature three_conv_branch(OnnxGraphBuilder& b, const std::string& scope, const Feature& x,
                                   std::int64_t hidden_channels, std::int64_t out_channels,
                                   ParameterRole out_role);
  Feature box_branch(OnnxGraphBuilder& b, const std::vector<Feature>& levels, std::size_t i) const;
  Feature class_branch(OnnxGraphBuilder& b, const std::vector<Feature>& levels,
                       std::size_t i) const;
  // forward_head's "torch.cat([branch(x[i]).view(bs, channels, -1) ...], axis)": each level's
  // branch output viewed [1, channels, anchors_i] right after it is computed, then joined.
  template <typename Branch>
  static std::string flattened_levels(OnnxGraphBuilder& b, const std::vector<Feature>& levels,
                                      std::int64_t channels, std::int64_t axis,
                                      Branch&& branch) {
    std::string view_shape;
    std::vector<std::string> flat;
    for (std::size_t i = 0; i < levels.size(); ++i) {
      const Feature out = branch(i);
      if (i == 0) view_shape = b.literal_constant("Constant", int64_vector({1, channels, -1}));
      flat.push_back(
          b.add_node1("Reshape", {out.tensor, view_shape}, {{"allowzero", std::int64_t{0}}}));
    }
    // Each view traced its own shape constant; the later ones were shared with the first.
    b.skip_folded("Constant", static_cast<int>(levels.size()) - 1);
    return b.add_node1("Concat", flat, {{"axis", axis}});
  }
  struct FlatLogits {
    std::string boxes;   // [1, 4 * reg_max, anchors]
    std::string scores;  // [1, nc, anchors], before the sigmoid
  };
  // The BranchesApart layout's boxes and class logits, as forward_head returns them in a dict.
  FlatLogits box_and_class_logits(OnnxGraphBuilder& b, const std::vector<Feature>& levels) const;
  // A value of that dict, looked up where _inference uses it: the traced lookup is a step of the
  // order the 8.4 exports have, which delays every use by one (see add_vanished_step).
  static std::string looked_up(OnnxGraphBuilder& b, const std::string& value) {
    return b.add_vanished_step(value);
  }
  // The DFL: each side's distribution over reg_max bins to its expected distance, [1, 4, anchors].
  std::string dfl(OnnxGraphBuilder& b, const std::string& box_logits, std::int64_t anchors) const;
  // dist2bbox times the strides: the boxes as cx, cy, w, h in input pixels, or with `corners`
  // (end-to-end heads) as x1, y1, x2, y2.
  std::string box_pixels(OnnxGraphBuilder& b, const std::string& distances,
                         const std::vector<Feature>& levels, std::int64_t imgsz,
                         bool corners = false) const;
  static std::int64_t anchor_count(const std::vector<Feature>& levels);
  // The branch Segment, Pose and OBB add beside Detect's, "cv4.i": per level three convolutions
  // (hidden width max(channels of the finest level / 4, `channels`)) to `channels` outputs,
  // flattened and joined: [1, channels, anchors].
  static std::string task_branch(OnnxGraphBuilder& b, const std::vector<Feature>& levels, std::int64_t channels);

  std::int64_t num_classes_, reg_max_;
  DetectLayout layout_;
  DetectVariant variant_;

 private:
  // "one2one_" when the one-to-one branches are the exported ones, else "".
  std::string branch_prefix() const { return variant_.end_to_end ? "one2one_" : ""; }
  // Detect.postprocess on [1, 4 + nc, anchors]: the top max_det anchors by best class score,
  // then the top max_det (anchor, class) pairs among them: [1, k, 6].
  std::string top_k_detections(OnnxGraphBuilder& b, const std::string& decoded,
                               std::int64_t anchors, std::int64_t max_det) const;
  // The ConcatPerLevel head: [1, 4 + nc, anchors], boxes in pixels, then class probabilities.
  std::string concat_per_level_output(OnnxGraphBuilder& b, const std::vector<Feature>& levels,
                                      std::int64_t imgsz) const;
};

// Anchor points and strides of the levels, as the exporter folded them into constants.
struct AnchorConstants {
  Tensor points;   // [1, 2, anchors]: cell centres x, y in grid units, finest level first
  Tensor strides;  // [1, anchors]
};
AnchorConstants anchor_constants(const std::vector<Feature>& levels, std::int64_t imgsz);

// Detect plus 32 mask coefficients per anchor (cv4) and the Proto module on the finest level:
// output0 [1, 4 + nc + 32, anchors], output1 the prototypes [1, 32, 2 H0, 2 W0].
class SegmentHead : public DetectionHead {
 public:
  SegmentHead(std::int64_t num_classes, std::int64_t proto_channels, std::int64_t masks = 32)
      : DetectionHead(num_classes, DetectLayout::BranchesApart),
        proto_channels_(proto_channels),
        masks_(masks) {}
  std::string task() const override { return "segment"; }
  std::string module_name() const override { return "Segment"; }
  std::vector<HeadOutput> build(OnnxGraphBuilder& b, const std::vector<Feature>& levels,
                                std::int64_t imgsz) const override;

 private:
  std::int64_t proto_channels_, masks_;
};

// Detect plus keypoints (cv4), decoded to input pixels (and visibility probabilities):
// output0 [1, 4 + nc + keypoints * dims, anchors].
class PoseHead : public DetectionHead {
 public:
  PoseHead(std::int64_t num_classes, std::int64_t keypoints = 17, std::int64_t dims = 3)
      : DetectionHead(num_classes, DetectLayout::BranchesApart),
        keypoints_(keypoints),
        dims_(dims) {}
  std::string task() const override { return "pose"; }
  std::string module_name() const override { return "Pose"; }
  int unexplained_value_ids() const override { return 1; }
  std::vector<HeadOutput> build(OnnxGraphBuilder& b, const std::vector<Feature>& levels,
                                std::int64_t imgsz) const override;
  std::pair<std::int64_t, std::int64_t> keypoint_shape() const { return {keypoints_, dims_}; }

 private:
  std::string decoded_keypoints(OnnxGraphBuilder& b, const std::string& keypoint_logits,
                                const std::vector<Feature>& levels, std::int64_t imgsz) const;
  std::int64_t keypoints_, dims_;
};

// Detect plus a rotation angle per anchor (cv4): rotated boxes cx, cy, w, h in input pixels,
// class probabilities, then the angle in radians: output0 [1, 4 + nc + 1, anchors].
class ObbHead : public DetectionHead {
 public:
  explicit ObbHead(std::int64_t num_classes)
      : DetectionHead(num_classes, DetectLayout::BranchesApart) {}
  std::string task() const override { return "obb"; }
  std::string module_name() const override { return "OBB"; }
  int unexplained_value_ids() const override { return 1; }
  std::vector<HeadOutput> build(OnnxGraphBuilder& b, const std::vector<Feature>& levels,
                                std::int64_t imgsz) const override;
};

// Conv to 1280 channels, global average pool, Linear, softmax: output0 [1, nc].
class ClassifyHead : public TaskHead {
 public:
  explicit ClassifyHead(std::int64_t num_classes) : num_classes_(num_classes) {}
  std::string task() const override { return "classify"; }
  std::string module_name() const override { return "Classify"; }
  bool uses_neck() const override { return false; }
  std::vector<HeadOutput> build(OnnxGraphBuilder& b, const std::vector<Feature>& levels,
                                std::int64_t imgsz) const override;

 private:
  std::int64_t num_classes_;
};

}  // namespace yoloq::yolo
