#pragma once
// The whole pipeline behind `yoloq quantize`: load -> plan -> calibrate -> (tune) -> write ->
// (verify).
// Each stage is its own module; the driver splits the data once into calibration and held-out
// samples, hands each stage what it needs (the plan is still the only thing the writer gets from
// the deciding side), times the stages and collects their warnings.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "yoloq/calib/calibrate.hpp"
#include "yoloq/calib/ranges.hpp"
#include "yoloq/data/batch_source.hpp"
#include "yoloq/onnx/model.hpp"
#include "yoloq/onnx/model_summary.hpp"
#include "yoloq/plan/quant_plan.hpp"
#include "yoloq/tune/bias_correction.hpp"
#include "yoloq/tune/fallback.hpp"
#include "yoloq/tune/range_selection.hpp"
#include "yoloq/verify/verify.hpp"
#include "yoloq/write/qdq_writer.hpp"

namespace yoloq {

struct QuantizeOptions {
  std::filesystem::path onnx_path;
  std::filesystem::path output_path;  // empty = <dir>/<name>.quant.onnx
  PlanOptions plan;
  std::optional<std::filesystem::path> plan_file;  // an edited plan replaces the rules
  SourceOptions source;
  CalibrationOptions calibration;
  // CalibrationMethod::Auto: how many calibration samples the selection step measures on.
  std::size_t auto_samples = RangeSelectionOptions{}.max_samples;
  // Read when it exists, written after calibration when it does not. ".json" is yoloq's exact
  // cache; anything else is TensorRT's calibration cache text.
  std::optional<std::filesystem::path> calibration_cache;
  WriteOptions write;
  SaveOptions save;
  // Stage 5: verify the written model on samples held out of the calibration data (see
  // holdout_count in batch_source.hpp). A model that fails to load in ONNX Runtime is removed.
  // Accuracy-driven fallback (tune/fallback.hpp), between calibration and writing: with a value,
  // weighted ops return to float until the held-out drop is at most this many points; the plan
  // it ends with is written beside the model (<output>.plan.json) for --plan. Needs held-out
  // samples; DropMetric::Map scores against verify_options.labels.
  std::optional<double> max_drop;
  DropMetric drop_metric = DropMetric::Agreement;
  // Empirical bias correction (tune/bias_correction.hpp), after the plan is final: the model
  // written is the float model with corrected biases, quantized by the same plan.
  bool bias_correction = false;
  std::string command_line;  // how the run was asked for, recorded in the report only
  bool verify = true;
  VerifyOptions verify_options;  // its thresholds judge the result; real_data is set from the source
};

struct StageTimes {
  // select_s: --calibration_method auto's selection step (not in calibrate_s).
  double load_s = 0, plan_s = 0, calibrate_s = 0, select_s = 0, tune_s = 0, write_s = 0, save_s = 0, verify_s = 0;
};

struct QuantizeResult {
  std::filesystem::path output_path;
  QuantPlan plan;
  Ranges ranges;
  std::vector<std::string> warnings;  // for the caller to print: the library prints none
  std::string calibration_source;  // description
  std::size_t calibration_samples = 0;  // 0 when the ranges came from a cache
  bool ranges_from_cache = false;
  std::size_t selection_samples = 0;  // --calibration_method auto: the samples its errors are measured on
  // What calibrated: each sample's fingerprint (also recorded in the written model, for verify to
  // tell when it is shown calibration samples) and, for image folders, the image files.
  std::vector<std::uint64_t> calibration_fingerprints;
  std::vector<std::string> calibration_files;
  StageTimes times;
  std::optional<FallbackResult> fallback;  // with QuantizeOptions::max_drop
  std::vector<BiasShift> bias_shifts;      // with QuantizeOptions::bias_correction
  std::filesystem::path plan_path;         // where the fallback's plan was written
  std::optional<VerifyResult> verification;
  Verdict verdict;  // the verification's, or WARN "not verified" without it
  // Counts for the summary, from the written model (qdq_stats, as verify counts them).
  std::size_t quantize_linear = 0, dequantize_linear = 0;
  WeightedOpCount weighted_ops;  // Conv, ConvTranspose, Gemm, MatMul
};

std::filesystem::path default_output_path(const std::filesystem::path& onnx_path);

// Writes the quantized model atomically; never touches the input.
QuantizeResult quantize(const QuantizeOptions& options);


}  // namespace yoloq
