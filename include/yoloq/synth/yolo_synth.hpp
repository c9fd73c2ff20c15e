#pragma once
// YOLO models built without downloads: the graph an Ultralytics ONNX export of a given family,
// size and task has (BatchNorm folded, SiLU as Sigmoid * Mul, the task head with its decoding and the
// anchor/stride constants of the image size), with deterministic synthetic weights from a seed
// or the weights of an existing export copied by name. Detect graphs are those of the Ultralytics
// 8.3 export in shared/data (opset 19); segment, pose, obb and classify graphs those of
// Ultralytics 8.4.190 (opset 18). The other detect families (YOLO26, YOLOv8, YOLOv10) are the
// graphs of Ultralytics 8.4.190's exports too.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "yoloq/onnx/model.hpp"

namespace yoloq {

// The scale factors of an Ultralytics yaml (yolo11.yaml, yolo26.yaml, yolov8.yaml, ...).
struct Yolo11Scale {
  std::string arch;  // "yolo11n", "yolov8s"
  double depth = 1.0, width = 1.0;
  std::int64_t max_channels = 1024;
  bool c3k_everywhere = false;  // m, l, x: every C3k2 uses C3k blocks, whatever the yaml says
};

// The tasks, as Ultralytics' metadata "task" names them.
enum class YoloTask { Detect, Segment, Pose, Obb, Classify };
std::string task_name(YoloTask task);  // "detect", "segment", "pose", "obb", "classify"

// The model families: their yaml files differ in blocks and heads.
enum class YoloFamily { Yolo11, Yolo26, Yolov8, Yolov10 };

struct YoloArchitecture {
  std::string name;  // "yolo11n-pose", as Ultralytics names the yaml file ("yolo26n-e2e": below)
  Yolo11Scale scale;
  YoloTask task = YoloTask::Detect;
  YoloFamily family = YoloFamily::Yolo11;
  // YOLO26 and YOLOv10 have two heads. Ultralytics 8.4.190 exports the one-to-many head by
  // default (output [1, 4 + nc, anchors], NMS left to the user, as end2end=False also gives);
  // nms=False exports the one-to-one head with its top-k selection ([1, 300, 6]), which yoloq
  // names with the suffix "-e2e" ("yolo26n-e2e").
  bool end_to_end = false;
};

// yolo11n, s, m, l, x, then the same with -seg, -pose, -obb and -cls.
std::vector<std::string> yolo11_architectures();
// Both throw Error for an unknown name; the scale of "yolo11n-pose" is yolo11n's.
YoloArchitecture yolo11_architecture(const std::string& arch);
Yolo11Scale yolo11_scale(const std::string& arch);

// Every --arch: yolo11_architectures(), then yolo26{n,s,m,l,x} and the same with -e2e,
// yolov8{n,s,m,l,x}, yolov10{n,s,m,b,l,x} and the same with -e2e.
std::vector<std::string> yolo_architectures();
// Any of them; throws Error for an unknown name.
YoloArchitecture yolo_architecture(const std::string& arch);

struct SynthOptions {
  std::string arch = "yolo11n";
  std::int64_t imgsz = 640;  // square input, a multiple of 32, at least 64
  // Unset: the class count of the `weights` export's metadata, else the yaml's (1000 for -cls,
  // 80 for the others).
  std::optional<std::int64_t> num_classes;
  std::uint64_t seed = 0;
  std::filesystem::path weights;  // when set, copy every parameter from this export instead
};

// Throws Error naming the flag and what it needs.
void check_synth_options(const SynthOptions& options);

// The FP32 model with Ultralytics-style metadata; throws Error on bad options or, with
// `weights`, naming the first initializer that is missing or has another shape.
Model synthesize_yolo(const SynthOptions& options);

// Learned parameters (convolution and linear weights and biases, DFL projection) of the
// architecture, counted from its graph without generating weights.
std::int64_t yolo_parameter_count(const SynthOptions& options);

// Ultralytics' default class names: COCO's 80 when num_classes is 80, else "class0", ...
std::vector<std::string> default_class_names(std::int64_t num_classes);

}  // namespace yoloq
