// The Pose head of YOLO11 as Ultralytics 8.4 exports it: Detect, plus per level a keypoint
// branch (cv4: two 3x3 Conv, a 1x1 Conv2d to keypoints * dims logits), decoded as
// Pose.kpts_decode does in export mode: x, y = (2 * logit + anchor - 0.5) * stride, and the
// visibility (when dims is 3) through a sigmoid.
#include <algorithm>

#include "synth/task_heads.hpp"

namespace yoloq::yolo {

namespace {

// y[:, :, start:end] as torch.onnx writes it: a Slice whose axes, starts, ends and steps are
// literal constants, made in that order.
std::string slice_axis2(OnnxGraphBuilder& b, const std::string& x, std::int64_t start,
                        std::int64_t end) {
  auto axes = b.literal_constant("Constant", int64_vector({2}));
  auto starts = b.literal_constant("Constant", int64_vector({start}));
  auto ends = b.literal_constant("Constant", int64_vector({end}));
  auto steps = b.literal_constant("Constant", int64_vector({1}));
  return b.add_node1("Slice", {x, starts, ends, axes, steps});
}

}  // namespace

std::string PoseHead::decoded_keypoints(OnnxGraphBuilder& b, const std::string& keypoint_logits,
                                        const std::vector<Feature>& levels,
                                        std::int64_t imgsz) const {
  const std::int64_t anchors = anchor_count(levels);
  auto per_keypoint_shape =
      b.literal_constant("Constant", int64_vector({1, keypoints_, dims_, -1}));
  auto per_keypoint = b.add_node1("Reshape", {keypoint_logits, per_keypoint_shape},
                                  {{"allowzero", std::int64_t{0}}});
  auto xy_logits = slice_axis2(b, per_keypoint, 0, 2);
  Tensor two(DType::Float32, {});
  two.values<float>()[0] = 2.0f;
  auto doubled = b.add_node1("Mul", {xy_logits, b.literal_constant("Constant", two)});
  // self.anchors - 0.5 and self.strides, folded: [2, anchors] and [1, anchors].
  auto constants = anchor_constants(levels, imgsz);
  Tensor offsets(DType::Float32, {2, anchors});
  std::transform(constants.points.values<float>().begin(), constants.points.values<float>().end(),
                 offsets.values<float>().begin(), [](float p) { return p - 0.5f; });
  auto shifted = b.add_node1("Add", {doubled, b.computed_constant("Constant", offsets)});
  std::string decoded =
      b.add_node1("Mul", {shifted, b.computed_constant("Constant", constants.strides)});
  if (dims_ == 3) {
    auto visibility = b.add_node1("Sigmoid", {slice_axis2(b, per_keypoint, 2, 3)});
    decoded = b.add_node1("Concat", {decoded, visibility}, {{"axis", std::int64_t{2}}});
  }
  auto flat_shape = b.literal_constant("Constant", int64_vector({1, keypoints_ * dims_, -1}));
  return b.add_node1("Reshape", {decoded, flat_shape}, {{"allowzero", std::int64_t{0}}});
}

std::vector<HeadOutput> PoseHead::build(OnnxGraphBuilder& b, const std::vector<Feature>& levels,
                                        std::int64_t imgsz) const {
  const std::int64_t values = keypoints_ * dims_;
  auto logits = box_and_class_logits(b, levels);
  auto keypoint_logits = task_branch(b, levels, values);
  auto boxes =
      box_pixels(b, dfl(b, looked_up(b, logits.boxes), anchor_count(levels)), levels, imgsz);
  auto probabilities = b.add_node1("Sigmoid", {logits.scores});
  auto keypoints = decoded_keypoints(b, keypoint_logits, levels, imgsz);
  // torch.cat(torch.cat(boxes, scores), keypoints): the exporter merged the two into one Concat.
  auto output =
      b.add_node1("Concat", {boxes, probabilities, keypoints}, {{"axis", std::int64_t{1}}});
  return {HeadOutput{output, "output0", {1, 4 + num_classes_ + values, anchor_count(levels)}}};
}

}  // namespace yoloq::yolo
