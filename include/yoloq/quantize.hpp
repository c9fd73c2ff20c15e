#pragma once
// The whole pipeline behind `yoloq quantize`: load -> plan -> calibrate -> write -> (verify).
// Each stage is its own module; this only wires them together and times them.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "yoloq/calibrate.hpp"
#include "yoloq/calibration_source.hpp"
#include "yoloq/model.hpp"
#include "yoloq/qdq_writer.hpp"
#include "yoloq/quant_plan.hpp"
#include "yoloq/ranges.hpp"

namespace yoloq {

struct QuantizeOptions {
  std::filesystem::path onnx_path;
  std::filesystem::path output_path;  // empty = <dir>/<name>.quant.onnx
  PlanOptions plan;
  std::optional<std::filesystem::path> plan_file;  // an edited plan replaces the rules
  SourceOptions source;
  CalibrationOptions calibration;
  // Read when it exists, written after calibration when it does not. ".json" is yoloq's exact
  // cache; anything else is TensorRT's calibration cache text.
  std::optional<std::filesystem::path> calibration_cache;
  WriteOptions write;
  SaveOptions save;
};

struct StageTimes {
  double load_s = 0, plan_s = 0, calibrate_s = 0, write_s = 0, save_s = 0;
};

struct QuantizeResult {
  std::filesystem::path output_path;
  QuantPlan plan;
  Ranges ranges;
  std::vector<std::string> warnings;
  std::string calibration_source;  // description
  bool ranges_from_cache = false;
  StageTimes times;
  // Counts for the summary.
  std::size_t quantize_linear = 0, dequantize_linear = 0;
  std::size_t weighted_nodes = 0, weighted_nodes_quantized = 0;  // Conv, ConvTranspose, Gemm, MatMul
};

std::filesystem::path default_output_path(const std::filesystem::path& onnx_path);

// Writes the quantized model atomically; never touches the input.
QuantizeResult quantize(const QuantizeOptions& options);

std::string summary_text(const QuantizeResult& result);

}  // namespace yoloq
