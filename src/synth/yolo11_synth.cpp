// yoloq synth: the YOLO11 graph of a size, its parameters (synthetic or copied), Ultralytics-style
// metadata, and the checks that reject what cannot be built.
#include <algorithm>

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

std::string display_name(const std::string& arch) {  // "yolo11n" -> "YOLO11n"
  return "YOLO" + arch.substr(4);
}

}  // namespace

std::vector<std::string> yolo11_architectures() {
  std::vector<std::string> names;
  for (const auto& s : scales()) names.push_back(s.arch);
  return names;
}

Yolo11Scale yolo11_scale(const std::string& arch) {
  for (const auto& s : scales())
    if (s.arch == arch) return s;
  std::string known;
  for (const auto& s : scales()) known += (known.empty() ? "" : ", ") + s.arch;
  throw Error("--arch '" + arch + "': unknown architecture, expected one of " + known);
}

void check_synth_options(const SynthOptions& o) {
  yolo11_scale(o.arch);
  if (o.imgsz < 64 || o.imgsz % 32 != 0 || o.imgsz > kMaxImgsz)
    throw Error("--imgsz " + std::to_string(o.imgsz) + ": must be a multiple of 32 from 64 to " +
                std::to_string(kMaxImgsz) + " (the coarsest level has stride 32)");
  if (o.num_classes < 1 || o.num_classes > kMaxClasses)
    throw Error("--nc " + std::to_string(o.num_classes) + ": must be from 1 to " +
                std::to_string(kMaxClasses));
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
  yolo::DetectionHead head(options.num_classes);
  auto graph = yolo::build_yolo11_graph(yolo11_scale(options.arch), options.imgsz, head);
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
  const auto scale = yolo11_scale(options.arch);
  yolo::DetectionHead head(options.num_classes);
  auto graph = yolo::build_yolo11_graph(scale, options.imgsz, head);

  std::vector<std::string> names = default_class_names(options.num_classes);
  std::string description;
  std::vector<onnx::TensorProto> parameters;
  if (options.weights.empty()) {
    parameters = yolo::synthetic_parameters(graph.parameters, options.seed);
    description = display_name(scale.arch) +
                  " architecture with synthetic weights (yoloq synth, seed " +
                  std::to_string(options.seed) + ")";
  } else {
    auto from = load_model(options.weights);
    parameters = yolo::copied_parameters(
        graph.parameters, from, options.weights.string(),
        scale.arch + " with " + std::to_string(options.num_classes) + " classes");
    if (auto meta = read_yolo_metadata(from);
        meta && static_cast<std::int64_t>(meta->names.size()) == options.num_classes)
      names = meta->names;
    description = display_name(scale.arch) + " with the weights of " +
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
  set_metadata(model, "description", description);
  set_metadata(model, "author", "yoloq");
  set_metadata(model, "stride", "32");
  set_metadata(model, "task", head.task());
  set_metadata(model, "batch", "1");
  set_metadata(model, "imgsz", "[" + size + ", " + size + "]");
  set_metadata(model, "names", "{" + names_dict + "}");
  return model;
}

}  // namespace yoloq
