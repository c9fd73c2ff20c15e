#pragma once
// Builds small Q/DQ test models from the real float model without the quantizer (written
// elsewhere): the first convolution gets a QuantizeLinear/DequantizeLinear pair on its input and
// an INT8 per-channel weight behind a DequantizeLinear. Multiplying the scales by a factor gives a
// deliberately broken model.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "yoloq/onnx/model.hpp"
#include "yoloq/synth/graph_builder.hpp"

namespace yoloq::testing {

// input_scale: the activation scale of the model input (1/127 suits images in [0, 1]);
// scale_factor multiplies both the activation and the weight scales (1 = a sound model).
inline Model quantize_first_conv(Model model, float input_scale, float scale_factor) {
  auto& graph = model.graph();
  int conv = -1;
  for (int i = 0; i < graph.node_size(); ++i)
    if (graph.node(i).op_type() == "Conv") {
      conv = i;
      break;
    }
  if (conv < 0) throw std::runtime_error("no Conv");
  auto* node = graph.mutable_node(conv);
  const std::string input = node->input(0), weight = node->input(1);

  int weight_index = -1;
  for (int i = 0; i < graph.initializer_size(); ++i)
    if (graph.initializer(i).name() == weight) weight_index = i;
  if (weight_index < 0) throw std::runtime_error("Conv weight is not an initializer");
  const Tensor w = to_tensor(graph.initializer(weight_index));
  const auto out_channels = static_cast<std::size_t>(w.shape[0]);
  const std::size_t per_channel = w.numel() / out_channels;
  Tensor scales(DType::Float32, {w.shape[0]});
  Tensor q(DType::Int8, w.shape);
  const auto wv = w.values<float>();
  for (std::size_t o = 0; o < out_channels; ++o) {
    float amax = 0;
    for (std::size_t k = 0; k < per_channel; ++k)
      amax = std::max(amax, std::abs(wv[o * per_channel + k]));
    const float scale = (amax > 0 ? amax / 127.0f : 1.0f) * scale_factor;
    scales.values<float>()[o] = scale;
    for (std::size_t k = 0; k < per_channel; ++k) {
      const float v = std::nearbyint(wv[o * per_channel + k] / scale);
      q.values<std::int8_t>()[o * per_channel + k] =
          static_cast<std::int8_t>(std::clamp(v, -127.0f, 127.0f));
    }
  }
  graph.mutable_initializer()->DeleteSubrange(weight_index, 1);
  node->set_input(0, input + "_dequantized");
  node->set_input(1, weight + "_dequantized");

  GraphBuilder g(std::move(model));
  g.initializer(weight + "_int8", q);
  g.initializer(weight + "_scale", scales);
  g.initializer(weight + "_zero_point", Tensor(DType::Int8, {w.shape[0]}));
  g.initializer(input + "_scale", float_tensor({}, {input_scale * scale_factor}));
  g.initializer(input + "_zero_point", Tensor(DType::Int8, {}));
  g.node("QuantizeLinear", input + "_QuantizeLinear", {input, input + "_scale", input + "_zero_point"},
         {input + "_quantized"});
  g.node("DequantizeLinear", input + "_DequantizeLinear",
         {input + "_quantized", input + "_scale", input + "_zero_point"}, {input + "_dequantized"});
  g.node("DequantizeLinear", weight + "_DequantizeLinear",
         {weight + "_int8", weight + "_scale", weight + "_zero_point"}, {weight + "_dequantized"}, {{"axis", 0}});

  // The new nodes read only the graph input and initializers: put them first.
  auto& nodes = *g.graph().mutable_node();
  std::rotate(nodes.begin(), nodes.end() - 3, nodes.end());
  return std::move(g.model());
}

}  // namespace yoloq::testing
