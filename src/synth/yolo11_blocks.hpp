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
Feature sppf(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels,
             std::int64_t pool_kernel = 5);
Feature c2psa(OnnxGraphBuilder& b, const Feature& x, std::int64_t out_channels, int repeats);
Feature upsample_nearest2x(OnnxGraphBuilder& b, const Feature& x);
Feature concat_channels(OnnxGraphBuilder& b, const std::vector<Feature>& inputs);

std::string silu(OnnxGraphBuilder& b, const std::string& x);  // Sigmoid and Mul in scope "act"

}  // namespace yoloq::yolo
