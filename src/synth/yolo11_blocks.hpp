#pragma once
// The Ultralytics building blocks of YOLO11 as ONNX subgraphs: each function emits what
// torch.onnx exports for one module's forward() (BatchNorm folded into the convolution, SiLU as
// Sigmoid * Mul), in the module's scope, and declares the module's parameters.
#include <cstdint>
#include <string>
#include <vector>

#include "synth/onnx_graph_builder.hpp"

namespace yoloq::yolo {

// A feature map flowing between modules: its tensor name, shape [1, channels, height, width],
// and expected second moment with synthetic weights (activation_moments.hpp).
struct Feature {
  std::string tensor;
  std::int64_t channels = 0, height = 0, width = 0;
  double second_moment = 1.0;
};

struct ConvOptions {
  std::int64_t kernel = 1, stride = 1, groups = 1;
  bool silu = true;                                      // false: Ultralytics' Conv(act=False)
  ParameterRole role = ParameterRole::HiddenConvWeight;  // LinearConvWeight when !silu
};

// nn.Conv2d with bias, in the current scope: a "Conv" node, parameters "weight"/"bias".
Feature conv2d(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels,
               const ConvOptions& options);
// Ultralytics Conv: conv2d in scope "conv", then SiLU in scope "act" unless options.silu is false.
Feature conv(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels,
             ConvOptions options = {});
inline Feature conv(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels,
                    std::int64_t kernel, std::int64_t stride = 1) {
  return conv(b, x, out_channels, ConvOptions{kernel, stride});
}
// A module called in its own scope: enter(scope) then conv().
Feature conv_module(OnnxGraphBuilder& b, const std::string& scope, const Feature& x,
                    std::int64_t out_channels, ConvOptions options = {});

Feature bottleneck(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels, bool shortcut,
                   std::int64_t kernel1, std::int64_t kernel2, double expansion);
Feature c3k(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels, int repeats,
            bool shortcut);
Feature c3k2(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels, int repeats,
             bool use_c3k, double expansion, bool shortcut = true);
// YOLO26's SPPF (yaml args [c2, k, n, shortcut]) has no SiLU after cv1 and adds its input.
struct SppfOptions {
  std::int64_t pool_kernel = 5;
  bool hidden_silu = true;
  bool shortcut = false;
};
Feature sppf(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels,
             const SppfOptions& options = {});
Feature c2psa(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels, int repeats);
// PSABlock in the current scope: attention ("attn") and feed-forward ("ffn"), each residual.
Feature psa_block(OnnxGraphBuilder& b, const Feature& x, double attn_ratio, std::int64_t num_heads);
// C3k2(attn=True) of YOLO26: each block is Bottleneck then PSABlock (nn.Sequential).
Feature c3k2_attention(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels,
                       int repeats, double expansion);

// YOLOv8's C2f: like C3k2, with Bottleneck(e=1.0) blocks.
Feature c2f(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels, int repeats,
            bool shortcut);
// YOLOv10's blocks: a downsampling pointwise + strided depthwise pair, C2f with compact inverted
// blocks (CIB; `large_kernel`: the 7x7 RepVGGDW, fused), and PSA.
Feature sc_down(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels,
                std::int64_t kernel, std::int64_t stride);
Feature c2f_cib(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels, int repeats,
                bool shortcut, bool large_kernel);
Feature psa(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels);
Feature upsample_nearest2x(OnnxGraphBuilder& b, const Feature& x);
Feature concat_channels(OnnxGraphBuilder& b, const std::vector<Feature>& inputs);

std::string silu(OnnxGraphBuilder& b, const std::string& x);  // Sigmoid and Mul in scope "act"

}  // namespace yoloq::yolo
