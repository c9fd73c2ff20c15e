// The layer lists of the detect families besides YOLO11, as their Ultralytics yaml files give
// them (yolo26.yaml, yolov8.yaml, yolov10{n,s,m,b,l,x}.yaml), and the graph of any family.
#include "synth/activation_moments.hpp"
#include "synth/layer_stack.hpp"
#include "synth/yolo11_architecture.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq::yolo {

std::vector<Feature> yolo26_backbone_and_neck(OnnxGraphBuilder& b, const Yolo11Scale& scale,
                                              const Feature& image, LayerStack& layers) {
  const LayerScaler s{scale};
  auto last = [&] { return layers.last(); };
  yolo11_backbone_stages(b, s, image, layers);  // 0-8, as in yolo11.yaml
  layers.add([&] {
    return sppf(b, last(), s.channels(1024), {.hidden_silu = false, .shortcut = true});
  });                                                                            // 9
  layers.add([&] { return c2psa(b, last(), s.channels(1024), s.repeats(2)); });  // 10
  layers.add([&] { return upsample_nearest2x(b, last()); });                     // 11
  layers.add([&] { return concat_channels(b, {last(), layers[6]}); });           // 12
  layers.add([&] { return c3k2(b, last(), s.channels(512), s.repeats(2), true, 0.5); });  // 13
  layers.add([&] { return upsample_nearest2x(b, last()); });                              // 14
  layers.add([&] { return concat_channels(b, {last(), layers[4]}); });                    // 15
  layers.add([&] { return c3k2(b, last(), s.channels(256), s.repeats(2), true, 0.5); });  // 16
  layers.add([&] { return conv(b, last(), s.channels(256), 3, 2); });                     // 17
  layers.add([&] { return concat_channels(b, {last(), layers[13]}); });                   // 18
  layers.add([&] { return c3k2(b, last(), s.channels(512), s.repeats(2), true, 0.5); });  // 19
  layers.add([&] { return conv(b, last(), s.channels(512), 3, 2); });                     // 20
  layers.add([&] { return concat_channels(b, {last(), layers[10]}); });                   // 21
  layers.add([&] { return c3k2_attention(b, last(), s.channels(1024), s.repeats(1), 0.5); });  // 22
  return {layers[16], layers[19], layers[22]};
}

std::vector<Feature> yolov8_backbone_and_neck(OnnxGraphBuilder& b, const Yolo11Scale& scale,
                                              const Feature& image, LayerStack& layers) {
  const LayerScaler s{scale};
  auto last = [&] { return layers.last(); };
  layers.add([&] { return conv(b, image, s.channels(64), 3, 2); });                 // 0 P1/2
  layers.add([&] { return conv(b, last(), s.channels(128), 3, 2); });               // 1 P2/4
  layers.add([&] { return c2f(b, last(), s.channels(128), s.repeats(3), true); });  // 2
  layers.add([&] { return conv(b, last(), s.channels(256), 3, 2); });               // 3 P3/8
  layers.add([&] { return c2f(b, last(), s.channels(256), s.repeats(6), true); });  // 4
  layers.add([&] { return conv(b, last(), s.channels(512), 3, 2); });               // 5 P4/16
  layers.add([&] { return c2f(b, last(), s.channels(512), s.repeats(6), true); });  // 6
  layers.add([&] { return conv(b, last(), s.channels(1024), 3, 2); });              // 7 P5/32
  layers.add([&] { return c2f(b, last(), s.channels(1024), s.repeats(3), true); });  // 8
  layers.add([&] { return sppf(b, last(), s.channels(1024)); });                     // 9
  layers.add([&] { return upsample_nearest2x(b, last()); });                         // 10
  layers.add([&] { return concat_channels(b, {last(), layers[6]}); });               // 11
  layers.add([&] { return c2f(b, last(), s.channels(512), s.repeats(3), false); });  // 12
  layers.add([&] { return upsample_nearest2x(b, last()); });                         // 13
  layers.add([&] { return concat_channels(b, {last(), layers[4]}); });               // 14
  layers.add([&] { return c2f(b, last(), s.channels(256), s.repeats(3), false); });  // 15
  layers.add([&] { return conv(b, last(), s.channels(256), 3, 2); });                // 16
  layers.add([&] { return concat_channels(b, {last(), layers[12]}); });              // 17
  layers.add([&] { return c2f(b, last(), s.channels(512), s.repeats(3), false); });  // 18
  layers.add([&] { return conv(b, last(), s.channels(512), 3, 2); });                // 19
  layers.add([&] { return concat_channels(b, {last(), layers[9]}); });               // 20
  layers.add([&] { return c2f(b, last(), s.channels(1024), s.repeats(3), false); });  // 21
  return {layers[15], layers[18], layers[21]};
}

namespace {

// Where the yolov10 yaml files of the sizes differ: which C2f layers are C2fCIB, and whether
// the CIBs of layers 8 and 22 use the large kernel (n, s).
struct Yolov10Layout {
  bool cib6, cib8, cib13, cib19, large_kernel;
};

Yolov10Layout yolov10_layout(const std::string& arch) {
  const char size = arch.back();
  switch (size) {
    case 'n':
      return {false, false, false, false, true};
    case 's':
      return {false, true, false, false, true};
    case 'm':
      return {false, true, false, true, false};
    case 'b':
    case 'l':
      return {false, true, true, true, false};
    case 'x':
      return {true, true, true, true, false};
  }
  throw Error("no yolov10 yaml for '" + arch + "'");
}

}  // namespace

std::vector<Feature> yolov10_backbone_and_neck(OnnxGraphBuilder& b, const Yolo11Scale& scale,
                                               const Feature& image, LayerStack& layers) {
  const LayerScaler s{scale};
  const auto layout = yolov10_layout(scale.arch);
  auto last = [&] { return layers.last(); };
  // C2f, or C2fCIB (shortcut) where the size's yaml has it.
  auto c2f_or_cib = [&](bool cib, std::int64_t channels, int repeats, bool shortcut,
                        bool large_kernel = false) {
    return cib ? c2f_cib(b, last(), s.channels(channels), s.repeats(repeats), true, large_kernel)
               : c2f(b, last(), s.channels(channels), s.repeats(repeats), shortcut);
  };
  layers.add([&] { return conv(b, image, s.channels(64), 3, 2); });                 // 0 P1/2
  layers.add([&] { return conv(b, last(), s.channels(128), 3, 2); });               // 1 P2/4
  layers.add([&] { return c2f(b, last(), s.channels(128), s.repeats(3), true); });  // 2
  layers.add([&] { return conv(b, last(), s.channels(256), 3, 2); });               // 3 P3/8
  layers.add([&] { return c2f(b, last(), s.channels(256), s.repeats(6), true); });  // 4
  layers.add([&] { return sc_down(b, last(), s.channels(512), 3, 2); });            // 5 P4/16
  layers.add([&] { return c2f_or_cib(layout.cib6, 512, 6, true); });                // 6
  layers.add([&] { return sc_down(b, last(), s.channels(1024), 3, 2); });           // 7 P5/32
  layers.add([&] { return c2f_or_cib(layout.cib8, 1024, 3, true, layout.large_kernel); });  // 8
  layers.add([&] { return sppf(b, last(), s.channels(1024)); });                    // 9
  layers.add([&] { return psa(b, last(), s.channels(1024)); });                     // 10
  layers.add([&] { return upsample_nearest2x(b, last()); });                        // 11
  layers.add([&] { return concat_channels(b, {last(), layers[6]}); });              // 12
  layers.add([&] { return c2f_or_cib(layout.cib13, 512, 3, false); });              // 13
  layers.add([&] { return upsample_nearest2x(b, last()); });                        // 14
  layers.add([&] { return concat_channels(b, {last(), layers[4]}); });              // 15
  layers.add([&] { return c2f(b, last(), s.channels(256), s.repeats(3), false); });  // 16
  layers.add([&] { return conv(b, last(), s.channels(256), 3, 2); });                // 17
  layers.add([&] { return concat_channels(b, {last(), layers[13]}); });              // 18
  layers.add([&] { return c2f_or_cib(layout.cib19, 512, 3, false); });               // 19
  layers.add([&] { return sc_down(b, last(), s.channels(512), 3, 2); });             // 20
  layers.add([&] { return concat_channels(b, {last(), layers[10]}); });              // 21
  layers.add([&] { return c2f_or_cib(true, 1024, 3, true, layout.large_kernel); });  // 22
  return {layers[16], layers[19], layers[22]};
}

OnnxGraphBuilder::Result build_yolo_graph(const YoloArchitecture& arch, std::int64_t imgsz,
                                          const TaskHead& head, const ExportDialect& dialect) {
  if (arch.family == YoloFamily::Yolo11) return build_yolo11_graph(arch.scale, imgsz, head, dialect);
  OnnxGraphBuilder b(dialect);
  b.skip_value_ids(head.unexplained_value_ids());
  const Feature image{"images", 3, imgsz, imgsz, kImageSecondMoment};
  b.add_input(image.tensor, {1, 3, imgsz, imgsz});
  LayerStack layers(b);
  std::vector<Feature> levels;
  switch (arch.family) {
    case YoloFamily::Yolo26:
      levels = yolo26_backbone_and_neck(b, arch.scale, image, layers);
      break;
    case YoloFamily::Yolov8:
      levels = yolov8_backbone_and_neck(b, arch.scale, image, layers);
      break;
    case YoloFamily::Yolov10:
      levels = yolov10_backbone_and_neck(b, arch.scale, image, layers);
      break;
    case YoloFamily::Yolo11:
      break;
  }
  std::vector<HeadOutput> outputs;
  {
    auto scope = b.enter("model." + std::to_string(layers.size()));
    outputs = head.build(b, levels, imgsz);
  }
  for (const auto& o : outputs) b.add_output(o.tensor, o.name, o.shape);
  return b.finish();
}

}  // namespace yoloq::yolo
