// Resolving the model's input shapes for calibration: the model's own shapes, overridden by
// --calibration_shapes, with a dynamic batch taken as 1; other dynamic dimensions are sized by
// tensor data itself, and for images and random data by the Ultralytics metadata's imgsz.
#include <sstream>

#include "data/source_internal.hpp"
#include "yoloq/data/batch_source.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/yolo/metadata.hpp"

namespace yoloq {

namespace {

std::vector<std::int64_t> parse_dims(const std::string& text, const std::string& entry) {
  std::vector<std::int64_t> dims;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, 'x')) {
    std::size_t used = 0;
    long long d = -1;
    try {
      d = std::stoll(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (part.empty() || used != part.size() || d <= 0)
      throw Error("--calibration_shapes: '" + entry +
                  "': expected positive dimensions like 1x3x640x640");
    dims.push_back(d);
  }
  if (dims.empty()) throw Error("--calibration_shapes: '" + entry + "' has no dimensions");
  return dims;
}

std::map<std::string, std::vector<std::int64_t>> parse_shapes(const std::string& shapes) {
  std::map<std::string, std::vector<std::int64_t>> out;
  std::stringstream ss(shapes);
  std::string entry;
  while (std::getline(ss, entry, ',')) {
    if (entry.empty()) continue;
    const auto colon = entry.rfind(':');
    if (colon == std::string::npos || colon == 0)
      throw Error("--calibration_shapes: '" + entry + "': expected input_name:BxCxHxW");
    out[entry.substr(0, colon)] = parse_dims(entry.substr(colon + 1), entry);
  }
  return out;
}

}  // namespace

std::vector<ResolvedInput> resolve_inputs(const Model& model, const std::string& shapes) {
  GraphIndex index(model.graph());
  auto overrides = parse_shapes(shapes);
  const auto metadata = read_yolo_metadata(model);
  std::vector<ResolvedInput> inputs;
  for (const auto& info : index.inputs()) {
    if (info.elem_type != onnx::TensorProto::FLOAT)
      throw Error(model.path.string() + ": input '" + info.name + "' is " +
                  elem_type_name(info.elem_type) + "; calibration feeds float32 inputs only");
    ResolvedInput in;
    in.name = info.name;
    in.dynamic_batch = !info.has_shape || info.shape.empty() || info.shape[0] < 0;
    if (auto it = overrides.find(info.name); it != overrides.end()) {
      if (info.has_shape && it->second.size() != info.shape.size())
        throw Error("--calibration_shapes: input '" + info.name + "' has rank " +
                    std::to_string(info.shape.size()) + " in the model, got " +
                    shape_string(it->second));
      for (std::size_t d = 0; info.has_shape && d < info.shape.size(); ++d)
        if (info.shape[d] > 0 && info.shape[d] != it->second[d] && !(d == 0 && in.dynamic_batch))
          throw Error("--calibration_shapes: input '" + info.name + "' is " +
                      shape_string(info.shape) + " in the model, got " + shape_string(it->second));
      in.shape = it->second;
      overrides.erase(it);
    } else {
      if (!info.has_shape || info.shape.empty())
        throw Error(model.path.string() + ": input '" + info.name +
                    "' has no shape; give one with --calibration_shapes " + info.name + ":BxCxHxW");
      in.shape = info.shape;
      if (in.shape[0] < 0) in.shape[0] = 1;
      in.data_sized.assign(in.shape.size(), false);
      for (std::size_t d = 1; d < in.shape.size(); ++d) {
        if (in.shape[d] > 0) continue;
        // Tensor data will say; images and random data take the export's imgsz, or are refused
        // by check_sized without one.
        in.data_sized[d] = true;
        const bool image_axis = metadata && in.shape.size() == 4 && d >= 2 && metadata->imgsz.size() == 2;
        in.shape[d] = image_axis ? metadata->imgsz[d - 2] : -1;
      }
    }
    inputs.push_back(std::move(in));
  }
  if (!overrides.empty())
    throw Error("--calibration_shapes: the model has no input named '" + overrides.begin()->first +
                "'");
  if (inputs.empty()) throw Error(model.path.string() + ": the model has no inputs to feed");
  const auto batch = inputs.front().shape[0];  // the batch is never data-sized
  for (const auto& in : inputs)
    if (in.shape[0] != batch)
      throw Error("calibration: inputs '" + inputs.front().name + "' and '" + in.name +
                  "' have different batch sizes");
  return inputs;
}

std::vector<std::pair<std::string, std::vector<std::int64_t>>> resolve_input_shapes(
    const Model& model, const std::string& shapes) {
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> out;
  const auto inputs = resolve_inputs(model, shapes);
  check_sized(inputs, model.path.string());
  for (const auto& in : inputs) out.emplace_back(in.name, in.shape);
  return out;
}

}  // namespace yoloq
