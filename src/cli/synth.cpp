#include <iostream>

#include "cli/commands.hpp"
#include "yoloq/support/file_io.hpp"
#include "yoloq/synth/yolo_synth.hpp"
#include "yoloq/yolo/metadata.hpp"

namespace yoloq::cli {

namespace {
void add_synth(CLI::App& app) {
  auto* cmd = app.add_subcommand("synth",
                                 "Write a YOLO11 (any task), YOLO26, YOLOv8 or YOLOv10 model of "
                                 "any size (FP32 ONNX) built by yoloq, the graph of Ultralytics' "
                                 "export, synthetic weights or copied ones");
  auto options = std::make_shared<SynthOptions>();
  auto output = std::make_shared<std::string>();
  auto weights = std::make_shared<std::string>();
  cmd->add_option("--arch", options->arch,
                  "yolo11n, yolo11s, yolo11m, yolo11l or yolo11x (detect), with -seg, -pose, -obb "
                  "or -cls for the other tasks, as Ultralytics names its yaml files; yolo26n..x, "
                  "yolov8n..x and yolov10n, s, m, b, l, x (detect). yolo26* and yolov10* are the "
                  "default export (one-to-many head, output [1,4+nc,anchors], the same as "
                  "end2end=False); with -e2e (yolo26n-e2e) the end-to-end export (nms=False: "
                  "one-to-one head and top-k in the graph, output [1,300,6])")
      ->capture_default_str();
  cmd->add_option("--imgsz", options->imgsz, "Square input size, a multiple of 32")
      ->capture_default_str();
  cmd->add_option("--nc", options->num_classes,
                  "Number of classes [default: those of --weights, else 80; 1000 for -cls]");
  cmd->add_option("--seed", options->seed, "Seed of the synthetic weights")->capture_default_str();
  cmd->add_option("--weights", *weights,
                  "Copy every parameter from this export of the same architecture");
  cmd->add_option("-o,--output,--output_path", *output, "Model file to write")->required();
  cmd->callback([options, output, weights] {
    options->weights = *weights;
    check_synth_options(*options);
    check_writable_output(*output);
    auto model = synthesize_yolo(*options);
    save_model(model, *output);
    const auto metadata = read_yolo_metadata(model);
    std::cout << "wrote " << *output << ": " << options->arch << ", input 1x3x" << options->imgsz
              << "x" << options->imgsz << ", " << (metadata ? metadata->names.size() : 0)
              << " classes, " << model.graph().node_size() << " nodes, "
              << (weights->empty()
                      ? "synthetic weights (seed " + std::to_string(options->seed) + ")"
                      : "weights of " + *weights)
              << "\n";
  });
}

}  // namespace

const CommandRegistration registration(80, add_synth);

}  // namespace yoloq::cli
