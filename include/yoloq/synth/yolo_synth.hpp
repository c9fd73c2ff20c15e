#pragma once
// YOLO11 models built without downloads: the graph an Ultralytics ONNX export of a given size
// has (BatchNorm folded, SiLU as Sigmoid * Mul, the Detect head with DFL and the anchor/stride
// constants of the image size, opset 19), with deterministic synthetic weights from a seed or
// the weights of an existing export copied by name.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "yoloq/onnx/model.hpp"

namespace yoloq {

// The scale factors of Ultralytics' yolo11.yaml.
struct Yolo11Scale {
  std::string arch;  // "yolo11n"
  double depth = 1.0, width = 1.0;
  std::int64_t max_channels = 1024;
  bool c3k_everywhere = false;  // m, l, x: every C3k2 uses C3k blocks, whatever the yaml says
};

std::vector<std::string> yolo11_architectures();    // yolo11n, s, m, l, x
Yolo11Scale yolo11_scale(const std::string& arch);  // throws Error for an unknown name

struct SynthOptions {
  std::string arch = "yolo11n";
  std::int64_t imgsz = 640;  // square input, a multiple of 32, at least 64
  std::int64_t num_classes = 80;
  std::uint64_t seed = 0;
  std::filesystem::path weights;  // when set, copy every parameter from this export instead
};

// Throws Error naming the flag and what it needs.
void check_synth_options(const SynthOptions& options);

// The FP32 model with Ultralytics-style metadata; throws Error on bad options or, with
// `weights`, naming the first initializer that is missing or has another shape.
Model synthesize_yolo(const SynthOptions& options);

// Learned parameters (convolution weights and biases, DFL projection) of the architecture,
// counted from its graph without generating weights.
std::int64_t yolo_parameter_count(const SynthOptions& options);

// Ultralytics' default class names: COCO's 80 when num_classes is 80, else "class0", ...
std::vector<std::string> default_class_names(std::int64_t num_classes);

}  // namespace yoloq
