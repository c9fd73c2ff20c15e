// `yoloq sensitivity MODEL --calibration_data_path P`: which weighted ops quantization hurts, and
// by how much, measured on the samples held out of the calibration data.
#include "yoloq/tune/sensitivity.hpp"

#include <iostream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "yoloq/calib/calibrate.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/file_io.hpp"
#include "yoloq/tune/sensitivity_report.hpp"

namespace yoloq::cli {

namespace {

struct SensitivityFlags {
  std::string model, data, calibration_method = "mse", calibration_shapes, labels, drop_metric, json, report;
  PlanFlags plan;
  double percentile = 99.99;
  std::size_t calibration_size = 0, top_k = 8, rows = 20;
  std::uint64_t seed = 0;
  int threads = 0;
  bool quiet = false;
};

void run(const SensitivityFlags& f) {
  const CalibrationOptions calibration = calibration_options(f.calibration_method, f.percentile, f.threads, f.quiet);
  HeldOutMetricOptions metric_options;
  metric_options.labels = f.labels;
  metric_options.runtime.threads = f.threads;
  metric_options.metric = drop_metric_from_flags(f.drop_metric, f.labels);
  // --report R.md writes R.md and R.html (the page draws the chart).
  std::filesystem::path report(f.report), report_html(f.report);
  report_html.replace_extension(".html");
  if (report == report_html) report.replace_extension(".md");
  if (!f.json.empty()) check_writable_output(f.json);
  if (!f.report.empty()) check_writable_output(report), check_writable_output(report_html);

  Model model = load_model(f.model);
  name_unnamed_nodes(model);
  auto planned = plan_quantization(model, f.plan.to_plan_options());
  print_warnings(planned.warnings);
  SourceOptions source;
  source.path = f.data;
  source.shapes = f.calibration_shapes;
  source.max_samples = f.calibration_size;
  source.seed = f.seed;
  source.quiet = f.quiet;
  auto data = make_calibration_data(model, source, true);
  print_warnings(data.warnings);
  if (!data.held_out)
    throw Error(data.calibration->description() + ": too few samples to hold any out (sensitivity needs at least 16)");
  const Ranges ranges = calibrate(model, planned.plan.activation_tensors(), *data.calibration, calibration);
  print_warnings(data.calibration->take_warnings());
  const HeldOutMetric metric(model, *data.held_out, metric_options);
  print_warnings(data.held_out->take_warnings());

  SensitivityOptions options;
  options.top_k = f.top_k;
  options.quiet = f.quiet;
  const auto result = analyze_sensitivity(model, planned.plan, ranges, metric, options);
  std::cout << sensitivity_table(result, f.rows);
  if (!f.json.empty()) write_file_atomically(f.json, to_json(result).dump(2) + "\n");
  if (!f.report.empty()) {
    write_file_atomically(report, sensitivity_markdown(result));
    write_file_atomically(report_html, sensitivity_html(result));
    std::cout << "report: " << report.string() << ", " << report_html.string() << "\n";
  }
}

void add_sensitivity(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "sensitivity", "Which weighted ops quantization hurts and by how much, on samples held out of the calibration data");
  auto f = std::make_shared<SensitivityFlags>();
  cmd->add_option("model", f->model, "Float ONNX model")->required();
  cmd->add_option("--calibration_data_path,--calibration_data,--data", f->data,
                  ".npy [N,C,H,W], .npz keyed by input name, or a folder of images (an eighth is held out to measure "
                  "on; at least 16 samples)")
      ->required();
  cmd->add_option("--calibration_method", f->calibration_method, "max, entropy, percentile or mse")
      ->check(calibration_methods());
  cmd->add_option("--percentile", f->percentile, "Percentile of |x| for --calibration_method percentile");
  cmd->add_option("--calibration_size", f->calibration_size, "Calibrate on N samples (0 = all but the held-out eighth)");
  cmd->add_option("--calibration_shapes", f->calibration_shapes, "input:BxCxHxW[,input2:...]");
  cmd->add_option("--seed", f->seed, "Seed for image selection");
  cmd->add_option("--labels", f->labels, "YOLO labels of the images: the end metric becomes mAP50-95 against them");
  cmd->add_option("--drop_metric", f->drop_metric,
                  "agreement (mAP50-95 against the float model's detections) or map (against --labels); default: map "
                  "with --labels, else agreement")
      ->check(CLI::IsMember({"agreement", "map"}));
  cmd->add_option("--top_k", f->top_k, "Measure the end metric for the K ops with the lowest local SQNR")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1000}));
  cmd->add_option("--rows", f->rows, "Rows of the terminal table (0 = all)");
  cmd->add_option("--json", f->json, "Write every op's measurements as JSON");
  cmd->add_option("--report", f->report, "Write a Markdown report with every op here, and beside it (.html) a self-contained page that also draws the measured ops as a bar chart");
  cmd->add_option("--threads", f->threads, kThreadsHelp);
  add_progress_flags(*cmd, f->quiet);
  add_plan_flags(*cmd, f->plan);
  cmd->callback([f] { run(*f); });
}

}  // namespace

const CommandRegistration registration(65, add_sensitivity);

}  // namespace yoloq::cli
