#pragma once
// Stage 3 output: the calibrated range of every activation tensor. Symmetric INT8 uses amax;
// min and max are kept for reports and asymmetric use. Saved and loaded as a calibration cache.
#include <filesystem>
#include <map>
#include <string>

namespace yoloq {

class GraphIndex;

struct TensorRange {
  float min = 0, max = 0;  // observed over all calibration data
  float amax = 0;          // the chosen symmetric threshold (method-dependent); scale = amax / 127
  bool operator==(const TensorRange&) const = default;
};

struct Ranges {
  std::string method;  // "max", "entropy", "percentile", "mse", or "fixed"/"cache"
  std::map<std::string, TensorRange> tensors;
  bool operator==(const Ranges&) const = default;
};

void save_ranges_json(const Ranges& ranges, const std::filesystem::path& path);
Ranges load_ranges_json(const std::filesystem::path& path);
// TensorRT calibration cache text: a header line, then "name: <hex of big-endian float32 scale>".
void save_ranges_trt_cache(const Ranges& ranges, const std::filesystem::path& path);
Ranges load_ranges_trt_cache(const std::filesystem::path& path);
// Picks the format by content (JSON starts with '{').
Ranges load_ranges(const std::filesystem::path& path);
// Picks the format by extension: ".json" writes JSON, anything else the TensorRT cache text.
void save_ranges(const Ranges& ranges, const std::filesystem::path& path);

// Throws Error (naming `what`, e.g. the cache file) when a range is not finite or negative, or
// when a tensor name is not a tensor of the model.
void validate_ranges(const Ranges& ranges, const GraphIndex& graph, const std::string& what);

// The scale written to a TensorRT cache: amax / 127 (symmetric INT8).
float trt_scale(const TensorRange& range);

}  // namespace yoloq
