#include "yoloq/tensor/tensor.hpp"

#include "yoloq/support/error.hpp"

namespace yoloq {

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::Float32: return 4;
    case DType::Float16: return 2;
    case DType::UInt8: return 1;
    case DType::Int8: return 1;
    case DType::Int32: return 4;
    case DType::Int64: return 8;
  }
  throw Error("unknown dtype");
}

std::string dtype_name(DType dtype) {
  switch (dtype) {
    case DType::Float32: return "float32";
    case DType::Float16: return "float16";
    case DType::UInt8: return "uint8";
    case DType::Int8: return "int8";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
  }
  throw Error("unknown dtype");
}

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string s;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += 'x';
    s += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return s.empty() ? "scalar" : s;
}

Tensor::Tensor(DType dtype_, std::vector<std::int64_t> shape_) : dtype(dtype_), shape(std::move(shape_)) {
  for (auto d : shape)
    if (d < 0) throw Error("tensor shape " + shape_string(shape) + " has a negative dimension");
  bytes.assign(numel() * dtype_size(dtype), std::byte{0});
}

std::size_t shape_numel(const std::vector<std::int64_t>& shape) {
  std::size_t n = 1;
  for (auto d : shape) n *= static_cast<std::size_t>(d);
  return n;
}

std::size_t Tensor::numel() const { return shape_numel(shape); }

void Tensor::check_dtype(DType wanted) const {
  if (wanted != dtype)
    throw Error("tensor is " + dtype_name(dtype) + ", not " + dtype_name(wanted));
}

}  // namespace yoloq
