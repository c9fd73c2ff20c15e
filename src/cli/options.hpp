#pragma once
// Flags shared by several subcommands, with ModelOpt's names where ModelOpt has the option.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "yoloq/calib/calibrate.hpp"
#include "yoloq/plan/quant_plan.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/progress.hpp"
#include "yoloq/tune/held_out_metric.hpp"
#include "yoloq/verify/verdict.hpp"

namespace yoloq::cli {

struct PlanFlags {
  std::string target = "trt";
  std::string yolo_head = "float";  // measured default, see PlanOptions
  bool yolo_head_given = false;
  std::vector<std::string> op_types_to_quantize, op_types_to_exclude, nodes_to_quantize, nodes_to_exclude;

  PlanOptions to_plan_options() const {
    PlanOptions o;
    o.target = parse_target(target);
    o.yolo_head = parse_yolo_head(yolo_head);
    o.yolo_head_given = yolo_head_given;
    o.op_types_to_quantize = op_types_to_quantize;
    o.op_types_to_exclude = op_types_to_exclude;
    o.nodes_to_quantize = nodes_to_quantize;
    o.nodes_to_exclude = nodes_to_exclude;
    return o;
  }
};

inline void add_plan_flags(CLI::App& cmd, PlanFlags& f) {
  cmd.add_option("--target", f.target, "trt (TensorRT explicit quantization) or ort-cpu (ONNX Runtime CPU kernels)")
      ->check(CLI::IsMember({"trt", "ort-cpu"}));
  cmd.add_option_function<std::string>(
         "--yolo_head",
         [&f](const std::string& preset) {
           f.yolo_head = preset;
           f.yolo_head_given = true;
         },
         "float (default): head output convs, DFL and decoding stay float; float-dfl: output convs INT8, rest "
         "float; int8: as the target's rules allow. The head (detect, segment, pose, obb or classify) is found by "
         "structure")
      ->check(CLI::IsMember({"float", "float-dfl", "int8"}));
  // ModelOpt accepts space- or comma-separated lists.
  cmd.add_option("--op_types_to_quantize", f.op_types_to_quantize, "Only these op types")->delimiter(',');
  cmd.add_option("--op_types_to_exclude", f.op_types_to_exclude, "Keep these op types in high precision")->delimiter(',');
  cmd.add_option("--nodes_to_quantize", f.nodes_to_quantize, "Only nodes whose names match (regex, from the start)")
      ->delimiter(',');
  cmd.add_option("--nodes_to_exclude", f.nodes_to_exclude, "Keep matching nodes in high precision (regex, from the start)")
      ->delimiter(',');
}

// The verdict's thresholds and --strict, the same flags for quantize and verify.
struct VerdictFlags {
  VerdictThresholds thresholds;
  bool strict = false;
};
inline void add_verdict_flags(CLI::App& cmd, VerdictFlags& f) {
  cmd.add_option("--min_agreement", f.thresholds.min_agreement,
                 "Verdict: least agreement mAP50-95 with the float model's detections")
      ->check(CLI::Range(0.0, 1.0));
  cmd.add_option("--min_class_score_snr", f.thresholds.min_class_score_snr_db, "Verdict: least class-score SNR, dB");
  cmd.add_option("--max_drop", f.thresholds.max_drop,
                 "Most mAP50-95 points lost: the verdict's bound against --labels (COCO-style); given to quantize, "
                 "also the target of the accuracy fallback, which returns the most sensitive ops to float until "
                 "the held-out drop (--drop_metric) is within it")
      ->check(CLI::Range(0.0, 100.0));
  cmd.add_flag("--strict", f.strict, "Exit 3 when the verdict is WARN or FAIL (for CI pipelines)");
}
// The verdict is the last line a command prints; with --strict, anything but PASS exits 3.
inline void finish_with_verdict(const Verdict& verdict, const VerdictFlags& f) {
  std::cout << verdict_line(verdict) << "\n";
  std::cout.flush();
  if (f.strict && verdict.level != VerdictLevel::Pass) throw VerdictNotPassed();
}

// --quiet and --progress, the same for every command with a progress line.
inline void add_progress_flags(CLI::App& cmd, bool& quiet) {
  cmd.add_flag("--quiet", quiet, "No progress line");
  cmd.add_flag_callback("--progress", [] { set_progress_display(ProgressDisplay::Always); },
                        "Progress lines also when stderr is not a terminal (a line every 5 s, for CI logs)");
}

// What the calibrating commands share: method, percentile (validated), threads for ONNX Runtime
// and the collectors, and the progress line.
inline CalibrationOptions calibration_options(const std::string& method, double percentile, int threads, bool quiet) {
  CalibrationOptions o;
  o.method = parse_calibration_method(method);
  o.percentile = percentile;
  o.validate();
  o.threads = threads;
  o.runtime.threads = threads;
  o.quiet = quiet;
  return o;
}

// --drop_metric, given or by default: map against --labels when there are labels, else agreement.
inline DropMetric drop_metric_from_flags(const std::string& drop_metric, const std::string& labels) {
  const DropMetric metric = drop_metric.empty() ? (labels.empty() ? DropMetric::Agreement : DropMetric::Map)
                                                : parse_drop_metric(drop_metric);
  if (metric == DropMetric::Map && labels.empty()) throw UsageError("--drop_metric map needs --labels");
  return metric;
}

// The calibration methods, for CLI11 to refuse a typo as a usage error.
inline CLI::IsMember calibration_methods() { return CLI::IsMember({"max", "entropy", "percentile", "mse"}); }
// quantize's list: auto chooses per tensor among the others at the plan's consumers, so it needs
// the plan that only quantize makes.
inline CLI::IsMember quantize_calibration_methods() {
  return CLI::IsMember({"max", "entropy", "percentile", "mse", "auto"});
}

// ModelOpt flags yoloq does not implement: recognised by name (hidden from --help) and answered
// with what yoloq does instead, as a usage error, rather than the parser's "not expected".
struct UnsupportedFlag {
  const char* name;
  const char* answer;
};
inline const std::vector<UnsupportedFlag>& unsupported_modelopt_flags() {
  static const std::vector<UnsupportedFlag> flags{
      {"--opset", "yoloq keeps the model's opset (raising it only to 13 for per-channel Q/DQ, 19 for FP16); convert the opset first (onnx.version_converter)"},
      {"--simplify", "yoloq does not rewrite the float graph; run onnxslim first"},
      {"--autotune", "yoloq has no TensorRT autotuning: placement follows fixed rules (docs/placement.md); tune with --nodes_to_exclude"},
      {"--trt_plugins", "yoloq calibrates on ONNX Runtime and loads no TensorRT plugins; a model with plugin ops cannot be quantized by it"},
      {"--trt_plugins_precision", "yoloq loads no TensorRT plugins"},
      {"--calibrate_per_node", "yoloq calibrates every tensor in one pass with bounded memory; nothing to switch on"},
      {"--direct_io_types", "yoloq keeps the model's FP32 inputs and outputs (with --high_precision_dtype fp16 too)"},
      {"--disable_mha_qdq", "exclude the attention's nodes with --nodes_to_exclude instead"},
      {"--mha_accumulation_dtype", "yoloq writes no accumulation types; TensorRT chooses them"},
      {"--use_zero_point", "yoloq's zero points follow --target: 0 for trt (INT8 symmetric), computed for ort-cpu (UINT8)"},
      {"--passes", "yoloq's passes are fixed: placement rules, then Q/DQ insertion"},
  };
  return flags;
}
inline void add_unsupported_modelopt_flags(CLI::App& cmd) {
  for (const auto& flag : unsupported_modelopt_flags())
    cmd.add_option(flag.name, "")->expected(0, 1)->group("")->allow_extra_args(false);
}
// Throws UsageError for the first unsupported ModelOpt flag given.
inline void refuse_unsupported_modelopt_flags(const CLI::App& cmd) {
  for (const auto& flag : unsupported_modelopt_flags())
    if (cmd.count(flag.name)) throw UsageError(std::string(flag.name) + " is not supported: " + flag.answer);
}

}  // namespace yoloq::cli
