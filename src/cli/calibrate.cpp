// `yoloq calibrate MODEL`: calibrates every float activation of a model and writes the ranges as
// a calibration cache (JSON, or TensorRT's text format for any other extension).
#include "yoloq/calib/calibrate.hpp"

#include <iostream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/file_io.hpp"

namespace yoloq::cli {

namespace {

struct CalibrateArgs {
  std::string model, data, method = "mse", cache, shapes;
  double percentile = 99.99;
  std::size_t calibration_size = 0;
  std::uint64_t seed = 0;
  int threads = 0;
  std::vector<std::string> eps{"cpu"};
  bool quiet = false;
};

void run(const CalibrateArgs& args, Invocation& invocation) {
  CalibrationOptions options = calibration_options(args.method, args.percentile, args.threads, args.quiet);
  options.runtime.execution_providers = parse_execution_providers(args.eps);
  std::filesystem::path cache = args.cache;
  if (cache.empty()) {
    cache = std::filesystem::path(args.model).replace_extension(".calib.json");
  }
  check_writable_output(cache);  // before any work, so a bad path fails at once

  const Model model = load_model(args.model);
  SourceOptions source_options;
  source_options.path = args.data;
  source_options.shapes = args.shapes;
  source_options.max_samples = args.calibration_size;
  source_options.seed = args.seed;
  source_options.quiet = args.quiet;
  source_options.arrays = invocation.arrays;
  auto data = make_calibration_data(model, source_options, false);
  print_warnings(data.warnings);
  print_warnings(provider_warnings(options.runtime.execution_providers));
  auto& source = data.calibration;
  const Ranges ranges = calibrate(model, float_activation_tensors(model), *source, options);
  print_warnings(source->take_warnings());
  save_ranges(ranges, cache);
  invocation.result = to_json(ranges);
  std::cout << "calibrated " << ranges.tensors.size() << " tensors of " << args.model << " ("
            << ranges.method << ") on " << source->description() << "\nwrote " << cache.string()
            << "\n";
}

}  // namespace

namespace {
void add_calibrate(CLI::App& app, Invocation& invocation) {
  auto* cmd = app.add_subcommand("calibrate", "Calibrate every float activation of a model and write the ranges");
  auto args = std::make_shared<CalibrateArgs>();
  cmd->add_option("model", args->model, "Float ONNX model")->required();
  cmd->add_option("--calibration_data_path,--calibration_data,--data", args->data,
                  "A .npy [N,C,H,W], a .npz keyed by input name, or a folder of images (default: "
                  "seeded random data)");
  cmd->add_option("--calibration_method", args->method, "max, entropy, percentile or mse")
      ->check(calibration_methods());
  cmd->add_option("--percentile", args->percentile,
                  "For --calibration_method percentile, in (0, 100]")
      ->capture_default_str();
  cmd->add_option(
      "--calibration_cache_path", args->cache,
      "Where to write the ranges: .json, or TensorRT cache text for any other extension "
      "(default: MODEL with extension .calib.json)");
  cmd->add_option("--calibration_shapes", args->shapes, "Input shapes, e.g. images:1x3x640x640");
  cmd->add_option("--calibration_size", args->calibration_size,
                  "Use N samples (images: a seeded random choice)");
  cmd->add_option("--seed", args->seed, "Seed for image selection and random data")
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, kThreadsHelp);
  cmd->add_option("--calibration_eps", args->eps,
                  "Execution providers in priority order: cpu cuda:0 trt")
      ->expected(1, 8);
  add_progress_flags(*cmd, args->quiet);
  cmd->callback([args, &invocation] { run(*args, invocation); });
}

}  // namespace

const CommandRegistration registration(30, add_calibrate);

}  // namespace yoloq::cli
