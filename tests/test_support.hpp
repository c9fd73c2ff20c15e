#pragma once
// Helpers shared by the test programs: a scratch folder, the real data folder, reading files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>

#include "yoloq/support/error.hpp"

namespace yoloq::testing {

// A fresh folder under the system temp dir, removed with everything in it at the end of a test.
class ScratchDir {
 public:
  // `purpose` keeps two scratch folders of one test apart.
  explicit ScratchDir(const std::string& purpose = "scratch") {
    auto base = std::filesystem::temp_directory_path();
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "yoloq-" + purpose + "-" + (info ? info->name() : "test") + "-" + std::to_string(::getpid());
    path_ = base / name;
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// The shared data folder: $YOLOQ_DATA, else ../shared/data beside the source tree.
inline std::filesystem::path data_dir() {
  if (const char* env = std::getenv("YOLOQ_DATA")) return env;
  return std::filesystem::path(YOLOQ_SOURCE_DIR) / ".." / "shared" / "data";
}

inline std::filesystem::path real_model_path() { return data_dir() / "models" / "yolo11n-coco-640.onnx"; }
inline std::filesystem::path float_model() { return real_model_path(); }
inline std::filesystem::path coco128_images() { return data_dir() / "coco128" / "images"; }
inline std::filesystem::path coco128_labels() { return data_dir() / "coco128" / "labels"; }
inline bool have_real_data() {
  return std::filesystem::exists(float_model()) && std::filesystem::is_directory(coco128_images());
}

// The message of the yoloq::Error that f() throws, or "(no error)"; tests compare it exactly.
template <typename F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const yoloq::Error& e) {
    return e.what();
  }
  return "(no error)";
}

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void spit(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace yoloq::testing
