// `yoloq quantize`: ModelOpt's flag names, so switching tools is a change of program name.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "yoloq/pipeline/quantize.hpp"
#include "yoloq/pipeline/report.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/file_io.hpp"

namespace yoloq::cli {

namespace {

struct QuantizeFlags {
  std::string onnx_path, output_path, quantize_mode = "int8", calibration_method = "mse";
  std::string calibration_data, calibration_cache, calibration_shapes, plan_file, high_precision_dtype = "fp32";
  std::string log_level = "INFO";
  std::vector<std::string> calibration_eps{"cpu"};
  PlanFlags plan;
  double percentile = 99.99;
  std::size_t calibration_size = 0, auto_samples = 16;
  std::uint64_t seed = 0;
  int threads = 0;
  bool use_external_data = false, dq_only = true, weights_qdq = false, keep_intermediate = false, quiet = false;
  bool no_verify = false;
  std::string report, labels, drop_metric, bias_correction = "off";
  VerdictFlags verdict;
};

QuantizeOptions to_options(const QuantizeFlags& f) {
  if (f.quantize_mode == "fp8" || f.quantize_mode == "int4")
    throw UsageError("--quantize_mode " + f.quantize_mode + " is not supported yet (int8 is)");
  if (f.quantize_mode != "int8") throw UsageError("unknown --quantize_mode '" + f.quantize_mode + "' (expected int8)");
  if (f.high_precision_dtype != "fp32" && f.high_precision_dtype != "fp16")
    throw UsageError("unknown --high_precision_dtype '" + f.high_precision_dtype + "' (expected fp32 or fp16)");
  QuantizeOptions o;
  o.onnx_path = f.onnx_path;
  o.output_path = f.output_path;
  o.plan = f.plan.to_plan_options();
  if (!f.plan_file.empty()) o.plan_file = f.plan_file;
  o.source.path = f.calibration_data;
  o.source.shapes = f.calibration_shapes;
  o.source.max_samples = f.calibration_size;
  o.source.seed = f.seed;
  o.source.quiet = f.quiet;
  o.calibration = calibration_options(f.calibration_method, f.percentile, f.threads,
                                      f.quiet || f.log_level == "ERROR" || f.log_level == "error");
  o.calibration.runtime.execution_providers = parse_execution_providers(f.calibration_eps);
  if (f.auto_samples == 0) throw UsageError("--auto_samples must be at least 1");
  o.auto_samples = f.auto_samples;
  if (!f.calibration_cache.empty()) o.calibration_cache = f.calibration_cache;
  o.write.weights_qdq = f.weights_qdq;
  o.write.high_precision_fp16 = f.high_precision_dtype == "fp16";
  o.save.external_data = f.use_external_data;
  o.verify = !f.no_verify;
  o.verify_options.threads = f.threads;
  o.verify_options.thresholds = f.verdict.thresholds;
  o.verify_options.quiet = o.calibration.quiet;
  o.verify_options.labels = f.labels;
  o.bias_correction = f.bias_correction == "on";
  o.drop_metric = drop_metric_from_flags(f.drop_metric, f.labels);
  return o;
}

}  // namespace

namespace {
void add_quantize(CLI::App& app, Invocation& invocation) {
  auto* cmd = app.add_subcommand("quantize", "Quantize a float ONNX model to INT8 Q/DQ (ModelOpt-compatible flags)");
  auto f = std::make_shared<QuantizeFlags>();
  cmd->add_option("--onnx_path", f->onnx_path, "Float ONNX model (required)");
  // The positional spelling shipped first: still read, as one optional alias of --onnx_path.
  cmd->add_option("onnx_path", f->onnx_path, "The same as --onnx_path");
  cmd->add_option("--output_path", f->output_path, "Output model (default <dir>/<name>.quant.onnx)");
  cmd->add_option("--quantize_mode", f->quantize_mode, "int8 (fp8 and int4: not supported yet)")->capture_default_str();
  cmd->add_option("--calibration_method", f->calibration_method,
                  "max, entropy, percentile, mse or auto (per tensor, the one with the least error at its consumers)")
      ->check(quantize_calibration_methods());
  cmd->add_option("--auto_samples", f->auto_samples,
                  "Calibration samples --calibration_method auto measures each candidate's error on")
      ->capture_default_str();
  cmd->add_option("--percentile", f->percentile, "Percentile of |x| for --calibration_method percentile")->capture_default_str();
  cmd->add_option("--calibration_data_path,--calibration_data,--data", f->calibration_data,
                  ".npy [N,C,H,W], .npz keyed by input name, or a folder of images; none = seeded random data");
  cmd->add_option("--calibration_size", f->calibration_size,
                  "Calibrate on N samples (images: a seeded choice; 0 = all but the held-out eighth); only samples "
                  "beyond them are held out for verification");
  cmd->add_option("--calibration_cache_path", f->calibration_cache,
                  "Read ranges from here when it exists, else write them (.json: yoloq's; other: TensorRT cache text)");
  cmd->add_option("--calibration_shapes", f->calibration_shapes, "input:BxCxHxW[,input2:...]");
  cmd->add_option("--calibration_eps", f->calibration_eps, "Execution providers in order: cpu cuda:0 trt")->expected(1, -1);
  cmd->add_option("--plan", f->plan_file, "Use this plan JSON (from `yoloq plan`) instead of the placement rules");
  cmd->add_option("--high_precision_dtype", f->high_precision_dtype, "fp32, or fp16 (what stays unquantized computes in FP16; inputs and outputs stay FP32; target trt)")->capture_default_str();
  cmd->add_flag("--use_external_data_format", f->use_external_data, "Write weights to <output>.data");
  auto* dq_only = cmd->add_flag("--dq_only", f->dq_only,
                                "Weights as INT8 initializers feeding DequantizeLinear (the default; ModelOpt's flag)");
  cmd->add_flag("--weights_qdq", f->weights_qdq, "Weights as float initializers behind a Q/DQ pair (the opposite of --dq_only)")
      ->excludes(dq_only);
  cmd->add_flag("--keep_intermediate_files", f->keep_intermediate, "Accepted for ModelOpt compatibility; yoloq writes none");
  cmd->add_option("--log_level", f->log_level, "DEBUG, INFO, WARNING or ERROR (ERROR hides progress)");
  cmd->add_option("--seed", f->seed, "Seed for image selection and random calibration data")->capture_default_str();
  cmd->add_option("--threads", f->threads, kThreadsHelp);
  add_progress_flags(*cmd, f->quiet);
  cmd->add_flag("--no_verify", f->no_verify, "Skip verification of the written model (not recommended)");
  cmd->add_option("--report", f->report,
                  "Write the full report as Markdown here, and beside it as JSON (.json) and as a self-contained HTML "
                  "page (.html) that also draws the histograms of the worst-quantized activations");
  cmd->add_option("--bias_correction", f->bias_correction,
                  "on: subtract from each quantized Conv/Gemm's bias the mean output shift its quantization causes, "
                  "measured on the calibration samples")
      ->check(CLI::IsMember({"on", "off"}));
  cmd->add_option("--labels", f->labels,
                  "YOLO labels of the images (NAME.txt per image): verification and --max_drop score mAP against them");
  cmd->add_option("--drop_metric", f->drop_metric,
                  "What --max_drop measures: agreement (mAP50-95 against the float model's detections) or map "
                  "(against --labels); default: map with --labels, else agreement")
      ->check(CLI::IsMember({"agreement", "map"}));
  add_plan_flags(*cmd, f->plan);
  add_verdict_flags(*cmd, f->verdict);
  add_unsupported_modelopt_flags(*cmd);
  cmd->callback([f, cmd, &invocation] {
    refuse_unsupported_modelopt_flags(*cmd);
    if (f->onnx_path.empty()) throw UsageError("quantize: --onnx_path is required");
    auto options = to_options(*f);
    // Given, --max_drop also asks for the accuracy fallback; its default only sets the verdict's bound.
    if (cmd->count("--max_drop") > 0) options.max_drop = f->verdict.thresholds.max_drop;
    options.command_line = invocation.command_line;
    options.source.arrays = invocation.arrays;
    std::filesystem::path report(f->report), report_json(f->report), report_html(f->report);
    if (!f->report.empty()) {
      report_json.replace_extension(".json");
      report_html.replace_extension(".html");
      if (report == report_json || report == report_html) report.replace_extension(".md");
      for (const auto& path : {report, report_json, report_html}) check_writable_output(path);
    }
    print_warnings(provider_warnings(options.calibration.runtime.execution_providers));
    auto result = quantize(options);
    print_warnings(result.warnings);
    std::cout << summary_text(result);
    invocation.result = to_json(result, options);
    if (!f->report.empty()) {
      write_file_atomically(report, markdown_report(result, options));
      write_file_atomically(report_json, to_json(result, options).dump(2) + "\n");
      write_file_atomically(report_html, html_report(result, options));
      std::cout << "report: " << report.string() << ", " << report_json.string() << ", " << report_html.string()
                << "\n";
    }
    finish_with_verdict(result.verdict, f->verdict);
  });
}

}  // namespace

const CommandRegistration registration(50, add_quantize);

}  // namespace yoloq::cli
