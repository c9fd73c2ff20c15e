// The Detect head of YOLO11 as exported for inference: per level a box branch (two 3x3 Conv,
// then a 1x1 Conv2d to 4 * reg_max distribution logits) and a class branch (two depthwise 3x3 +
// pointwise pairs, then a 1x1 Conv2d to the class logits); then the DFL turns each side's
// distribution into a distance, and the anchors and strides (constants for the image size)
// turn distances into xywh boxes in input pixels. Both layouts of DetectLayout are here.
#include <algorithm>

#include "synth/task_heads.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq::yolo {

namespace {
constexpr std::int64_t kMaxDetections = 300;  // Detect.max_det
}  // namespace

AnchorConstants anchor_constants(const std::vector<Feature>& levels, std::int64_t imgsz) {
  std::int64_t total = 0;
  for (const auto& l : levels) total += l.height * l.width;
  AnchorConstants c{Tensor(DType::Float32, {1, 2, total}), Tensor(DType::Float32, {1, total})};
  auto points = c.points.values<float>();
  auto strides = c.strides.values<float>();
  std::int64_t a = 0;
  for (const auto& l : levels) {
    const auto stride = static_cast<float>(imgsz / l.height);
    for (std::int64_t y = 0; y < l.height; ++y)
      for (std::int64_t x = 0; x < l.width; ++x, ++a) {
        points[static_cast<std::size_t>(a)] = static_cast<float>(x) + 0.5f;
        points[static_cast<std::size_t>(total + a)] = static_cast<float>(y) + 0.5f;
        strides[static_cast<std::size_t>(a)] = stride;
      }
  }
  return c;
}

std::string DetectionHead::task_branch(OnnxGraphBuilder& b, const std::vector<Feature>& levels,
                                       std::int64_t channels) {
  const std::int64_t hidden = std::max(levels[0].channels / 4, channels);
  return flattened_levels(b, levels, channels, 2, [&](std::size_t i) {
    return three_conv_branch(b, "cv4." + std::to_string(i), levels[i], hidden, channels,
                             ParameterRole::LinearConvWeight);
  });
}

std::int64_t DetectionHead::anchor_count(const std::vector<Feature>& levels) {
  std::int64_t anchors = 0;
  for (const auto& l : levels) anchors += l.height * l.width;
  return anchors;
}

Feature DetectionHead::three_conv_branch(OnnxGraphBuilder& b, const std::string& scope,
                                         const Feature& x, std::int64_t hidden_channels,
                                         std::int64_t out_channels, ParameterRole out_role) {
  auto branch = b.enter(scope);
  Feature y = x;
  for (int k = 0; k < 2; ++k) {
    auto s = b.enter(scope + "." + std::to_string(k), std::to_string(k));
    y = conv(b, y, hidden_channels, 3);
  }
  auto s = b.enter(scope + ".2", "2");
  return conv2d(b, y, out_channels, {.silu = false, .role = out_role});
}

Feature DetectionHead::box_branch(OnnxGraphBuilder& b, const std::vector<Feature>& levels,
                                  std::size_t i) const {
  // Branch widths depend on the finest level, as in Ultralytics' Detect.__init__.
  const std::int64_t box_channels =
      std::max({std::int64_t{16}, levels[0].channels / 4, reg_max_ * 4});
  return three_conv_branch(b, branch_prefix() + "cv2." + std::to_string(i), levels[i],
                           box_channels, 4 * reg_max_, ParameterRole::BoxOutputWeight);
}

Feature DetectionHead::class_branch(OnnxGraphBuilder& b, const std::vector<Feature>& levels,
                                    std::size_t i) const {
  const std::int64_t class_channels =
      std::max(levels[0].channels, std::min(num_classes_, std::int64_t{100}));
  const std::string cls = branch_prefix() + "cv3." + std::to_string(i);
  if (variant_.legacy_class_branch)
    return three_conv_branch(b, cls, levels[i], class_channels, num_classes_,
                             ParameterRole::ClassOutputWeight);
  auto branch = b.enter(cls);
  Feature y = levels[i];
  for (int k = 0; k < 2; ++k) {
    const std::string pair = cls + "." + std::to_string(k);
    auto s = b.enter(pair, std::to_string(k));
    {
      auto depthwise = b.enter(pair + ".0", "0");
      y = conv(b, y, y.channels, {.kernel = 3, .groups = y.channels});
    }
    auto pointwise = b.enter(pair + ".1", "1");
    y = conv(b, y, class_channels);
  }
  auto s = b.enter(cls + ".2", "2");
  return conv2d(b, y, num_classes_, {.silu = false, .role = ParameterRole::ClassOutputWeight});
}

DetectionHead::FlatLogits DetectionHead::box_and_class_logits(
    OnnxGraphBuilder& b, const std::vector<Feature>& levels) const {
  if (levels.empty()) throw Error("detection head needs at least one feature level");
  FlatLogits logits;
  logits.boxes = flattened_levels(b, levels, 4 * reg_max_, -1,
                                  [&](std::size_t i) { return box_branch(b, levels, i); });
  logits.scores = flattened_levels(b, levels, num_classes_, -1,
                                   [&](std::size_t i) { return class_branch(b, levels, i); });
  return logits;
}

std::string DetectionHead::dfl(OnnxGraphBuilder& b, const std::string& box_logits,
                               std::int64_t anchors) const {
  auto dfl = b.enter("dfl");
  auto bins_shape = b.literal_constant("Constant", int64_vector({1, 4, reg_max_, anchors}));
  auto bins = b.add_node1("Reshape", {box_logits, bins_shape}, {{"allowzero", std::int64_t{0}}});
  auto bins_first =
      b.add_node1("Transpose", {bins}, {{"perm", std::vector<std::int64_t>{0, 2, 1, 3}}});
  auto probabilities = b.add_node1("Softmax", {bins_first}, {{"axis", std::int64_t{1}}});
  std::string expected;
  {
    auto s = b.enter("conv");
    auto projection = b.add_parameter("weight", {1, reg_max_, 1, 1}, ParameterRole::DflWeight);
    expected = b.add_node1("Conv", {probabilities, projection},
                           {{"dilations", std::vector<std::int64_t>{1, 1}},
                            {"group", std::int64_t{1}},
                            {"kernel_shape", std::vector<std::int64_t>{1, 1}},
                            {"pads", std::vector<std::int64_t>{0, 0, 0, 0}},
                            {"strides", std::vector<std::int64_t>{1, 1}}});
  }
  auto sides_shape = b.literal_constant("Constant", int64_vector({1, 4, anchors}));
  return b.add_node1("Reshape", {expected, sides_shape}, {{"allowzero", std::int64_t{0}}});
}

std::string DetectionHead::box_pixels(OnnxGraphBuilder& b, const std::string& distances,
                                      const std::vector<Feature>& levels, std::int64_t imgsz,
                                      bool corners) const {
  // dist2bbox(xywh): left-top and right-bottom distances around each anchor point.
  auto axis = b.literal_constant("Constant", int64_vector({1}));
  auto start = b.literal_constant("Constant", int64_vector({0}));
  auto middle = b.literal_constant("Mul", int64_vector({2}));
  auto end = b.literal_constant("Mul", int64_vector({4}));
  auto left_top = b.add_node1("Slice", {distances, start, middle, axis});
  auto right_bottom = b.add_node1("Slice", {distances, middle, end, axis});
  auto anchor = anchor_constants(levels, imgsz);
  b.skip_folded("Constant", 4);
  auto top_left = b.add_node1("Sub", {b.computed_constant("Constant", anchor.points), left_top});
  b.skip_folded("Add", 1);
  auto bottom_right =
      b.add_node1("Add", {b.computed_constant("Constant", anchor.points), right_bottom});
  if (corners) {
    auto box_grid = b.add_node1("Concat", {top_left, bottom_right}, {{"axis", std::int64_t{1}}});
    return b.add_node1("Mul", {box_grid, b.computed_constant("Constant", anchor.strides)});
  }
  auto corner_sum = b.add_node1("Add", {top_left, bottom_right});
  auto size = b.add_node1("Sub", {bottom_right, top_left});
  Tensor two(DType::Float32, {});
  two.values<float>()[0] = 2.0f;
  b.skip_folded("Div", 1);
  auto centre = b.add_node1("Div", {corner_sum, b.literal_constant("Constant", two)});
  auto box_grid = b.add_node1("Concat", {centre, size}, {{"axis", std::int64_t{1}}});
  return b.add_node1("Mul", {box_grid, b.computed_constant("Constant", anchor.strides)});
}

std::string DetectionHead::concat_per_level_output(OnnxGraphBuilder& b,
                                                   const std::vector<Feature>& levels,
                                                   std::int64_t imgsz) const {
  if (levels.empty()) throw Error("detection head needs at least one feature level");
  std::vector<Feature> predictions;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    auto box_logits = box_branch(b, levels, i);
    auto class_logits = class_branch(b, levels, i);
    predictions.push_back(concat_channels(b, {box_logits, class_logits}));
  }
  const std::int64_t outputs_per_anchor = 4 * reg_max_ + num_classes_;
  auto flat_shape = b.literal_constant("Constant", int64_vector({1, outputs_per_anchor, -1}));
  std::vector<std::string> flat;
  for (const auto& p : predictions)
    flat.push_back(
        b.add_node1("Reshape", {p.tensor, flat_shape}, {{"allowzero", std::int64_t{0}}}));
  // Each view traced its own shape constant; the later two were shared with the first.
  b.skip_folded("Constant", 2);
  auto all = b.add_node1("Concat", flat, {{"axis", std::int64_t{2}}});
  // make_anchors ran inside the traced forward; its ops were folded into the anchor and stride
  // constants below, but used up value numbers (calibrated on the reference export).
  b.skip_value_ids(39);
  auto split_sizes = b.split_sizes({4 * reg_max_, num_classes_});
  auto box_and_class = b.add_node("Split", {all, split_sizes}, 2, {{"axis", std::int64_t{1}}});
  auto boxes = box_pixels(b, dfl(b, box_and_class[0], anchor_count(levels)), levels, imgsz);
  auto probabilities = b.add_node1("Sigmoid", {box_and_class[1]});
  return b.add_node1("Concat", {boxes, probabilities}, {{"axis", std::int64_t{1}}});
}

std::vector<HeadOutput> DetectionHead::build(OnnxGraphBuilder& b,
                                             const std::vector<Feature>& levels,
                                             std::int64_t imgsz) const {
  std::string output;
  if (layout_ == DetectLayout::ConcatPerLevel) {
    output = concat_per_level_output(b, levels, imgsz);
  } else {
    auto logits = box_and_class_logits(b, levels);
    auto box_logits = variant_.box_lookup_step ? looked_up(b, logits.boxes) : logits.boxes;
    // reg_max 1: the DFL is nn.Identity, the logits are the distances.
    auto distances = reg_max_ > 1 ? dfl(b, box_logits, anchor_count(levels)) : box_logits;
    auto boxes = box_pixels(b, distances, levels, imgsz, variant_.end_to_end);
    auto probabilities = b.add_node1("Sigmoid", {logits.scores});
    output = b.add_node1("Concat", {boxes, probabilities}, {{"axis", std::int64_t{1}}});
  }
  const std::int64_t anchors = anchor_count(levels);
  if (variant_.end_to_end) {
    const std::int64_t max_det = std::min(kMaxDetections, anchors);
    return {HeadOutput{top_k_detections(b, output, anchors, max_det), "output0", {1, max_det, 6}}};
  }
  return {HeadOutput{output, "output0", {1, 4 + num_classes_, anchors}}};
}

std::string DetectionHead::top_k_detections(OnnxGraphBuilder& b, const std::string& decoded,
                                            std::int64_t anchors, std::int64_t max_det) const {
  // The one-to-one forward and the anchors' tracing used up value numbers that no node shows;
  // only the Split constant's name depends on them (calibrated on the yolo26n export; the other
  // sizes' exports spend a few more or fewer).
  b.skip_value_ids(75);
  auto per_anchor = b.add_node1("Transpose", {decoded}, {{"perm", std::vector<std::int64_t>{0, 2, 1}}});
  auto boxes_and_scores =
      b.add_node("Split", {per_anchor, b.split_sizes({4, num_classes_})}, 2,
                 {{"axis", std::int64_t{-1}}});
  const auto& boxes = boxes_and_scores[0];
  const auto& scores = boxes_and_scores[1];
  auto last_axis = b.literal_constant("Constant", int64_vector({-1}));
  auto k = b.literal_constant("Constant", int64_vector({max_det}));
  auto new_last_axis = b.literal_constant("Constant", int64_vector({2}));
  const Attributes top_k{{"axis", std::int64_t{1}},
                         {"largest", std::int64_t{1}},
                         {"sorted", std::int64_t{1}}};
  // get_topk_index: the anchors of the max_det best scores of any class...
  auto best = b.add_node1("ReduceMax", {scores, last_axis}, {{"keepdims", std::int64_t{0}}});
  auto anchor_index = b.add_node("TopK", {best, k}, 2, top_k)[1];
  auto anchor_rows = b.add_node1(
      "Expand", {b.add_node1("Unsqueeze", {anchor_index, new_last_axis}),
                 b.computed_constant("Where", int64_vector({1, 1, num_classes_}))});
  auto candidate_scores = b.add_node1("GatherElements", {scores, anchor_rows}, {{"axis", std::int64_t{1}}});
  // ...then the best max_det (anchor, class) pairs among those anchors' scores.
  auto flat = b.add_node1("Flatten", {candidate_scores}, {{"axis", std::int64_t{1}}});
  auto pairs = b.add_node("TopK", {flat, k}, 2, top_k);
  auto score = b.add_node1("Unsqueeze", {pairs[0], new_last_axis});
  b.skip_folded("Constant", 5);
  Tensor class_count(DType::Int64, {});
  class_count.values<std::int64_t>()[0] = num_classes_;
  auto classes = b.literal_constant("Constant", class_count);
  auto class_index = b.add_node1("Mod", {pairs[1], classes}, {{"fmod", std::int64_t{0}}});
  b.skip_folded("Div", 1);
  auto candidate = b.add_node1("Div", {pairs[1], classes});
  // The exporter's Div and Cast of the floor division became one Div with the Cast's output.
  candidate = b.rename_output(candidate, "Cast_2");
  auto class_column = b.add_node1("Unsqueeze", {class_index, new_last_axis});
  auto chosen_anchor =
      b.add_node1("GatherElements", {anchor_index, candidate}, {{"axis", std::int64_t{1}}});
  auto class_value = b.add_node1("Cast", {class_column}, {{"to", std::int64_t{onnx::TensorProto::FLOAT}}});
  auto box_rows =
      b.add_node1("Expand", {b.add_node1("Unsqueeze", {chosen_anchor, new_last_axis}),
                             b.computed_constant("Where", int64_vector({1, 1, 4}))});
  auto chosen_boxes = b.add_node1("GatherElements", {boxes, box_rows}, {{"axis", std::int64_t{1}}});
  (void)anchors;
  return b.add_node1("Concat", {chosen_boxes, score, class_value}, {{"axis", std::int64_t{-1}}});
}

}  // namespace yoloq::yolo
