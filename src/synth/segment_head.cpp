// The Segment head of YOLO11 as Ultralytics 8.4 exports it: Detect plus per level a mask
// coefficient branch (cv4), appended to each anchor's boxes and scores, and the Proto module on
// the finest level (3x3 Conv, 2x transposed convolution, 3x3 Conv, 1x1 Conv to the prototypes),
// whose output the exporter lists second.

#include "synth/activation_moments.hpp"
#include "synth/task_heads.hpp"

namespace yoloq::yolo {

namespace {

// nn.ConvTranspose2d(c, c, 2, 2, 0, bias=True) in scope `scope`: doubles height and width.
Feature upsample_transposed(OnnxGraphBuilder& b, const std::string& scope, const Feature& x) {
  auto s = b.enter(scope);
  // Each output pixel sees one kernel tap of every input channel.
  const double fan_in = static_cast<double>(x.channels);
  const auto role = ParameterRole::LinearConvWeight;
  auto weight = b.add_parameter("weight", {x.channels, x.channels, 2, 2}, role, role,
                                weight_std_for(role, fan_in, x.second_moment));
  auto bias = b.add_parameter("bias", {x.channels}, ParameterRole::Bias, role);
  auto out = b.add_node1("ConvTranspose", {x.tensor, weight, bias},
                         {{"dilations", std::vector<std::int64_t>{1, 1}},
                          {"group", std::int64_t{1}},
                          {"kernel_shape", std::vector<std::int64_t>{2, 2}},
                          {"pads", std::vector<std::int64_t>{0, 0, 0, 0}},
                          {"strides", std::vector<std::int64_t>{2, 2}}});
  return {out, x.channels, x.height * 2, x.width * 2, conv_output_moment(role)};
}

}  // namespace

std::vector<HeadOutput> SegmentHead::build(OnnxGraphBuilder& b, const std::vector<Feature>& levels,
                                           std::int64_t imgsz) const {
  auto logits = box_and_class_logits(b, levels);
  auto mask_coefficients = task_branch(b, levels, masks_);
  auto boxes =
      box_pixels(b, dfl(b, looked_up(b, logits.boxes), anchor_count(levels)), levels, imgsz);
  auto probabilities = b.add_node1("Sigmoid", {logits.scores});
  // torch.cat(torch.cat(boxes, scores), coefficients): the exporter merged the two Concats.
  auto detections = b.add_node1("Concat", {boxes, probabilities, mask_coefficients},
                                {{"axis", std::int64_t{1}}});
  // Segment.forward runs the Proto after the detection head.
  Feature prototypes;
  {
    auto proto = b.enter("proto");
    auto y = conv_module(b, "cv1", levels[0], proto_channels_, {.kernel = 3});
    y = upsample_transposed(b, "upsample", y);
    y = conv_module(b, "cv2", y, proto_channels_, {.kernel = 3});
    prototypes = conv_module(b, "cv3", y, masks_);
  }
  return {HeadOutput{detections,
                     "output0",
                     {1, 4 + num_classes_ + masks_, anchor_count(levels)}},
          HeadOutput{prototypes.tensor,
                     "output1",
                     {1, masks_, prototypes.height, prototypes.width}}};
}

}  // namespace yoloq::yolo
