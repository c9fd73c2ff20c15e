#pragma once
// What every family's layer list needs: the yaml's channel and repeat arguments scaled to a size,
// and the layers built so far, each in its scope "model.<index>" as the yaml numbers them.
#include <algorithm>
#include <cmath>
#include <vector>

#include "synth/yolo11_blocks.hpp"
#include "yoloq/synth/yolo_synth.hpp"

namespace yoloq::yolo {

// A yaml's channel and repeat arguments are for width and depth 1; each size scales them.
struct LayerScaler {
  const Yolo11Scale& scale;

  std::int64_t channels(std::int64_t yaml_channels) const {
    const double scaled =
        static_cast<double>(std::min(yaml_channels, scale.max_channels)) * scale.width;
    return static_cast<std::int64_t>(std::ceil(scaled / 8.0)) * 8;  // a multiple of 8
  }
  // Ultralytics' max(round(n * depth), 1); no yaml's n * depth falls on a half, where Python's
  // round and lround would differ.
  int repeats(int yaml_repeats) const {
    if (yaml_repeats <= 1) return yaml_repeats;
    return std::max(static_cast<int>(std::lround(yaml_repeats * scale.depth)), 1);
  }
  bool c3k(bool yaml_flag) const { return yaml_flag || scale.c3k_everywhere; }
};

class LayerStack {
 public:
  explicit LayerStack(OnnxGraphBuilder& b) : b_(b) {}
  template <typename Emit>
  void add(Emit&& emit) {
    auto scope = b_.enter("model." + std::to_string(layers_.size()));
    layers_.push_back(emit());
  }
  const Feature& last() const { return layers_.back(); }
  const Feature& operator[](std::size_t i) const { return layers_[i]; }
  std::size_t size() const { return layers_.size(); }

 private:
  OnnxGraphBuilder& b_;
  std::vector<Feature> layers_;
};

}  // namespace yoloq::yolo
