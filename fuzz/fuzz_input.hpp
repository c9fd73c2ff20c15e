#pragma once
// The readers under test take paths (that is how yoloq meets these files), so each input is
// written to a per-process scratch file first.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace yoloq::fuzz {

inline std::filesystem::path scratch_file(const std::string& name) {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("yoloq-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir / name;
}

inline std::filesystem::path write_input(const std::string& name, const std::uint8_t* data, std::size_t size) {
  auto path = scratch_file(name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace yoloq::fuzz
