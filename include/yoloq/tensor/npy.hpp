#pragma once
// NPY and NPZ files (numpy's formats): float32, float16, uint8, int8, int32, int64, C order,
// NPY header versions 1.0 to 3.0 on read; version 1.0 (2.0 when the header needs it) on write.
#include <filesystem>
#include <map>
#include <string>

#include "yoloq/tensor/tensor.hpp"

namespace yoloq {

Tensor read_npy(const std::filesystem::path& path);
Tensor parse_npy(const void* data, std::size_t size, const std::string& what);  // what names the source in errors
std::string serialize_npy(const Tensor& tensor);
void write_npy(const std::filesystem::path& path, const Tensor& tensor);  // atomic

// Keys are the array names without the ".npy" suffix; sorted.
std::map<std::string, Tensor> read_npz(const std::filesystem::path& path);
void write_npz(const std::filesystem::path& path, const std::map<std::string, Tensor>& arrays);  // atomic

}  // namespace yoloq
