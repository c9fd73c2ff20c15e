#include "yoloq/pipeline/quantize.hpp"

#include "yoloq/data/fingerprint.hpp"
#include "yoloq/onnx/model_summary.hpp"
#include "yoloq/runtime/cpu_features.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/file_io.hpp"
#include "yoloq/support/interrupt.hpp"

namespace fs = std::filesystem;

namespace yoloq {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  if (fs::exists(b, ec) && fs::equivalent(a, b, ec)) return true;
  return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}

void remove_output(const fs::path& output) {
  std::error_code ec;
  fs::remove(output, ec);
  fs::remove(output.string() + ".data", ec);
}

void append(std::vector<std::string>& to, std::vector<std::string> from) {
  for (auto& w : from) to.push_back(std::move(w));
}

// Forwards the calibration source and keeps what identifies each sample it served: the
// fingerprints quantize records in the model (fingerprint.hpp) and the image files, for the report.
class CalibrationRecorder : public BatchSource {
 public:
  explicit CalibrationRecorder(BatchSource& source) : source_(source) {}
  std::optional<NamedTensors> next() override {
    auto batch = source_.next();
    for (const auto& origin : source_.origins()) {
      fingerprints.push_back(origin.fingerprint);
      if (!origin.image.empty()) files.push_back(origin.image.string());
    }
    return batch;
  }
  std::size_t batch_count() const override { return source_.batch_count(); }
  std::size_t sample_count() const override { return source_.sample_count(); }
  std::string description() const override { return source_.description(); }
  void rewind() override {
    source_.rewind();
    fingerprints.clear();
    files.clear();
  }
  const std::vector<SampleOrigin>& origins() const override { return source_.origins(); }
  std::vector<std::string> take_warnings() override { return source_.take_warnings(); }

  std::vector<std::uint64_t> fingerprints;
  std::vector<std::string> files;

 private:
  BatchSource& source_;
};

// Stage 2: the rules' plan, or an edited plan file checked against the model.
PlanResult make_plan(const Model& model, const GraphIndex& index, const QuantizeOptions& options) {
  if (!options.plan_file) return plan_quantization(model, options.plan);
  check_opset_for_qdq(model, options.onnx_path.string());
  PlanResult planned;
  planned.plan = load_plan(*options.plan_file);
  try {
    validate_plan(planned.plan, index);
  } catch (const Error& e) {
    throw Error(options.plan_file->string() + ": " + e.what());
  }
  return planned;
}

// Stage 3: ranges from the cache when it exists (validated against the plan), else calibrated
// on `source` and written to the cache when one is named.
void calibrate_ranges(const Model& model, const GraphIndex& index, BatchSource& source, const QuantizeOptions& options,
                      QuantizeResult& result) {
  const auto tensors = result.plan.activation_tensors();
  std::error_code ec;
  if (options.calibration_cache && fs::exists(*options.calibration_cache, ec)) {
    result.ranges = load_ranges(*options.calibration_cache);
    validate_ranges(result.ranges, index, tensors, options.calibration_cache->string());
    result.ranges_from_cache = true;
    result.calibration_source = "calibration cache " + options.calibration_cache->string();
    return;
  }
  result.calibration_source = source.description();
  result.calibration_samples = source.sample_count();
  CalibrationRecorder recorder(source);
  result.ranges = calibrate(model, tensors, recorder, options.calibration);
  append(result.warnings, recorder.take_warnings());
  result.calibration_fingerprints = std::move(recorder.fingerprints);
  result.calibration_files = std::move(recorder.files);
  if (options.calibration.method == CalibrationMethod::Auto) {
    // Every method's thresholds came from the one pass; choosing among them needs the plan's
    // consumers, so it is a step of its own (tune/range_selection.hpp), timed apart.
    const auto t0 = std::chrono::steady_clock::now();
    RangeSelectionOptions selection;
    selection.runtime = options.calibration.runtime;
    selection.max_samples = options.auto_samples;
    auto selected = select_ranges(model, result.plan, result.ranges, source, selection);
    result.ranges = std::move(selected.ranges);
    result.selection_samples = selected.samples;
    result.times.select_s = seconds_since(t0);
  }
  if (options.calibration_cache) save_ranges(result.ranges, *options.calibration_cache);
}

// The fallback's measure, read before calibrating so that data it cannot score (no detections, no
// label files) fails at once.
std::optional<HeldOutMetric> fallback_metric(const Model& model, CalibrationData& data, const QuantizeOptions& options) {
  if (!options.max_drop) return std::nullopt;
  if (!data.held_out)
    throw Error("--max_drop measures on held-out samples: give at least 16 calibration samples (an eighth is held out)");
  HeldOutMetricOptions metric_options;
  metric_options.metric = options.drop_metric;
  metric_options.labels = options.verify_options.labels;
  metric_options.runtime.threads = options.verify_options.threads;
  HeldOutMetric metric(model, *data.held_out, metric_options);
  if (!metric.detect_model()) throw Error("--max_drop needs a detect model: the drop is in mAP points of its detections");
  return metric;
}

// Between calibration and writing: the accuracy fallback edits the plan, and the plan it ends with
// is saved so that --plan repeats the run without the search.
void tune_plan(const Model& model, const HeldOutMetric& metric, const QuantizeOptions& options, QuantizeResult& result) {
  FallbackOptions fallback;
  fallback.max_drop = *options.max_drop;
  fallback.sensitivity.write = options.write;
  fallback.sensitivity.quiet = options.calibration.quiet;
  result.fallback = fallback_to_max_drop(model, result.plan, result.ranges, metric, fallback);
  result.plan = result.fallback->plan;
  write_file_atomically(result.plan_path, to_json(result.plan).dump(2) + "\n");
}

// Stage 5 on the written model; a model that does not load or run, or whose check was
// interrupted, is removed: it is not an output.
void verify_output(const Model& model, const Model& quantized, BatchSource& held_out, bool reused,
                   const QuantizeOptions& options, QuantizeResult& result) {
  VerifyOptions verify_options = options.verify_options;
  verify_options.real_data = !options.source.random();
  verify_options.held_out = !reused;
  // Timing a TensorRT-placement model in ONNX Runtime was 40% of the command's time, for a figure
  // that says nothing of TensorRT.
  skip_speed_for_int8_activations(verify_options, quantized);
  try {
    result.verification = verify_models(model, quantized, held_out, verify_options);
    check_interrupted();
  } catch (...) {
    remove_output(result.output_path);
    throw;
  }
  if (reused) result.verification->data_description += " (the calibration samples: too few to hold any out)";
}

}  // namespace

fs::path default_output_path(const fs::path& onnx_path) {
  return onnx_path.parent_path() / (onnx_path.stem().string() + ".quant.onnx");
}

QuantizeResult quantize(const QuantizeOptions& options) {
  QuantizeResult result;
  result.output_path = options.output_path.empty() ? default_output_path(options.onnx_path) : options.output_path;
  // Every check on the output happens before any work, so a bad path fails in milliseconds.
  if (same_file(options.onnx_path, result.output_path))
    throw Error(result.output_path.string() + ": the output path is the input model; choose another --output_path");
  check_writable_output(result.output_path);
  if (options.max_drop) {
    check_max_drop(*options.max_drop);
    result.plan_path = result.output_path;
    result.plan_path.replace_extension(".plan.json");
    check_writable_output(result.plan_path);
  }

  auto t0 = std::chrono::steady_clock::now();
  Model model = load_model(options.onnx_path);
  name_unnamed_nodes(model);
  const GraphIndex index(model.graph());
  result.times.load_s = seconds_since(t0);

  t0 = std::chrono::steady_clock::now();
  auto planned = make_plan(model, index, options);
  result.plan = std::move(planned.plan);
  result.warnings = std::move(planned.warnings);
  check_write_options(model, result.plan, options.write);
  if (const CpuFeatures cpu = cpu_features(); result.plan.target == Target::OrtCpu && !cpu.vnni())
    result.warnings.push_back("this CPU has no VNNI (" + cpu.text() +
                              "): ONNX Runtime's UINT8 x INT8 kernels gain less over FP32 here (the shared YOLO11n "
                              "measured 1.27x on an AVX2 CPU without VNNI, against 1.79x or more with it under ONNX Runtime's "
                              "default threads)");
  result.times.plan_s = seconds_since(t0);

  // The data is split once, before calibrating, so the held-out samples are never calibrated on.
  // A cached run needs no calibration data, but verification still reads the held-out part.
  t0 = std::chrono::steady_clock::now();
  CalibrationData data = make_calibration_data(model, options.source, options.verify || options.max_drop);
  const auto metric = fallback_metric(model, data, options);
  calibrate_ranges(model, index, *data.calibration, options, result);
  if (!result.ranges_from_cache) append(result.warnings, std::move(data.warnings));  // about calibrating on it
  if (result.plan.target == Target::OrtCpu && result.ranges_from_cache && ranges_are_symmetric(result.ranges))
    result.warnings.push_back(options.calibration_cache->string() +
                              ": a symmetric cache (TensorRT text, no min/max) used for --target ort-cpu: every "
                              "UINT8 range is widened to [-amax, amax], which halves the resolution of "
                              "non-negative activations; recalibrate or use a .json cache");
  result.times.calibrate_s = seconds_since(t0) - result.times.select_s;

  if (metric) {
    t0 = std::chrono::steady_clock::now();
    tune_plan(model, *metric, options, result);
    result.times.tune_s = seconds_since(t0);
  }

  std::optional<Model> corrected;  // the float model with corrected biases, when asked for
  if (options.bias_correction) {
    t0 = std::chrono::steady_clock::now();
    BiasCorrectionOptions bias;
    bias.write = options.write;
    result.bias_shifts = measure_bias_shifts(model, result.plan, result.ranges, *data.calibration, bias);
    corrected = with_corrected_biases(model, result.bias_shifts);
    result.times.tune_s += seconds_since(t0);
  }

  t0 = std::chrono::steady_clock::now();
  Model quantized = write_qdq_model(corrected ? *corrected : model, result.plan, result.ranges, options.write);
  if (!result.calibration_fingerprints.empty()) record_calibration_fingerprints(quantized, result.calibration_fingerprints);
  result.times.write_s = seconds_since(t0);

  t0 = std::chrono::steady_clock::now();
  save_model(quantized, result.output_path, options.save);
  quantized.path = result.output_path;
  result.times.save_s = seconds_since(t0);
  if (!options.verify && interrupt_signal()) {
    remove_output(result.output_path);
    check_interrupted();
  }

  if (options.verify) {
    t0 = std::chrono::steady_clock::now();
    const bool reused = !data.held_out;
    verify_output(model, quantized, reused ? *data.calibration : *data.held_out, reused, options, result);
    append(result.warnings, (reused ? data.calibration : data.held_out)->take_warnings());
    result.times.verify_s = seconds_since(t0);
    result.verdict = result.verification->verdict;
  } else {
    result.verdict = unverified_verdict(options.verify_options.thresholds);
  }

  const QdqStats stats = qdq_stats(quantized);
  result.quantize_linear = stats.quantize_linear;
  result.dequantize_linear = stats.dequantize_linear;
  result.weighted_ops = stats.weighted_total();
  return result;
}

}  // namespace yoloq
