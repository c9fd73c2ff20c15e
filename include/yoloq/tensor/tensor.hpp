#pragma once
// A dense, C-ordered tensor that owns its bytes and knows its element type: the currency between
// data sources, NPY/NPZ files, ONNX Runtime and the collectors.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace yoloq {

enum class DType { Float32, Float16, UInt8, Int8, Int32, Int64 };

std::size_t dtype_size(DType dtype);
std::string dtype_name(DType dtype);  // numpy-style: "float32", "int8", ...

template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::Float32; }
template <> constexpr DType dtype_of<std::uint8_t>() { return DType::UInt8; }
template <> constexpr DType dtype_of<std::int8_t>() { return DType::Int8; }
template <> constexpr DType dtype_of<std::int32_t>() { return DType::Int32; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::Int64; }

std::string shape_string(const std::vector<std::int64_t>& shape);  // "1x3x640x640"

// Elements of a tensor of `shape` (1 for a scalar's empty shape).
std::size_t shape_numel(const std::vector<std::int64_t>& shape);

struct Tensor {
  DType dtype = DType::Float32;
  std::vector<std::int64_t> shape;
  std::vector<std::byte> bytes;

  Tensor() = default;
  Tensor(DType dtype, std::vector<std::int64_t> shape);  // zero-filled

  std::size_t numel() const;
  std::size_t byte_size() const { return bytes.size(); }

  // Typed views; throw yoloq::Error when T does not match the dtype.
  template <typename T> std::span<T> values() {
    check_dtype(dtype_of<T>());
    return {reinterpret_cast<T*>(bytes.data()), numel()};
  }
  template <typename T> std::span<const T> values() const {
    check_dtype(dtype_of<T>());
    return {reinterpret_cast<const T*>(bytes.data()), numel()};
  }

  bool operator==(const Tensor&) const = default;

 private:
  void check_dtype(DType wanted) const;
};

}  // namespace yoloq
