#include "synth/yolo11_architecture.hpp"

#include <cmath>

#include "synth/activation_moments.hpp"
#include "synth/layer_stack.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq::yolo {

// Layers 0-8, the same in yolo11.yaml, yolo11-cls.yaml and yolo26.yaml.
void yolo11_backbone_stages(OnnxGraphBuilder& b, const LayerScaler& s, const Feature& image,
                     LayerStack& layers) {
  layers.add([&] { return conv(b, image, s.channels(64), 3, 2); });         // 0 P1/2
  layers.add([&] { return conv(b, layers.last(), s.channels(128), 3, 2); });  // 1 P2/4
  layers.add([&] {
    return c3k2(b, layers.last(), s.channels(256), s.repeats(2), s.c3k(false), 0.25);
  });                                                                         // 2
  layers.add([&] { return conv(b, layers.last(), s.channels(256), 3, 2); });  // 3 P3/8
  layers.add([&] {
    return c3k2(b, layers.last(), s.channels(512), s.repeats(2), s.c3k(false), 0.25);
  });                                                                         // 4
  layers.add([&] { return conv(b, layers.last(), s.channels(512), 3, 2); });  // 5 P4/16
  layers.add([&] {
    return c3k2(b, layers.last(), s.channels(512), s.repeats(2), s.c3k(true), 0.5);
  });                                                                          // 6
  layers.add([&] { return conv(b, layers.last(), s.channels(1024), 3, 2); });  // 7 P5/32
  layers.add([&] {
    return c3k2(b, layers.last(), s.channels(1024), s.repeats(2), s.c3k(true), 0.5);
  });  // 8
}

namespace {

// yolo11-cls.yaml's backbone, layers 0-9: no SPPF before the C2PSA.
Feature yolo11_classify_backbone(OnnxGraphBuilder& b, const Yolo11Scale& scale,
                                 const Feature& image, LayerStack& layers) {
  const LayerScaler s{scale};
  yolo11_backbone_stages(b, s, image, layers);
  layers.add([&] { return c2psa(b, layers.last(), s.channels(1024), s.repeats(2)); });  // 9
  return layers.last();
}

}  // namespace

std::int64_t scaled_channels(const Yolo11Scale& scale, std::int64_t yaml_channels) {
  return LayerScaler{scale}.channels(yaml_channels);
}

std::vector<Feature> yolo11_backbone_and_neck(OnnxGraphBuilder& b, const Yolo11Scale& scale,
                                              const Feature& image) {
  const LayerScaler s{scale};
  LayerStack layers(b);
  auto last = [&] { return layers.last(); };
  yolo11_backbone_stages(b, s, image, layers);
  layers.add([&] { return sppf(b, last(), s.channels(1024)); });                 // 9
  layers.add([&] { return c2psa(b, last(), s.channels(1024), s.repeats(2)); });  // 10
  // Neck (the yaml's "head" minus the task head).
  layers.add([&] { return upsample_nearest2x(b, last()); });            // 11
  layers.add([&] { return concat_channels(b, {last(), layers[6]}); });  // 12
  layers.add([&] {
    return c3k2(b, last(), s.channels(512), s.repeats(2), s.c3k(false), 0.5);
  });                                                                   // 13
  layers.add([&] { return upsample_nearest2x(b, last()); });            // 14
  layers.add([&] { return concat_channels(b, {last(), layers[4]}); });  // 15
  layers.add([&] {
    return c3k2(b, last(), s.channels(256), s.repeats(2), s.c3k(false), 0.5);
  });                                                                    // 16 P3 out
  layers.add([&] { return conv(b, last(), s.channels(256), 3, 2); });    // 17
  layers.add([&] { return concat_channels(b, {last(), layers[13]}); });  // 18
  layers.add([&] {
    return c3k2(b, last(), s.channels(512), s.repeats(2), s.c3k(false), 0.5);
  });                                                                    // 19 P4 out
  layers.add([&] { return conv(b, last(), s.channels(512), 3, 2); });    // 20
  layers.add([&] { return concat_channels(b, {last(), layers[10]}); });  // 21
  layers.add([&] {
    return c3k2(b, last(), s.channels(1024), s.repeats(2), s.c3k(true), 0.5);
  });  // 22 P5 out
  return {layers[16], layers[19], layers[22]};
}

OnnxGraphBuilder::Result build_yolo11_graph(const Yolo11Scale& scale, std::int64_t imgsz,
                                            const TaskHead& head, const ExportDialect& dialect) {
  OnnxGraphBuilder b(dialect);
  b.skip_value_ids(head.unexplained_value_ids());
  const Feature image{"images", 3, imgsz, imgsz, kImageSecondMoment};
  b.add_input(image.tensor, {1, 3, imgsz, imgsz});
  std::vector<Feature> inputs;
  std::size_t head_layer = 23;
  if (head.uses_neck()) {
    inputs = yolo11_backbone_and_neck(b, scale, image);
  } else {
    LayerStack layers(b);
    inputs = {yolo11_classify_backbone(b, scale, image, layers)};
    head_layer = layers.size();
  }
  std::vector<HeadOutput> outputs;
  {
    auto scope = b.enter("model." + std::to_string(head_layer));
    outputs = head.build(b, inputs, imgsz);
  }
  for (const auto& o : outputs) b.add_output(o.tensor, o.name, o.shape);
  return b.finish();
}

}  // namespace yoloq::yolo
