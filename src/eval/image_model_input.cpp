#include "yoloq/eval/image_model_input.hpp"

#include "yoloq/support/error.hpp"

namespace yoloq {

ImageModelInput image_model_input(Session& session, const std::filesystem::path& model, int imgsz) {
  if (session.input_names().size() != 1)
    throw Error(model.string() + ": an image model has one input, this one has " +
                std::to_string(session.input_names().size()));
  ImageModelInput input;
  input.name = session.input_names().front();
  const auto shape = session.input_shapes().front();
  if (shape.size() != 4 || (shape[1] != 3 && shape[1] != -1))
    throw Error(model.string() + ": input '" + input.name + "' has shape [" + shape_string(shape) +
                "], expected an image batch [N, 3, H, W]");
  const bool fixed = shape[2] > 0 && shape[3] > 0;
  if (imgsz <= 0 && !fixed)
    throw Error(model.string() + ": input '" + input.name + "' has a dynamic size; give --imgsz");
  if (imgsz > 0 && fixed && (shape[2] != imgsz || shape[3] != imgsz))
    throw Error(model.string() + ": input '" + input.name + "' is fixed at " + std::to_string(shape[2]) + "x" +
                std::to_string(shape[3]) + ", --imgsz " + std::to_string(imgsz) + " does not fit it");
  input.height = fixed ? static_cast<int>(shape[2]) : imgsz;
  input.width = fixed ? static_cast<int>(shape[3]) : imgsz;
  return input;
}

}  // namespace yoloq
