#pragma once
// The input of a single-image model (OBB and classify eval): its name and the image size it runs
// at, from the model or from --imgsz when the model's size is dynamic.
#include <filesystem>
#include <string>

#include "yoloq/runtime/session.hpp"

namespace yoloq {

struct ImageModelInput {
  std::string name;
  int height = 0, width = 0;
};

// Throws Error (naming the model) for more than one input, an input that is not [N, 3, H, W], a
// dynamic size without imgsz, or an imgsz the fixed size does not allow.
ImageModelInput image_model_input(Session& session, const std::filesystem::path& model, int imgsz);

}  // namespace yoloq
