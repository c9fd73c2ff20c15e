#include "synth/yolo11_architecture.hpp"

#include <cmath>

#include "synth/activation_moments.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq::yolo {

namespace {

// yolo11.yaml's channel and repeat arguments are for width and depth 1; each size scales them.
struct LayerScaler {
  const Yolo11Scale& scale;

  std::int64_t channels(std::int64_t yaml_channels) const {
    const double scaled =
        static_cast<double>(std::min(yaml_channels, scale.max_channels)) * scale.width;
    return static_cast<std::int64_t>(std::ceil(scaled / 8.0)) * 8;  // a multiple of 8
  }
  int repeats(int yaml_repeats) const {
    if (yaml_repeats <= 1) return yaml_repeats;
    return std::max(static_cast<int>(std::lround(yaml_repeats * scale.depth)), 1);
  }
  bool c3k(bool yaml_flag) const { return yaml_flag || scale.c3k_everywhere; }
};

}  // namespace

std::vector<Feature> yolo11_backbone_and_neck(OnnxGraphBuilder& b, const Yolo11Scale& scale,
                                              const Feature& image) {
  const LayerScaler s{scale};
  std::vector<Feature> layers;
  auto layer = [&](auto&& emit) {
    auto scope = b.enter("model." + std::to_string(layers.size()));
    layers.push_back(emit());
  };
  auto last = [&] { return layers.back(); };
  // Backbone.
  layer([&] { return conv(b, image, s.channels(64), 3, 2); });    // 0 P1/2
  layer([&] { return conv(b, last(), s.channels(128), 3, 2); });  // 1 P2/4
  layer([&] { return c3k2(b, last(), s.channels(256), s.repeats(2), s.c3k(false), 0.25); });  // 2
  layer([&] { return conv(b, last(), s.channels(256), 3, 2); });  // 3 P3/8
  layer([&] { return c3k2(b, last(), s.channels(512), s.repeats(2), s.c3k(false), 0.25); });  // 4
  layer([&] { return conv(b, last(), s.channels(512), 3, 2); });  // 5 P4/16
  layer([&] { return c3k2(b, last(), s.channels(512), s.repeats(2), s.c3k(true), 0.5); });  // 6
  layer([&] { return conv(b, last(), s.channels(1024), 3, 2); });  // 7 P5/32
  layer([&] { return c3k2(b, last(), s.channels(1024), s.repeats(2), s.c3k(true), 0.5); });  // 8
  layer([&] { return sppf(b, last(), s.channels(1024)); });                                  // 9
  layer([&] { return c2psa(b, last(), s.channels(1024), s.repeats(2)); });                   // 10
  // Neck (the yaml's "head" minus the task head).
  layer([&] { return upsample_nearest2x(b, last()); });                                      // 11
  layer([&] { return concat_channels(b, {last(), layers[6]}); });                            // 12
  layer([&] { return c3k2(b, last(), s.channels(512), s.repeats(2), s.c3k(false), 0.5); });  // 13
  layer([&] { return upsample_nearest2x(b, last()); });                                      // 14
  layer([&] { return concat_channels(b, {last(), layers[4]}); });                            // 15
  layer([&] {
    return c3k2(b, last(), s.channels(256), s.repeats(2), s.c3k(false), 0.5);
  });                                                               // 16 P3 out
  layer([&] { return conv(b, last(), s.channels(256), 3, 2); });    // 17
  layer([&] { return concat_channels(b, {last(), layers[13]}); });  // 18
  layer([&] {
    return c3k2(b, last(), s.channels(512), s.repeats(2), s.c3k(false), 0.5);
  });                                                               // 19 P4 out
  layer([&] { return conv(b, last(), s.channels(512), 3, 2); });    // 20
  layer([&] { return concat_channels(b, {last(), layers[10]}); });  // 21
  layer([&] {
    return c3k2(b, last(), s.channels(1024), s.repeats(2), s.c3k(true), 0.5);
  });  // 22 P5 out
  return {layers[16], layers[19], layers[22]};
}

OnnxGraphBuilder::Result build_yolo11_graph(const Yolo11Scale& scale, std::int64_t imgsz,
                                            const TaskHead& head) {
  OnnxGraphBuilder b;
  const Feature image{"images", 3, imgsz, imgsz, kImageSecondMoment};
  b.add_input(image.tensor, {1, 3, imgsz, imgsz});
  auto levels = yolo11_backbone_and_neck(b, scale, image);
  std::vector<HeadOutput> outputs;
  {
    auto scope = b.enter("model." + std::to_string(23));
    outputs = head.build(b, levels, imgsz);
  }
  for (const auto& o : outputs) b.add_output(o.tensor, o.name, o.shape);
  return b.finish(/*ir_version=*/9, /*opset=*/19);
}

}  // namespace yoloq::yolo
