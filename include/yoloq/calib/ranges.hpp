#pragma once
// Stage 3 output: the calibrated range of every activation tensor. Symmetric INT8 uses amax;
// min and max are kept for reports and asymmetric use. Saved and loaded as a calibration cache.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace yoloq {

class GraphIndex;

struct TensorRange {
  float min = 0, max = 0;  // observed over all calibration data
  float amax = 0;          // the chosen symmetric threshold (method-dependent); scale = amax / 127
  // Finite min, max and amax, and amax >= 0: what a scale can be computed from.
  bool valid() const { return std::isfinite(min) && std::isfinite(max) && std::isfinite(amax) && amax >= 0; }
  bool operator==(const TensorRange&) const = default;
};

// A coarse picture of one tensor's calibration values, for reports: counts of |x| in equal bins
// over [0, upper]. A fixed number of bins, so it costs the same however much data was seen.
struct ValueHistogram {
  double upper = 0;  // upper edge of the last bin; 0 when every value was 0 (all in bin 0)
  std::vector<std::uint64_t> counts;
  double bin_width() const { return counts.empty() ? 0 : upper / static_cast<double>(counts.size()); }
  bool operator==(const ValueHistogram&) const = default;
};

struct Ranges {
  std::string method;  // "max", "entropy", "percentile", "mse", or "fixed"/"cache"
  std::map<std::string, TensorRange> tensors;
  // A summary of the histogram each threshold was chosen from, for the tensors calibration
  // histogrammed (the max method and graph inputs need none, fixed ranges have none). Not in the
  // calibration caches: a scale needs only the range, so ranges read from a cache have none.
  std::map<std::string, ValueHistogram> histograms;
  // --calibration_method auto: each histogrammed tensor's amax by every candidate method
  // ("mse", "percentile", "entropy", "max"), from the same histogram; and, once the selection
  // step (tune/range_selection.hpp) has picked, the method each tensor's amax came from ("fixed"
  // for probabilities, "input" for graph inputs, which keep their observed range). Neither is in
  // the caches: the cache keeps the chosen amax.
  std::map<std::string, std::map<std::string, float>> candidates;
  std::map<std::string, std::string> chosen;
  // Equal when they give the same scales: the histograms only describe the data, so ranges read
  // back from a cache equal the ones that were saved.
  bool operator==(const Ranges& other) const { return method == other.method && tensors == other.tensors; }
};

// True when every range is [-amax, amax]: what a TensorRT cache gives (it stores one scale per
// tensor), which wastes half of an asymmetric UINT8 range on non-negative activations.
bool ranges_are_symmetric(const Ranges& ranges);

void save_ranges_json(const Ranges& ranges, const std::filesystem::path& path);
// The ranges as plain numbers, {"method", "tensors": {name: {min, max, amax, scale}}}: what the
// Python module's calibrate() returns (the cache file keeps the exact hex floats).
nlohmann::json to_json(const Ranges& ranges);
Ranges load_ranges_json(const std::filesystem::path& path);
// TensorRT calibration cache text: a header line, then "name: <hex of big-endian float32 scale>".
void save_ranges_trt_cache(const Ranges& ranges, const std::filesystem::path& path);
Ranges load_ranges_trt_cache(const std::filesystem::path& path);
// Picks the format by content (JSON starts with '{').
Ranges load_ranges(const std::filesystem::path& path);
// Picks the format by extension: ".json" writes JSON, anything else the TensorRT cache text.
void save_ranges(const Ranges& ranges, const std::filesystem::path& path);

// Throws Error (naming `what`, e.g. the cache file, and the tensor) when a `required` tensor has
// no range, a range is not valid(), or a tensor name is not a tensor of the model.
void validate_ranges(const Ranges& ranges, const GraphIndex& graph, const std::vector<std::string>& required,
                     const std::string& what);

}  // namespace yoloq
