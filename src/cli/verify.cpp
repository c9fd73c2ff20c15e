#include "yoloq/verify/verify.hpp"

#include <iostream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "yoloq/data/batch_source.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/file_io.hpp"
#include "yoloq/verify/report.hpp"

namespace yoloq::cli {

namespace {

// Random inputs say little beyond "it runs"; a few keep `verify` without data quick.
constexpr std::size_t kRandomVerifySamples = 8;

void add_verify(CLI::App& app, Invocation& invocation) {
  auto* cmd = app.add_subcommand("verify",
                                 "Check a quantized model against its float original: structure, "
                                 "numerics, detections, speed");
  struct Flags {
    std::string float_model, quant_model, data, labels, json, report;
    std::size_t samples = 32;
    int threads = 0, speed_runs = 20;
    bool quiet = false;
    VerdictFlags verdict;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_option("float_model", f->float_model, "The float ONNX model")->required();
  cmd->add_option("quant_model", f->quant_model, "The quantized ONNX model")->required();
  cmd->add_option("--data", f->data,
                  "Held-out data: a folder of images, a .npy [N, C, H, W] or a .npz keyed by input name "
                  "(default: 8 seeded random samples; detections need images or [N, 3, H, W] tensors)");
  cmd->add_option("--labels", f->labels, "YOLO labels for the images: adds mAP against the labels");
  cmd->add_option("--samples", f->samples, "Held-out samples to compare (default 32)");
  cmd->add_option("--json", f->json, "Write the full result as JSON");
  cmd->add_option("--report", f->report, "Write a Markdown report");
  cmd->add_option("--threads", f->threads, kThreadsHelp);
  cmd->add_option("--speed_runs", f->speed_runs,
                  "Timed runs per model (0 skips the speed part; TensorRT-target models are not timed)");
  add_progress_flags(*cmd, f->quiet);
  add_verdict_flags(*cmd, f->verdict);
  cmd->callback([f, &invocation] {
    for (const auto& out : {f->json, f->report})
      if (!out.empty()) check_writable_output(out);
    VerifyOptions options;
    options.labels = f->labels;
    options.threads = f->threads;
    options.speed_runs = f->speed_runs;
    options.quiet = f->quiet;
    options.thresholds = f->verdict.thresholds;
    const Model float_model = load_model(f->float_model), quant_model = load_model(f->quant_model);
    skip_speed_for_int8_activations(options, quant_model);
    // Held-out samples as calibration reads them: images letterboxed to the model's input (a
    // classify model's resized and centre-cropped), tensors split into the model's batches, or
    // (no --data) a few seeded random samples.
    SourceOptions source;
    source.path = f->data;
    source.arrays = invocation.arrays;
    options.real_data = !source.random();
    source.max_samples = !options.real_data ? std::min<std::size_t>(f->samples, kRandomVerifySamples) : f->samples;
    source.quiet = f->quiet;
    auto held_out = make_calibration_source(float_model, source);
    const auto result = verify_models(float_model, quant_model, *held_out, options);
    print_warnings(held_out->take_warnings());
    invocation.result = to_json(result);
    if (!f->json.empty()) write_file_atomically(f->json, invocation.result.dump(2) + "\n");
    if (!f->report.empty()) write_file_atomically(f->report, markdown_report(result));
    std::cout << summary_text(result);
    finish_with_verdict(result.verdict, f->verdict);
  });
}

}  // namespace

const CommandRegistration registration(60, add_verify);

}  // namespace yoloq::cli
