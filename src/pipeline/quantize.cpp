#include "yoloq/pipeline/quantize.hpp"

#include <algorithm>
#include <iostream>
#include <set>
#include <sstream>

#include "yoloq/support/error.hpp"
#include "yoloq/support/file_io.hpp"
#include "yoloq/support/interrupt.hpp"
#include "yoloq/onnx/model_summary.hpp"

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

bool is_json_cache(const fs::path& p) { return p.extension() == ".json"; }

}  // namespace

std::size_t holdout_count(std::size_t samples) {
  if (samples < 16) return 0;
  return std::clamp<std::size_t>(samples / 8, 4, 32);
}

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

  auto t0 = std::chrono::steady_clock::now();
  Model model = load_model(options.onnx_path);
  name_unnamed_nodes(model);
  const GraphIndex index(model.graph());
  result.times.load_s = seconds_since(t0);

  t0 = std::chrono::steady_clock::now();
  if (options.plan_file) {
    check_opset_for_qdq(model, options.onnx_path.string());
    result.plan = load_plan(*options.plan_file);
    try {
      validate_plan(result.plan, index);
    } catch (const Error& e) {
      throw Error(options.plan_file->string() + ": " + e.what());
    }
  } else {
    auto planned = plan_quantization(model, options.plan);
    result.plan = std::move(planned.plan);
    result.warnings = std::move(planned.warnings);
  }
  check_write_options(model, result.plan, options.write);
  result.times.plan_s = seconds_since(t0);

  // Decide the verification samples before calibrating, so they are never calibrated on.
  SourceOptions source_options = options.source;
  std::optional<SourceOptions> holdout_options;
  if (options.verify) {
    const bool random = options.source.path.empty();
    const std::size_t held = random ? 4 : holdout_count(make_calibration_source(model, options.source)->sample_count());
    if (held > 0) {
      source_options.holdout = held;
      holdout_options = source_options;
      holdout_options->quiet = true;
    }
  }

  t0 = std::chrono::steady_clock::now();
  const auto tensors = result.plan.activation_tensors();
  std::error_code ec;
  if (options.calibration_cache && fs::exists(*options.calibration_cache, ec)) {
    result.ranges = load_ranges(*options.calibration_cache);
    result.ranges_from_cache = true;
    for (const auto& t : tensors)
      if (!result.ranges.tensors.count(t))
        throw Error(options.calibration_cache->string() + ": calibration cache has no range for tensor '" + t +
                    "' (made for another model or plan?)");
    result.calibration_source = "calibration cache " + options.calibration_cache->string();
  } else {
    auto source = make_calibration_source(model, source_options);
    result.calibration_source = source->description();
    result.ranges = calibrate(model, tensors, *source, options.calibration);
    if (options.calibration_cache) {
      if (is_json_cache(*options.calibration_cache))
        save_ranges_json(result.ranges, *options.calibration_cache);
      else
        save_ranges_trt_cache(result.ranges, *options.calibration_cache);
    }
  }
  result.times.calibrate_s = seconds_since(t0);

  t0 = std::chrono::steady_clock::now();
  Model quantized = write_qdq_model(model, result.plan, result.ranges, options.write);
  result.times.write_s = seconds_since(t0);

  t0 = std::chrono::steady_clock::now();
  save_model(quantized, result.output_path, options.save);
  result.times.save_s = seconds_since(t0);
  if (!options.verify && interrupt_signal()) {
    fs::remove(result.output_path, ec);
    fs::remove(result.output_path.string() + ".data", ec);
    check_interrupted();
  }

  if (options.verify) {
    t0 = std::chrono::steady_clock::now();
    VerifyOptions verify_options = options.verify_options;
    // A trt model's speed in ONNX Runtime's CPU kernels says nothing of its speed in TensorRT
    // (it runs slower than the float model there), and timing it was 40% of the command's time.
    if (result.plan.target == Target::Trt && verify_options.speed_runs > 0) {
      verify_options.speed_runs = 0;
      verify_options.speed_note = "not measured for --target trt (ONNX Runtime's CPU speed says nothing of TensorRT's; time it with trtexec, or quantize with --target ort-cpu for ONNX Runtime)";
    }
    // Random inputs of a model with dynamic dimensions take the calibration shapes.
    try {
      for (auto& [name, shape] : resolve_input_shapes(model, options.source.shapes)) verify_options.input_shapes[name] = shape;
    } catch (const Error&) {
      // No shapes to give (a cache was used): verify says what it needs.
    }
    auto held = holdout_options ? make_holdout_source(model, *holdout_options) : make_calibration_source(model, options.source);
    // Held-out tensors feed single-input models; others are verified on random inputs.
    if (GraphIndex(model.graph()).inputs().size() == 1)
      while (auto batch = held->next()) verify_options.inputs.push_back(std::move(batch->front().second));
    verify_options.samples = std::max(verify_options.samples, held->sample_count());
    try {
      result.verification = verify_models(options.onnx_path, result.output_path, verify_options);
      check_interrupted();
    } catch (...) {
      // A model that does not load or run is not an output, nor is one whose run was
      // interrupted; the error says why.
      fs::remove(result.output_path, ec);
      fs::remove(result.output_path.string() + ".data", ec);
      throw;
    }
    result.verification->data_description = held->description() + (holdout_options ? "" : " (the calibration samples: too few to hold any out)");
    result.times.verify_s = seconds_since(t0);
  }

  auto stats = qdq_stats(quantized);
  result.quantize_linear = stats.quantize_linear;
  result.dequantize_linear = stats.dequantize_linear;
  // Counted as `yoloq verify` counts them: a weighted node whose first two inputs are both
  // dequantized (a quantized weight of this node, or an activation quantized for it).
  std::set<std::pair<std::string, std::string>> dequantized_for;  // (node, input tensor)
  for (const auto& w : result.plan.weights) dequantized_for.insert({w.node, w.tensor});
  for (const auto& a : result.plan.activations)
    for (const auto& c : a.consumers) dequantized_for.insert({c, a.tensor});
  static const std::set<std::string> weighted{"Conv", "ConvTranspose", "Gemm", "MatMul"};
  for (std::size_t i = 0; i < index.node_count(); ++i) {
    const auto& node = index.node(i);
    if (!weighted.count(node.op_type())) continue;
    ++result.weighted_nodes;
    const std::string name = node_name(index, i);
    if (node.input_size() >= 2 && dequantized_for.count({name, node.input(0)}) && dequantized_for.count({name, node.input(1)}))
      ++result.weighted_nodes_quantized;
  }
  return result;
}

}  // namespace yoloq
