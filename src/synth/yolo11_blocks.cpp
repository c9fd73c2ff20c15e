#include "synth/yolo11_blocks.hpp"

#include <cmath>

#include "synth/activation_moments.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq::yolo {

namespace {

Tensor float_vector(const std::vector<float>& values) {
  Tensor t(DType::Float32, {static_cast<std::int64_t>(values.size())});
  std::copy(values.begin(), values.end(), t.values<float>().begin());
  return t;
}

Tensor float_scalar(float value) {
  Tensor t(DType::Float32, {});
  t.values<float>()[0] = value;
  return t;
}

std::vector<std::string> split(OnnxGraphBuilder& b, const std::string& x,
                               const std::vector<std::int64_t>& sizes, std::int64_t axis) {
  auto sizes_name = b.split_sizes(sizes);
  return b.add_node("Split", {x, sizes_name}, sizes.size(), {{"axis", axis}});
}

std::string reshape(OnnxGraphBuilder& b, const std::string& x, const std::string& shape) {
  return b.add_node1("Reshape", {x, shape}, {{"allowzero", std::int64_t{0}}});
}

// Attention of PSABlock: multi-head self-attention over the H*W positions, where keys and
// queries are half as wide as values, plus a depthwise 3x3 positional encoding of the values.
Feature attention(OnnxGraphBuilder& b, const Feature& x, std::int64_t num_heads,
                  double attn_ratio) {
  auto scope = b.enter("attn");
  const std::int64_t dim = x.channels, head_dim = dim / num_heads;
  const auto key_dim = static_cast<std::int64_t>(static_cast<double>(head_dim) * attn_ratio);
  const std::int64_t positions = x.height * x.width;
  // The exporter traced "B, C, H, W = x.shape" and N = H * W, then folded them to constants;
  // those values still took their numbers (calibrated on the reference export).
  b.skip_value_ids(14);
  auto qkv = conv_module(b, "qkv", x, dim + 2 * key_dim * num_heads,
                         {.silu = false, .role = ParameterRole::LinearConvWeight});
  auto heads_shape = b.literal_constant(
      "Constant", int64_vector({1, num_heads, 2 * key_dim + head_dim, positions}));
  auto q_k_v = split(b, reshape(b, qkv.tensor, heads_shape), {key_dim, key_dim, head_dim}, 2);
  const std::vector<std::int64_t> swap_last{0, 1, 3, 2};
  const auto scale_value =
      float_scalar(static_cast<float>(1.0 / std::sqrt(static_cast<double>(key_dim))));
  std::string scaled;  // the attention logits, q^T k / sqrt(key_dim)
  if (b.dialect().scale_queries_first) {
    auto q_scaled = b.add_node1("Mul", {q_k_v[0], b.literal_constant("Constant", scale_value)});
    auto q_t = b.add_node1("Transpose", {q_scaled}, {{"perm", swap_last}});
    scaled = b.add_node1("MatMul", {q_t, q_k_v[1]});
  } else {
    auto q_t = b.add_node1("Transpose", {q_k_v[0]}, {{"perm", swap_last}});
    auto scores = b.add_node1("MatMul", {q_t, q_k_v[1]});
    scaled = b.add_node1("Mul", {scores, b.literal_constant("Constant", scale_value)});
  }
  auto weights = b.add_node1("Softmax", {scaled}, {{"axis", std::int64_t{-1}}});
  auto weights_t = b.add_node1("Transpose", {weights}, {{"perm", swap_last}});
  auto attended = b.add_node1("MatMul", {q_k_v[2], weights_t});
  // Both reshapes back to [B, C, H, W] share one constant, which the export names Constant_3.
  b.skip_folded("Constant", 1);
  auto image_shape = b.literal_constant("Constant", int64_vector({1, dim, x.height, x.width}));
  auto attended_image = reshape(b, attended, image_shape);
  Feature values_image{reshape(b, q_k_v[2], image_shape), dim, x.height, x.width,
                       qkv.second_moment};
  auto positional = conv_module(
      b, "pe", values_image, dim,
      {.kernel = 3, .groups = dim, .silu = false, .role = ParameterRole::LinearConvWeight});
  // Attention averages values over positions, which shrinks them; counted at half their moment.
  Feature sum{b.add_node1("Add", {attended_image, positional.tensor}), dim, x.height, x.width,
              positional.second_moment + qkv.second_moment / 2};
  return conv_module(b, "proj", sum, dim, {.silu = false, .role = ParameterRole::LinearConvWeight});
}

}  // namespace

Feature psa_block(OnnxGraphBuilder& b, const Feature& x, double attn_ratio,
                  std::int64_t num_heads) {
  auto attended = attention(b, x, num_heads, attn_ratio);
  Feature after_attention{b.add_node1("Add", {x.tensor, attended.tensor}), x.channels, x.height,
                          x.width, x.second_moment + attended.second_moment};
  Feature ffn_out;
  {
    auto ffn = b.enter("ffn");
    Feature hidden;
    {
      auto s = b.enter("ffn.0", "0");
      hidden = conv(b, after_attention, x.channels * 2);
    }
    auto s = b.enter("ffn.1", "1");
    ffn_out = conv(b, hidden, x.channels, {.silu = false, .role = ParameterRole::LinearConvWeight});
  }
  return {b.add_node1("Add", {after_attention.tensor, ffn_out.tensor}), x.channels, x.height,
          x.width, after_attention.second_moment + ffn_out.second_moment};
}

std::string silu(OnnxGraphBuilder& b, const std::string& x) {
  auto scope = b.enter("act");
  auto sigmoid = b.add_node1("Sigmoid", {x});
  return b.add_node1("Mul", {x, sigmoid});
}

Feature conv2d(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels,
               const ConvOptions& o) {
  if (x.channels % o.groups != 0 || out_channels % o.groups != 0)
    throw Error("convolution of " + std::to_string(x.channels) + " to " +
                std::to_string(out_channels) + " channels cannot have " + std::to_string(o.groups) +
                " groups");
  const double fan_in = static_cast<double>(x.channels / o.groups * o.kernel * o.kernel);
  auto weight = b.add_parameter("weight", {out_channels, x.channels / o.groups, o.kernel, o.kernel},
                                o.role, o.role, weight_std_for(o.role, fan_in, x.second_moment));
  auto bias = b.add_parameter("bias", {out_channels}, ParameterRole::Bias, o.role);
  const std::int64_t pad = o.kernel / 2;
  auto out = b.add_node1("Conv", {x.tensor, weight, bias},
                         {{"dilations", std::vector<std::int64_t>{1, 1}},
                          {"group", o.groups},
                          {"kernel_shape", std::vector<std::int64_t>{o.kernel, o.kernel}},
                          {"pads", std::vector<std::int64_t>{pad, pad, pad, pad}},
                          {"strides", std::vector<std::int64_t>{o.stride, o.stride}}});
  auto spatial = [&](std::int64_t size) { return (size + 2 * pad - o.kernel) / o.stride + 1; };
  return {out, out_channels, spatial(x.height), spatial(x.width), conv_output_moment(o.role)};
}

Feature conv(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels,
             ConvOptions options) {
  if (!options.silu && options.role == ParameterRole::HiddenConvWeight)
    options.role = ParameterRole::LinearConvWeight;
  Feature out;
  {
    auto scope = b.enter("conv");
    out = conv2d(b, x, out_channels, options);
  }
  if (options.silu) {
    out.tensor = silu(b, out.tensor);
    out.second_moment = silu_output_moment(out.second_moment);
  }
  return out;
}

Feature conv_module(OnnxGraphBuilder& b, const std::string& scope, const Feature& x,
                    std::int64_t out_channels, ConvOptions options) {
  auto s = b.enter(scope);
  return conv(b, x, out_channels, options);
}

Feature bottleneck(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels, bool shortcut,
                   std::int64_t kernel1, std::int64_t kernel2, double expansion) {
  const auto hidden = static_cast<std::int64_t>(static_cast<double>(out_channels) * expansion);
  auto h = conv_module(b, "cv1", x, hidden, {.kernel = kernel1});
  auto y = conv_module(b, "cv2", h, out_channels, {.kernel = kernel2});
  if (shortcut && x.channels == out_channels) {
    y.tensor = b.add_node1("Add", {x.tensor, y.tensor});
    y.second_moment += x.second_moment;
  }
  return y;
}

// C3 with 3x3 bottlenecks: cv3(concat(bottlenecks(cv1(x)), cv2(x))).
Feature c3k(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels, int repeats,
            bool shortcut) {
  const std::int64_t hidden = out_channels / 2;
  auto y = conv_module(b, "cv1", x, hidden);
  {
    auto sequence = b.enter("m");
    for (int i = 0; i < repeats; ++i) {
      auto s = b.enter("m." + std::to_string(i), std::to_string(i));
      y = bottleneck(b, y, hidden, shortcut, 3, 3, 1.0);
    }
  }
  auto side = conv_module(b, "cv2", x, hidden);
  auto joined = concat_channels(b, {y, side});
  return conv_module(b, "cv3", joined, out_channels);
}

namespace {

// C2f: cv1, split in halves, each block (in scope "m.<i>") extends the last half, cv2 over all
// of them. C3k2, C2fCIB and C2f itself differ only in their blocks.
template <typename Block>
Feature c2f_with(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels, int repeats,
                 double expansion, Block&& block) {
  const auto hidden = static_cast<std::int64_t>(static_cast<double>(out_channels) * expansion);
  auto y = conv_module(b, "cv1", x, 2 * hidden);
  auto halves = split(b, y.tensor, {hidden, hidden}, 1);
  std::vector<Feature> parts{{halves[0], hidden, y.height, y.width, y.second_moment},
                             {halves[1], hidden, y.height, y.width, y.second_moment}};
  for (int i = 0; i < repeats; ++i) {
    auto s = b.enter("m." + std::to_string(i));
    parts.push_back(block(parts.back(), hidden));
  }
  return conv_module(b, "cv2", concat_channels(b, parts), out_channels);
}

// Depthwise Conv in the current scope ("cv1.0" of a CIB, SCDown's cv2).
Feature depthwise(OnnxGraphBuilder& b, const Feature& x, std::int64_t kernel, std::int64_t stride,
                  bool silu) {
  return conv(b, x, x.channels,
              {.kernel = kernel, .stride = stride, .groups = x.channels, .silu = silu});
}

}  // namespace

Feature c3k2(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels, int repeats,
             bool use_c3k, double expansion, bool shortcut) {
  return c2f_with(b, x, out_channels, repeats, expansion,
                  [&](const Feature& part, std::int64_t hidden) {
                    return use_c3k ? c3k(b, part, hidden, 2, shortcut)
                                   : bottleneck(b, part, hidden, shortcut, 3, 3, 0.5);
                  });
}

Feature c3k2_attention(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels,
                       int repeats, double expansion) {
  int index = 0;
  return c2f_with(b, x, out_channels, repeats, expansion,
                  [&](const Feature& part, std::int64_t hidden) {
                    const std::string sequence = "m." + std::to_string(index++);
                    Feature y;
                    {
                      auto s = b.enter(sequence + ".0", "0");
                      y = bottleneck(b, part, hidden, true, 3, 3, 0.5);
                    }
                    auto s = b.enter(sequence + ".1", "1");
                    return psa_block(b, y, 0.5, std::max<std::int64_t>(hidden / 64, 1));
                  });
}

Feature c2f(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels, int repeats,
            bool shortcut) {
  return c2f_with(b, x, out_channels, repeats, 0.5,
                  [&](const Feature& part, std::int64_t hidden) {
                    return bottleneck(b, part, hidden, shortcut, 3, 3, 1.0);
                  });
}

Feature sc_down(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels,
                std::int64_t kernel, std::int64_t stride) {
  auto y = conv_module(b, "cv1", x, out_channels);
  auto s = b.enter("cv2");
  return depthwise(b, y, kernel, stride, false);
}

// CIB: depthwise 3x3, pointwise to 2c, depthwise (3x3, or RepVGGDW's fused 7x7), pointwise to c,
// depthwise 3x3, in nn.Sequential cv1; residual when the widths allow.
Feature c2f_cib(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels, int repeats,
                bool shortcut, bool large_kernel) {
  return c2f_with(
      b, x, out_channels, repeats, 0.5, [&](const Feature& part, std::int64_t hidden) {
        Feature y = part;
        {
          auto sequence = b.enter("cv1");
          auto step = [&](int i) { return b.enter("cv1." + std::to_string(i), std::to_string(i)); };
          {
            auto s = step(0);
            y = depthwise(b, y, 3, 1, true);
          }
          {
            auto s = step(1);
            y = conv(b, y, 2 * hidden);
          }
          {
            auto s = step(2);
            if (large_kernel) {
              {
                auto fused = b.enter("conv");
                y = conv2d(b, y, y.channels,
                           {.kernel = 7, .groups = y.channels, .silu = false,
                            .role = ParameterRole::HiddenConvWeight});
              }
              y.tensor = silu(b, y.tensor);
              y.second_moment = silu_output_moment(y.second_moment);
            } else {
              y = depthwise(b, y, 3, 1, true);
            }
          }
          {
            auto s = step(3);
            y = conv(b, y, hidden);
          }
          auto s = step(4);
          y = depthwise(b, y, 3, 1, true);
        }
        if (shortcut && part.channels == hidden) {
          y.tensor = b.add_node1("Add", {part.tensor, y.tensor});
          y.second_moment += part.second_moment;
        }
        return y;
      });
}

// PSA: C2PSA's one attention block inlined: attn and ffn sit in the module's own scope.
Feature psa(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels) {
  const std::int64_t hidden = x.channels / 2;
  auto y = conv_module(b, "cv1", x, 2 * hidden);
  auto halves = split(b, y.tensor, {hidden, hidden}, 1);
  Feature attended =
      psa_block(b, {halves[1], hidden, y.height, y.width, y.second_moment}, 0.5, hidden / 64);
  return conv_module(
      b, "cv2",
      concat_channels(b, {{halves[0], hidden, y.height, y.width, y.second_moment}, attended}),
      out_channels);
}

// Spatial pyramid pooling, fast: three chained 5x5 max pools, concatenated with their input.
Feature sppf(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels,
             const SppfOptions& options) {
  const std::int64_t pool_kernel = options.pool_kernel;
  auto y = conv_module(b, "cv1", x, x.channels / 2, {.silu = options.hidden_silu});
  std::vector<Feature> pyramid{y};
  for (int i = 0; i < 3; ++i) {
    auto s = b.enter(i == 0 ? "m" : "m_" + std::to_string(i));
    const std::int64_t pad = pool_kernel / 2;
    Feature pooled = pyramid.back();
    pooled.tensor =
        b.add_node1("MaxPool", {pooled.tensor},
                    {{"ceil_mode", std::int64_t{0}},
                     {"dilations", std::vector<std::int64_t>{1, 1}},
                     {"kernel_shape", std::vector<std::int64_t>{pool_kernel, pool_kernel}},
                     {"pads", std::vector<std::int64_t>{pad, pad, pad, pad}},
                     {"strides", std::vector<std::int64_t>{1, 1}}});
    pooled.second_moment *= kMaxPoolMomentGain;
    pyramid.push_back(pooled);
  }
  auto out = conv_module(b, "cv2", concat_channels(b, pyramid), out_channels);
  if (options.shortcut && x.channels == out_channels) {
    out.tensor = b.add_node1("Add", {out.tensor, x.tensor});
    out.second_moment += x.second_moment;
  }
  return out;
}

// C2 with position-sensitive attention blocks on one half of the channels.
Feature c2psa(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels, int repeats) {
  if (out_channels != x.channels)
    throw Error("C2PSA keeps its channel count: " + std::to_string(x.channels) + " in, " +
                std::to_string(out_channels) + " out");
  const std::int64_t hidden = x.channels / 2;
  auto y = conv_module(b, "cv1", x, 2 * hidden);
  auto halves = split(b, y.tensor, {hidden, hidden}, 1);
  Feature attended{halves[1], hidden, y.height, y.width, y.second_moment};
  {
    auto sequence = b.enter("m");
    for (int i = 0; i < repeats; ++i) {
      auto s = b.enter("m." + std::to_string(i), std::to_string(i));
      attended = psa_block(b, attended, 0.5, hidden / 64);
    }
  }
  return conv_module(
      b, "cv2",
      concat_channels(b, {{halves[0], hidden, y.height, y.width, y.second_moment}, attended}),
      out_channels);
}

Feature upsample_nearest2x(OnnxGraphBuilder& b, const Feature& x) {
  auto scales = b.literal_constant("Constant", float_vector({1.0f, 1.0f, 2.0f, 2.0f}));
  auto out = b.add_node1("Resize", {x.tensor, "", scales},
                         {{"coordinate_transformation_mode", std::string("asymmetric")},
                          {"cubic_coeff_a", -0.75f},
                          {"mode", std::string("nearest")},
                          {"nearest_mode", std::string("floor")}});
  return {out, x.channels, x.height * 2, x.width * 2, x.second_moment};
}

Feature concat_channels(OnnxGraphBuilder& b, const std::vector<Feature>& inputs) {
  std::vector<std::string> names;
  std::int64_t channels = 0;
  double moment_sum = 0;  // channel-weighted
  for (const auto& f : inputs) {
    names.push_back(f.tensor);
    channels += f.channels;
    moment_sum += f.second_moment * static_cast<double>(f.channels);
  }
  return {b.add_node1("Concat", names, {{"axis", std::int64_t{1}}}), channels, inputs[0].height,
          inputs[0].width, moment_sum / static_cast<double>(channels)};
}

}  // namespace yoloq::yolo
