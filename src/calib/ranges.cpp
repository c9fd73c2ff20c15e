// Calibration caches: yoloq's JSON (exact: floats as hex-float strings, so a cache read back gives
// bit-identical scales) and TensorRT's calibration cache text, which ModelOpt also reads.
#include "yoloq/calib/ranges.hpp"
#include "yoloq/scales/scales.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "yoloq/onnx/model.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/file_io.hpp"

namespace yoloq {

namespace {

constexpr const char* kJsonFormat = "yoloq-ranges";
// TensorRT 8.6's header for its entropy calibrator; the tools that read these caches check only
// that a header line is there.
constexpr const char* kTrtHeader = "TRT-8601-EntropyCalibration2";

std::string hex_float(float value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%a", static_cast<double>(value));
  return buffer;
}

float read_float(const nlohmann::json& value, const std::string& what) {
  if (value.is_number()) {
    // Converting a double beyond float's range is undefined behaviour; it becomes an infinity,
    // which the callers refuse.
    const double d = value.get<double>();
    if (std::isfinite(d) && std::fabs(d) > std::numeric_limits<float>::max())
      return d > 0 ? std::numeric_limits<float>::infinity() : -std::numeric_limits<float>::infinity();
    return static_cast<float>(d);
  }
  if (!value.is_string()) throw Error(what + ": expected a number or a hex-float string");
  const std::string text = value.get<std::string>();
  char* end = nullptr;
  const float f = std::strtof(text.c_str(), &end);
  if (text.empty() || *end != '\0') throw Error(what + ": '" + text + "' is not a number");
  return f;
}

}  // namespace

bool ranges_are_symmetric(const Ranges& ranges) {
  for (const auto& [name, r] : ranges.tensors)
    if (r.min != -r.amax || r.max != r.amax) return false;
  return !ranges.tensors.empty();
}

void save_ranges_json(const Ranges& ranges, const std::filesystem::path& path) {
  nlohmann::ordered_json tensors = nlohmann::ordered_json::object();
  for (const auto& [name, r] : ranges.tensors)
    tensors[name] = {{"min", hex_float(r.min)},
                     {"max", hex_float(r.max)},
                     {"amax", hex_float(r.amax)},
                     {"scale", static_cast<double>(symmetric_scale(r.amax))}};
  nlohmann::ordered_json doc = {{"format", kJsonFormat},
                                {"version", 1},
                                {"method", ranges.method},
                                {"tensors", std::move(tensors)}};
  write_file_atomically(path, doc.dump(1) + "\n");
}

nlohmann::json to_json(const Ranges& ranges) {
  nlohmann::json tensors = nlohmann::json::object();
  for (const auto& [name, r] : ranges.tensors)
    tensors[name] = {{"min", r.min}, {"max", r.max}, {"amax", r.amax}, {"scale", symmetric_scale(r.amax)}};
  return {{"method", ranges.method}, {"tensors", std::move(tensors)}};
}

Ranges load_ranges_json(const std::filesystem::path& path) {
  const std::string what = path.string();
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(what + ": corrupt calibration cache (not valid JSON: " + e.what() + ")");
  }
  // json::value() throws nlohmann's type_error for a non-string field; check the types first.
  auto string_field = [&](const char* key, const std::string& fallback) {
    if (!doc.is_object() || !doc.contains(key)) return fallback;
    if (!doc[key].is_string()) throw Error(what + ": field \"" + key + "\" must be a string");
    return doc[key].get<std::string>();
  };
  if (!doc.is_object() || string_field("format", "") != kJsonFormat || !doc.contains("tensors") ||
      !doc["tensors"].is_object())
    throw Error(what + ": not a yoloq calibration cache (expected an object with \"format\": \"" +
                kJsonFormat + "\" and \"tensors\")");
  Ranges ranges;
  ranges.method = string_field("method", "cache");
  for (const auto& [name, entry] : doc["tensors"].items()) {
    const std::string where = what + ": tensor '" + name + "'";
    if (!entry.is_object() || !entry.contains("amax"))
      throw Error(where + ": expected an object with \"amax\"");
    TensorRange r;
    r.amax = read_float(entry["amax"], where + " amax");
    r.min = entry.contains("min") ? read_float(entry["min"], where + " min") : -r.amax;
    r.max = entry.contains("max") ? read_float(entry["max"], where + " max") : r.amax;
    if (!std::isfinite(r.amax) || r.amax < 0) throw Error(where + ": amax must be finite and >= 0");
    ranges.tensors[name] = r;
  }
  return ranges;
}

void save_ranges_trt_cache(const Ranges& ranges, const std::filesystem::path& path) {
  std::ostringstream out;
  out << kTrtHeader << "\n";
  for (const auto& [name, r] : ranges.tensors) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%08x",
                  static_cast<unsigned>(std::bit_cast<std::uint32_t>(symmetric_scale(r.amax))));
    out << name << ": " << hex << "\n";
  }
  write_file_atomically(path, out.str());
}

Ranges load_ranges_trt_cache(const std::filesystem::path& path) {
  const std::string what = path.string();
  std::istringstream in(read_file(path));
  std::string line;
  if (!std::getline(in, line) || line.rfind("TRT-", 0) != 0)
    throw Error(what + ": corrupt TensorRT calibration cache (expected a first line like '" +
                std::string(kTrtHeader) + "')");
  Ranges ranges;
  ranges.method = "cache";
  int line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto colon = line.rfind(": ");
    const std::string hex = colon == std::string::npos ? "" : line.substr(colon + 2);
    char* end = nullptr;
    // strtoul alone would accept a sign or spaces ("-1234567"); the format is 8 hex digits.
    const bool all_hex = hex.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
    const unsigned long bits = hex.empty() || !all_hex ? 0 : std::strtoul(hex.c_str(), &end, 16);
    if (colon == std::string::npos || colon == 0 || hex.size() != 8 || !all_hex || *end != '\0')
      throw Error(what + ":" + std::to_string(line_number) + ": corrupt TensorRT calibration cache line '" + line +
                  "' (expected 'tensor_name: <8 hex digits>')");
    const float scale = std::bit_cast<float>(static_cast<std::uint32_t>(bits));
    if (!std::isfinite(scale) || scale < 0)
      throw Error(what + ":" + std::to_string(line_number) + ": scale " + hex +
                  " is not a finite non-negative float");
    const float amax = scale * 127.0f;
    if (!std::isfinite(amax))
      throw Error(what + ":" + std::to_string(line_number) + ": scale " + hex + " is too large (127 * scale overflows)");
    ranges.tensors[line.substr(0, colon)] = {-amax, amax, amax};
  }
  return ranges;
}

Ranges load_ranges(const std::filesystem::path& path) {
  const std::string text = read_file(path);
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') return load_ranges_json(path);
  return load_ranges_trt_cache(path);
}

void save_ranges(const Ranges& ranges, const std::filesystem::path& path) {
  if (path.extension() == ".json")
    save_ranges_json(ranges, path);
  else
    save_ranges_trt_cache(ranges, path);
}

void validate_ranges(const Ranges& ranges, const GraphIndex& graph, const std::vector<std::string>& required,
                     const std::string& what) {
  for (const auto& t : required)
    if (!ranges.tensors.count(t))
      throw Error(what + ": no range for tensor '" + t + "' (made for another model or plan?)");
  std::vector<std::string> unknown;
  for (const auto& [name, r] : ranges.tensors) {
    if (!r.valid())
      throw Error(what + ": tensor '" + name + "' has a range that is not finite (amax must be finite and >= 0)");
    if (!graph.producer(name) && !graph.is_graph_input(name) && !graph.is_initializer(name))
      unknown.push_back(name);
  }
  if (!unknown.empty()) {
    std::string list;
    for (std::size_t i = 0; i < unknown.size() && i < 5; ++i)
      list += (i ? ", '" : "'") + unknown[i] + "'";
    if (unknown.size() > 5) list += " and " + std::to_string(unknown.size() - 5) + " more";
    throw Error(what + ": " + std::to_string(unknown.size()) +
                " tensor name(s) the model does not have: " + list +
                " (is the cache from another model?)");
  }
}

}  // namespace yoloq
