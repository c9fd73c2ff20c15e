#include "yoloq/verify/verify.hpp"

#include <iostream>

#include "cli/commands.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/file_io.hpp"
#include "yoloq/tensor/npy.hpp"
#include "yoloq/verify/report.hpp"

namespace yoloq::cli {

namespace {
void add_verify(CLI::App& app) {
  auto* cmd = app.add_subcommand("verify",
                                 "Check a quantized model against its float original: structure, "
                                 "numerics, detections, speed");
  struct Flags {
    std::string float_model, quant_model, data, labels, json, report;
    std::size_t samples = 32;
    int threads = 0, speed_runs = 20;
    bool quiet = false;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_option("float_model", f->float_model, "The float ONNX model")->required();
  cmd->add_option("quant_model", f->quant_model, "The quantized ONNX model")->required();
  cmd->add_option("--data", f->data,
                  "Held-out data: a folder of images, or a .npy [N, C, H, W] for a single-input "
                  "model (default: random inputs; detections need images)");
  cmd->add_option("--labels", f->labels, "YOLO labels for the images: adds mAP against the labels");
  cmd->add_option("--samples", f->samples, "Held-out samples to compare (default 32)");
  cmd->add_option("--json", f->json, "Write the full result as JSON");
  cmd->add_option("--report", f->report, "Write a Markdown report");
  cmd->add_option("--threads", f->threads, "ONNX Runtime intra-op threads (0: its default)");
  cmd->add_option("--speed_runs", f->speed_runs, "Timed runs per model (0 skips the speed part)");
  cmd->add_flag("--quiet", f->quiet, "No progress line");
  cmd->callback([f] {
    for (const auto& out : {f->json, f->report})
      if (!out.empty()) check_writable_output(out);
    VerifyOptions options;
    if (!f->data.empty()) {
      const std::filesystem::path data = f->data;
      if (std::filesystem::is_directory(data))
        options.images = data;
      else if (data.extension() == ".npy")
        options.inputs.push_back(read_npy(data));
      else
        throw Error(f->data + ": --data must be a folder of images or a .npy file");
    }
    options.labels = f->labels;
    options.samples = f->samples;
    options.threads = f->threads;
    options.speed_runs = f->speed_runs;
    options.quiet = f->quiet;
    const auto result = verify_models(f->float_model, f->quant_model, options);
    if (!f->json.empty()) write_file_atomically(f->json, to_json(result).dump(2) + "\n");
    if (!f->report.empty()) write_file_atomically(f->report, markdown_report(result));
    std::cout << summary_text(result);
  });
}

}  // namespace

const CommandRegistration registration(60, add_verify);

}  // namespace yoloq::cli
