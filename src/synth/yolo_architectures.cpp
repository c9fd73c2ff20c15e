// The --arch names of every family and what each one means: family, scale (the yaml's depth,
// width and max channels of the size), task and head.
#include <tuple>

#include "yoloq/support/error.hpp"
#include "yoloq/synth/yolo_synth.hpp"

namespace yoloq {

namespace {

struct FamilyScales {
  YoloFamily family;
  std::vector<Yolo11Scale> scales;
  bool has_end_to_end_head;  // one2one branches beside the one-to-many ones
};

// The scales of yolo26.yaml, yolov8.yaml and the yolov10<size>.yaml files: [depth, width,
// max_channels]; YOLO26 takes C3k blocks everywhere from m up, as YOLO11 does.
const std::vector<FamilyScales>& detect_families() {
  static const std::vector<FamilyScales> table{
      {YoloFamily::Yolo26,
       {{"yolo26n", 0.50, 0.25, 1024, false},
        {"yolo26s", 0.50, 0.50, 1024, false},
        {"yolo26m", 0.50, 1.00, 512, true},
        {"yolo26l", 1.00, 1.00, 512, true},
        {"yolo26x", 1.00, 1.50, 512, true}},
       true},
      {YoloFamily::Yolov8,
       {{"yolov8n", 0.33, 0.25, 1024, false},
        {"yolov8s", 0.33, 0.50, 1024, false},
        {"yolov8m", 0.67, 0.75, 768, false},
        {"yolov8l", 1.00, 1.00, 512, false},
        {"yolov8x", 1.00, 1.25, 512, false}},
       false},
      {YoloFamily::Yolov10,
       {{"yolov10n", 0.33, 0.25, 1024, false},
        {"yolov10s", 0.33, 0.50, 1024, false},
        {"yolov10m", 0.67, 0.75, 768, false},
        {"yolov10b", 0.67, 1.00, 512, false},
        {"yolov10l", 1.00, 1.00, 512, false},
        {"yolov10x", 1.00, 1.25, 512, false}},
       true},
  };
  return table;
}

const std::string kEndToEndSuffix = "-e2e";

}  // namespace

std::vector<std::string> yolo_architectures() {
  std::vector<std::string> names = yolo11_architectures();
  for (const auto& f : detect_families()) {
    for (const auto& s : f.scales) names.push_back(s.arch);
    if (f.has_end_to_end_head)
      for (const auto& s : f.scales) names.push_back(s.arch + kEndToEndSuffix);
  }
  return names;
}

YoloArchitecture yolo_architecture(const std::string& arch) {
  for (const auto& f : detect_families())
    for (const auto& s : f.scales) {
      if (arch == s.arch) return {arch, s, YoloTask::Detect, f.family, false};
      if (f.has_end_to_end_head && arch == s.arch + kEndToEndSuffix)
        return {arch, s, YoloTask::Detect, f.family, true};
    }
  try {
    return yolo11_architecture(arch);
  } catch (const Error&) {
    throw Error("--arch '" + arch +
                "': unknown architecture, expected yolo11n, yolo11s, yolo11m, yolo11l or yolo11x, "
                "alone or with -seg, -pose, -obb or -cls; yolo26n, s, m, l or x, alone or with "
                "-e2e; yolov8n, s, m, l or x; yolov10n, s, m, b, l or x, alone or with -e2e");
  }
}

}  // namespace yoloq
