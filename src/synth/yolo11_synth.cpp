// yoloq synth: the YOLO graph of a family and size, its parameters (synthetic or copied), Ultralytics-style
// metadata, and the checks that reject what cannot be built.
#include <algorithm>
#include <memory>

#include "synth/parameter_sources.hpp"
#include "synth/yolo11_architecture.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/synth/yolo_synth.hpp"
#include "yoloq/yolo/metadata.hpp"

namespace yoloq {

namespace {

// yolo11.yaml's scales: [depth, width, max_channels].
const std::vector<Yolo11Scale>& scales() {
  static const std::vector<Yolo11Scale> table{
      {"yolo11n", 0.50, 0.25, 1024, false}, {"yolo11s", 0.50, 0.50, 1024, false},
      {"yolo11m", 0.50, 1.00, 512, true},   {"yolo11l", 1.00, 1.00, 512, true},
      {"yolo11x", 1.00, 1.50, 512, true},
  };
  return table;
}

// Beyond these, a model is not a plausible request but a typo that would allocate gigabytes.
constexpr std::int64_t kMaxImgsz = 8192;
constexpr std::int64_t kMaxClasses = 10000;

std::string python_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

void set_metadata(Model& model, const std::string& key, const std::string& value) {
  auto* p = model.proto.add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

std::string display_name(const std::string& arch) {  // "yolo11n-pose" -> "YOLO11n-pose"
  return "YOLO" + arch.substr(4);
}

// The yaml suffix of each task, in the order yolo11_architectures() lists them.
const std::vector<std::pair<YoloTask, std::string>>& task_suffixes() {
  static const std::vector<std::pair<YoloTask, std::string>> table{{YoloTask::Detect, ""},
                                                                   {YoloTask::Segment, "-seg"},
                                                                   {YoloTask::Pose, "-pose"},
                                                                   {YoloTask::Obb, "-obb"},
                                                                   {YoloTask::Classify, "-cls"}};
  return table;
}

// The nc of the task's yaml: ImageNet's 1000 for classify, COCO's 80 for the others.
std::int64_t yaml_class_count(YoloTask task) { return task == YoloTask::Classify ? 1000 : 80; }

std::int64_t class_count(const SynthOptions& options, const YoloArchitecture& arch,
                         const std::optional<YoloMetadata>& weights_metadata) {
  if (options.num_classes) return *options.num_classes;
  if (weights_metadata && !weights_metadata->names.empty())
    return static_cast<std::int64_t>(weights_metadata->names.size());
  return yaml_class_count(arch.task);
}

// The graph of the architecture and the export it reproduces.
struct Blueprint {
  std::unique_ptr<yolo::TaskHead> head;
  yolo::ExportDialect dialect;
};

Blueprint blueprint(const YoloArchitecture& arch, std::int64_t num_classes) {
  using namespace yolo;
  switch (arch.family) {
    case YoloFamily::Yolo11:
      break;
    case YoloFamily::Yolo26:  // reg_max: 1 in yolo26.yaml
      return {std::make_unique<DetectionHead>(
                  num_classes, DetectVariant{.reg_max = 1, .end_to_end = arch.end_to_end}),
              kUltralytics84Dialect};
    case YoloFamily::Yolov8:  // no C3k2 or C2fCIB: Detect.legacy
      return {std::make_unique<DetectionHead>(num_classes,
                                              DetectVariant{.legacy_class_branch = true,
                                                            .box_lookup_step = false}),
              kUltralytics84Dialect};
    case YoloFamily::Yolov10:
      return {std::make_unique<DetectionHead>(
                  num_classes,
                  DetectVariant{.end_to_end = arch.end_to_end, .module_name = "v10Detect"}),
              kUltralytics84Dialect};
  }
  switch (arch.task) {
    case YoloTask::Detect:
      return {std::make_unique<DetectionHead>(num_classes), kUltralytics83QdqDialect};
    case YoloTask::Segment:
      // Segment's yaml argument npr = 256 prototype channels is scaled like a layer's width.
      return {std::make_unique<SegmentHead>(num_classes, scaled_channels(arch.scale, 256)),
              kUltralytics84Dialect};
    case YoloTask::Pose:
      return {std::make_unique<PoseHead>(num_classes), kUltralytics84Dialect};
    case YoloTask::Obb:
      return {std::make_unique<ObbHead>(num_classes), kUltralytics84Dialect};
    case YoloTask::Classify:
      return {std::make_unique<ClassifyHead>(num_classes), kUltralytics84Dialect};
  }
  throw Error("unknown task");
}

void check_class_count(std::int64_t num_classes) {
  if (num_classes < 1 || num_classes > kMaxClasses)
    throw Error("--nc " + std::to_string(num_classes) + ": must be from 1 to " +
                std::to_string(kMaxClasses));
}

}  // namespace

std::string task_name(YoloTask task) {
  switch (task) {
    case YoloTask::Detect:
      return "detect";
    case YoloTask::Segment:
      return "segment";
    case YoloTask::Pose:
      return "pose";
    case YoloTask::Obb:
      return "obb";
    case YoloTask::Classify:
      return "classify";
  }
  return "?";
}

std::vector<std::string> yolo11_architectures() {
  std::vector<std::string> names;
  for (const auto& [task, suffix] : task_suffixes())
    for (const auto& s : scales()) names.push_back(s.arch + suffix);
  return names;
}

YoloArchitecture yolo11_architecture(const std::string& arch) {
  for (const auto& [task, suffix] : task_suffixes())
    for (const auto& s : scales())
      if (s.arch + suffix == arch) return {arch, s, task};
  std::string sizes;
  for (std::size_t i = 0; i < scales().size(); ++i)
    sizes += (i == 0 ? "" : i + 1 == scales().size() ? " or " : ", ") + scales()[i].arch;
  throw Error("--arch '" + arch + "': unknown architecture, expected " + sizes +
              ", alone or with -seg, -pose, -obb or -cls");
}

Yolo11Scale yolo11_scale(const std::string& arch) { return yolo11_architecture(arch).scale; }

void check_synth_options(const SynthOptions& o) {
  yolo_architecture(o.arch);
  if (o.imgsz < 64 || o.imgsz % 32 != 0 || o.imgsz > kMaxImgsz)
    throw Error("--imgsz " + std::to_string(o.imgsz) + ": must be a multiple of 32 from 64 to " +
                std::to_string(kMaxImgsz) + " (the coarsest level has stride 32)");
  if (o.num_classes) check_class_count(*o.num_classes);
}

std::vector<std::string> default_class_names(std::int64_t num_classes) {
  static const std::vector<std::string> coco{"person",        "bicycle",      "car",
                                             "motorcycle",    "airplane",     "bus",
                                             "train",         "truck",        "boat",
                                             "traffic light", "fire hydrant", "stop sign",
                                             "parking meter", "bench",        "bird",
                                             "cat",           "dog",          "horse",
                                             "sheep",         "cow",          "elephant",
                                             "bear",          "zebra",        "giraffe",
                                             "backpack",      "umbrella",     "handbag",
                                             "tie",           "suitcase",     "frisbee",
                                             "skis",          "snowboard",    "sports ball",
                                             "kite",          "baseball bat", "baseball glove",
                                             "skateboard",    "surfboard",    "tennis racket",
                                             "bottle",        "wine glass",   "cup",
                                             "fork",          "knife",        "spoon",
                                             "bowl",          "banana",       "apple",
                                             "sandwich",      "orange",       "broccoli",
                                             "carrot",        "hot dog",      "pizza",
                                             "donut",         "cake",         "chair",
                                             "couch",         "potted plant", "bed",
                                             "dining table",  "toilet",       "tv",
                                             "laptop",        "mouse",        "remote",
                                             "keyboard",      "cell phone",   "microwave",
                                             "oven",          "toaster",      "sink",
                                             "refrigerator",  "book",         "clock",
                                             "vase",          "scissors",     "teddy bear",
                                             "hair drier",    "toothbrush"};
  if (num_classes == static_cast<std::int64_t>(coco.size())) return coco;
  std::vector<std::string> names;
  for (std::int64_t i = 0; i < num_classes; ++i) names.push_back("class" + std::to_string(i));
  return names;
}

std::int64_t yolo_parameter_count(const SynthOptions& options) {
  check_synth_options(options);
  const auto arch = yolo_architecture(options.arch);
  std::optional<YoloMetadata> weights_metadata;
  if (!options.weights.empty()) weights_metadata = read_yolo_metadata(load_model(options.weights));
  const auto plan = blueprint(arch, class_count(options, arch, weights_metadata));
  auto graph = yolo::build_yolo_graph(arch, options.imgsz, *plan.head, plan.dialect);
  std::int64_t count = 0;
  for (const auto& p : graph.parameters) {
    std::int64_t n = 1;
    for (auto d : p.shape) n *= d;
    count += n;
  }
  return count;
}

Model synthesize_yolo(const SynthOptions& options) {
  check_synth_options(options);
  const auto arch = yolo_architecture(options.arch);
  std::optional<Model> from;
  std::optional<YoloMetadata> weights_metadata;
  if (!options.weights.empty()) {
    from = load_model(options.weights);
    weights_metadata = read_yolo_metadata(*from);
  }
  const std::int64_t num_classes = class_count(options, arch, weights_metadata);
  check_class_count(num_classes);
  const auto plan = blueprint(arch, num_classes);
  auto graph = yolo::build_yolo_graph(arch, options.imgsz, *plan.head, plan.dialect);

  std::vector<std::string> names = default_class_names(num_classes);
  std::string description;
  std::vector<onnx::TensorProto> parameters;
  if (!from) {
    parameters = yolo::synthetic_parameters(graph.parameters, options.seed);
    description = display_name(arch.name) +
                  " architecture with synthetic weights (yoloq synth, seed " +
                  std::to_string(options.seed) + ")";
  } else {
    parameters = yolo::copied_parameters(
        graph.parameters, *from, options.weights.string(),
        arch.name + " with " + std::to_string(num_classes) + " classes");
    if (weights_metadata && static_cast<std::int64_t>(weights_metadata->names.size()) == num_classes)
      names = weights_metadata->names;
    description = display_name(arch.name) + " with the weights of " +
                  options.weights.filename().string() + " (yoloq synth)";
  }
  // Initializers as the exports list them: exporter constants, then parameters by name.
  std::sort(
      parameters.begin(), parameters.end(),
      [](const onnx::TensorProto& a, const onnx::TensorProto& b) { return a.name() < b.name(); });
  Model model = std::move(graph.model);
  for (auto& p : parameters) *model.graph().add_initializer() = std::move(p);

  model.proto.set_producer_name("yoloq");
  model.proto.set_producer_version("0.1.0");
  std::string names_dict;
  for (std::size_t i = 0; i < names.size(); ++i)
    names_dict += (i ? ", " : "") + std::to_string(i) + ": " + python_quoted(names[i]);
  const std::string size = std::to_string(options.imgsz);
  // The keys of the export reproduced, in its order, but for the provenance of an Ultralytics
  // export (date, version, license, docs, export args), which a yoloq graph does not have.
  const bool ultralytics84 = arch.task != YoloTask::Detect || arch.family != YoloFamily::Yolo11;
  set_metadata(model, "description", description);
  set_metadata(model, "author", "yoloq");
  set_metadata(model, "stride", arch.task == YoloTask::Classify ? "1" : "32");
  set_metadata(model, "task", plan.head->task());
  if (ultralytics84) set_metadata(model, "head", plan.head->module_name());
  set_metadata(model, "batch", "1");
  set_metadata(model, "imgsz", "[" + size + ", " + size + "]");
  set_metadata(model, "names", "{" + names_dict + "}");
  if (ultralytics84) {
    set_metadata(model, "channels", "3");
    set_metadata(model, "end2end", arch.end_to_end ? "True" : "False");
  }
  if (const auto* pose = dynamic_cast<const yolo::PoseHead*>(plan.head.get())) {
    const auto [keypoints, dims] = pose->keypoint_shape();
    std::string shape = "[";  // appended, not chained with +, which g++ 12 warns about
    shape.append(std::to_string(keypoints)).append(", ").append(std::to_string(dims)).append("]");
    set_metadata(model, "kpt_shape", shape);
  }
  return model;
}

}  // namespace yoloq
