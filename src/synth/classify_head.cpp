// The Classify head of YOLO11 as exported: a 1x1 Conv to 1280 channels (EfficientNet-B0's
// width), global average pooling, flatten, Linear (a Gemm against the transposed weight) and a
// softmax over the classes.
#include "synth/activation_moments.hpp"
#include "synth/task_heads.hpp"

namespace yoloq::yolo {

std::vector<HeadOutput> ClassifyHead::build(OnnxGraphBuilder& b,
                                            const std::vector<Feature>& levels,
                                            std::int64_t /*imgsz*/) const {
  constexpr std::int64_t kHiddenChannels = 1280;
  auto features = conv_module(b, "conv", levels.back(), kHiddenChannels);
  std::string pooled;
  {
    auto s = b.enter("pool");
    pooled = b.add_node1("GlobalAveragePool", {features.tensor});
  }
  auto flat = b.add_node1("Flatten", {pooled}, {{"axis", std::int64_t{1}}});
  std::string logits;
  {
    auto s = b.enter("linear");
    const auto role = ParameterRole::ClassOutputWeight;
    // Pooling averages positions, which keeps the channels' second moment at most.
    auto weight =
        b.add_parameter("weight", {num_classes_, kHiddenChannels}, role, role,
                        weight_std_for(role, static_cast<double>(kHiddenChannels),
                                       features.second_moment));
    auto bias = b.add_parameter("bias", {num_classes_}, ParameterRole::Bias, role);
    logits = b.add_node1("Gemm", {flat, weight, bias},
                         {{"alpha", 1.0f}, {"beta", 1.0f}, {"transB", std::int64_t{1}}});
  }
  auto probabilities = b.add_node1("Softmax", {logits}, {{"axis", std::int64_t{1}}});
  return {HeadOutput{probabilities, "output0", {1, num_classes_}}};
}

}  // namespace yoloq::yolo
