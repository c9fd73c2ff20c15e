// `yoloq demo`: the whole pipeline on a fresh machine with nothing downloaded. It builds a YOLO11
// graph (synthetic weights), quantizes it for TensorRT and for ONNX Runtime's CPU kernels with
// random calibration (ModelOpt's prototype flow), verifies both, and shows how to do the same on
// a real export and real images.
#include <iostream>

#include "cli/commands.hpp"
#include "yoloq/pipeline/quantize.hpp"
#include "yoloq/pipeline/report.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/synth/yolo_synth.hpp"
#include "yoloq/verify/verdict.hpp"

namespace fs = std::filesystem;

namespace yoloq::cli {

namespace {

void add_demo(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "Synthesize a YOLO11 model, quantize it for trt and ort-cpu, verify both");
  struct Flags {
    std::string arch = "yolo11n", dir = "yoloq-demo";
    std::int64_t imgsz = 640;
    int threads = 0;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_option("--arch", f->arch, "yolo11n, yolo11s, yolo11m, yolo11l or yolo11x")->capture_default_str();
  cmd->add_option("--imgsz", f->imgsz, "Input size")->capture_default_str();
  cmd->add_option("--dir", f->dir, "Folder for the models (created)")->capture_default_str();
  cmd->add_option("--threads", f->threads, kThreadsHelp);
  cmd->callback([f] {
    SynthOptions synth;
    synth.arch = f->arch;
    synth.imgsz = f->imgsz;
    check_synth_options(synth);
    std::error_code ec;
    fs::create_directories(f->dir, ec);
    if (ec) throw Error(f->dir + ": cannot create the demo folder: " + ec.message());
    const fs::path float_model = fs::path(f->dir) / (f->arch + ".onnx");
    save_model(synthesize_yolo(synth), float_model);
    std::cout << "1. synthesized " << float_model.string() << " (" << f->arch << ", " << f->imgsz << "x" << f->imgsz
              << ", synthetic weights)\n";
    int step = 2;
    for (const auto* target : {"trt", "ort-cpu"}) {
      QuantizeOptions o;
      o.onnx_path = float_model;
      o.output_path = fs::path(f->dir) / (f->arch + "." + target + ".int8.onnx");
      o.plan.target = parse_target(target);
      o.source.quiet = true;  // the random-data warning still shows
      o.calibration.quiet = true;
      o.calibration.threads = o.calibration.runtime.threads = f->threads;
      o.verify_options.threads = f->threads;
      o.verify_options.quiet = true;
      std::cout << "\n" << step++ << ". quantize --target " << target << " (random calibration, verified)\n";
      const auto result = quantize(o);
      std::cout.flush();
      print_warnings(result.warnings);
      std::cout << summary_text(result) << verdict_line(result.verdict) << "\n";
    }
    std::cout << "\nOn a real export and real images:\n"
              << "  yoloq calib-data IMAGES_DIR -o calib.npy --model yolo11n.onnx --calibration_size 500\n"
              << "  yoloq quantize --onnx_path yolo11n.onnx --calibration_data_path IMAGES_DIR --report report.md\n"
              << "  yoloq eval yolo11n.quant.onnx --images IMAGES_DIR --labels LABELS_DIR\n";
  });
}

}  // namespace

const CommandRegistration registration(90, add_demo);

}  // namespace yoloq::cli
