#pragma once
// Whole-file reads and atomic writes (a temporary file in the same folder, then rename), so that
// an error or an interruption never leaves a half-written output behind.
#include <filesystem>
#include <functional>
#include <string>

namespace yoloq {

std::string read_file(const std::filesystem::path& path);  // throws Error naming the path

// Checks before any work is done that `path` can be written: its folder exists and is writable,
// it is not a directory.
void check_writable_output(const std::filesystem::path& path);

// Calls write(tmp_path) and renames tmp_path to path; on any exception removes tmp_path.
void write_atomically(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path& tmp_path)>& write);
void write_file_atomically(const std::filesystem::path& path, const std::string& bytes);

}  // namespace yoloq
