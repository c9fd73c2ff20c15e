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

namespace yoloq::testing {

inline onnx::TensorProto scalar_proto(const std::string& name, float value) {
  Tensor t(DType::Float32, {});
  t.values<float>()[0] = value;
  return to_proto(t, name);
}

inline onnx::TensorProto int8_zero_proto(const std::string& name, std::vector<std::int64_t> shape) {
  return to_proto(Tensor(DType::Int8, std::move(shape)), name);
}

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
  *graph.add_initializer() = to_proto(q, weight + "_int8");
  *graph.add_initializer() = to_proto(scales, weight + "_scale");
  *graph.add_initializer() = int8_zero_proto(weight + "_zero_point", {w.shape[0]});
  *graph.add_initializer() = scalar_proto(input + "_scale", input_scale * scale_factor);
  *graph.add_initializer() = int8_zero_proto(input + "_zero_point", {});

  onnx::NodeProto quantize, dequantize, dequantize_weight;
  quantize.set_op_type("QuantizeLinear");
  quantize.set_name(input + "_QuantizeLinear");
  for (const auto& in : {input, input + "_scale", input + "_zero_point"}) quantize.add_input(in);
  quantize.add_output(input + "_quantized");
  dequantize.set_op_type("DequantizeLinear");
  dequantize.set_name(input + "_DequantizeLinear");
  for (const auto& in : {input + "_quantized", input + "_scale", input + "_zero_point"})
    dequantize.add_input(in);
  dequantize.add_output(input + "_dequantized");
  dequantize_weight.set_op_type("DequantizeLinear");
  dequantize_weight.set_name(weight + "_DequantizeLinear");
  for (const auto& in : {weight + "_int8", weight + "_scale", weight + "_zero_point"})
    dequantize_weight.add_input(in);
  dequantize_weight.add_output(weight + "_dequantized");
  auto* axis = dequantize_weight.add_attribute();
  axis->set_name("axis");
  axis->set_type(onnx::AttributeProto::INT);
  axis->set_i(0);
  node->set_input(0, input + "_dequantized");
  node->set_input(1, weight + "_dequantized");

  // The new nodes read only the graph input and initializers: put them first.
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  *nodes.Add() = quantize;
  *nodes.Add() = dequantize;
  *nodes.Add() = dequantize_weight;
  for (const auto& n : graph.node()) *nodes.Add() = n;
  graph.mutable_node()->Swap(&nodes);
  return model;
}

}  // namespace yoloq::testing
