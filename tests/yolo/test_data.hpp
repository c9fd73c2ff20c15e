#pragma once
// Where the shared real data lives: $YOLOQ_DATA, else ../shared/data beside the repository.
#include <cstdlib>
#include <filesystem>

namespace yoloq::testing {

inline std::filesystem::path data_dir() {
  if (const char* env = std::getenv("YOLOQ_DATA"); env && *env) return env;
  return std::filesystem::path(YOLOQ_SOURCE_DIR) / ".." / "shared" / "data";
}
inline std::filesystem::path float_model() {
  return data_dir() / "models" / "yolo11n-coco-640.onnx";
}
inline std::filesystem::path coco128_images() { return data_dir() / "coco128" / "images"; }
inline std::filesystem::path coco128_labels() { return data_dir() / "coco128" / "labels"; }
inline bool have_real_data() {
  return std::filesystem::exists(float_model()) && std::filesystem::is_directory(coco128_images());
}

}  // namespace yoloq::testing
