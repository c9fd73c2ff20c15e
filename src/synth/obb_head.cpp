// The OBB head of YOLO11 as Ultralytics 8.4 exports it: Detect plus per level an angle branch
// (cv4), mapped to [-pi/4, 3pi/4) by (sigmoid - 0.25) * pi, and the boxes decoded by dist2rbox:
// the centre offset (rb - lt) / 2 is rotated by the angle before the anchor point is added.
#include <numbers>

#include "synth/task_heads.hpp"

namespace yoloq::yolo {

namespace {

Tensor float_scalar(float value) {
  Tensor t(DType::Float32, {});
  t.values<float>()[0] = value;
  return t;
}

}  // namespace

std::vector<HeadOutput> ObbHead::build(OnnxGraphBuilder& b, const std::vector<Feature>& levels,
                                       std::int64_t imgsz) const {
  const std::int64_t angles = 1;  // Ultralytics' ne
  auto logits = box_and_class_logits(b, levels);
  auto angle_logits = task_branch(b, levels, angles);
  auto unit = b.add_node1("Sigmoid", {angle_logits});
  auto centred = b.add_node1("Sub", {unit, b.literal_constant("Constant", float_scalar(0.25f))});
  auto angle = b.add_node1(
      "Mul", {centred, b.literal_constant("Constant", float_scalar(std::numbers::pi_v<float>))});

  auto distances = dfl(b, looked_up(b, logits.boxes), anchor_count(levels));
  // dist2rbox(distances, angle, anchors, dim=1).
  auto lt_rb = b.add_node("Split", {distances, b.literal_constant("Constant", int64_vector({2, 2}))},
                          2, {{"axis", std::int64_t{1}}});
  auto cos = b.add_node1("Cos", {angle});
  auto sin = b.add_node1("Sin", {angle});
  auto half_extent = b.add_node1("Sub", {lt_rb[1], lt_rb[0]});
  auto offset =
      b.add_node1("Div", {half_extent, b.literal_constant("Constant", float_scalar(2.0f))});
  auto xf_yf = b.add_node("Split", {offset, b.literal_constant("Constant", int64_vector({1, 1}))},
                          2, {{"axis", std::int64_t{1}}});
  auto xf_cos = b.add_node1("Mul", {xf_yf[0], cos});
  auto yf_sin = b.add_node1("Mul", {xf_yf[1], sin});
  auto xf_sin = b.add_node1("Mul", {xf_yf[0], sin});
  auto yf_cos = b.add_node1("Mul", {xf_yf[1], cos});
  auto x = b.add_node1("Sub", {xf_cos, yf_sin});
  auto y = b.add_node1("Add", {xf_sin, yf_cos});
  auto rotated = b.add_node1("Concat", {x, y}, {{"axis", std::int64_t{1}}});
  auto anchor = anchor_constants(levels, imgsz);
  auto centre = b.add_node1("Add", {rotated, b.computed_constant("Constant", anchor.points)});
  auto size = b.add_node1("Add", {lt_rb[0], lt_rb[1]});
  auto box_grid = b.add_node1("Concat", {centre, size}, {{"axis", std::int64_t{1}}});
  auto boxes =
      b.add_node1("Mul", {box_grid, b.computed_constant("Constant", anchor.strides)});
  auto probabilities = b.add_node1("Sigmoid", {logits.scores});
  // torch.cat(torch.cat(boxes, scores), angle): the exporter merged the two Concats.
  auto output = b.add_node1("Concat", {boxes, probabilities, angle}, {{"axis", std::int64_t{1}}});
  return {HeadOutput{output, "output0", {1, 4 + num_classes_ + angles, anchor_count(levels)}}};
}

}  // namespace yoloq::yolo
