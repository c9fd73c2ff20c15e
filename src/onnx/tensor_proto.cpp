// Initializers <-> Tensor. Raw data is little-endian per the ONNX spec, as is this machine.
#include <cstring>

#include "yoloq/onnx/model.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq {

namespace {
DType dtype_from_onnx(std::int32_t t, const std::string& name) {
  switch (t) {
    case onnx::TensorProto::FLOAT: return DType::Float32;
    case onnx::TensorProto::FLOAT16: return DType::Float16;
    case onnx::TensorProto::UINT8: return DType::UInt8;
    case onnx::TensorProto::INT8: return DType::Int8;
    case onnx::TensorProto::INT32: return DType::Int32;
    case onnx::TensorProto::INT64: return DType::Int64;
    default: throw Error("initializer '" + name + "' has unsupported element type " + elem_type_name(t));
  }
}

std::int32_t onnx_from_dtype(DType d) {
  switch (d) {
    case DType::Float32: return onnx::TensorProto::FLOAT;
    case DType::Float16: return onnx::TensorProto::FLOAT16;
    case DType::UInt8: return onnx::TensorProto::UINT8;
    case DType::Int8: return onnx::TensorProto::INT8;
    case DType::Int32: return onnx::TensorProto::INT32;
    case DType::Int64: return onnx::TensorProto::INT64;
  }
  throw Error("unknown dtype");
}

template <typename Dst, typename Field>
void copy_field(Tensor& t, const Field& field, const std::string& name) {
  if (static_cast<std::size_t>(field.size()) != t.numel())
    throw Error("initializer '" + name + "' holds " + std::to_string(field.size()) + " values, its shape " +
                shape_string(t.shape) + " needs " + std::to_string(t.numel()));
  auto* out = reinterpret_cast<Dst*>(t.bytes.data());
  for (int i = 0; i < field.size(); ++i) out[i] = static_cast<Dst>(field.Get(i));
}
}  // namespace

Tensor to_tensor(const onnx::TensorProto& proto) {
  const std::string& name = proto.name();
  if (proto.data_location() == onnx::TensorProto::EXTERNAL)
    throw Error("initializer '" + name + "' still refers to external data");
  std::vector<std::int64_t> shape(proto.dims().begin(), proto.dims().end());
  for (auto d : shape)
    if (d < 0) throw Error("initializer '" + name + "' has a negative dimension");
  Tensor t(dtype_from_onnx(proto.data_type(), name), shape);
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != t.byte_size())
      throw Error("initializer '" + name + "' has " + std::to_string(proto.raw_data().size()) + " bytes, its shape " +
                  shape_string(shape) + " needs " + std::to_string(t.byte_size()));
    std::memcpy(t.bytes.data(), proto.raw_data().data(), t.byte_size());
    return t;
  }
  switch (t.dtype) {
    case DType::Float32: copy_field<float>(t, proto.float_data(), name); break;
    case DType::Float16: copy_field<std::uint16_t>(t, proto.int32_data(), name); break;
    case DType::UInt8: copy_field<std::uint8_t>(t, proto.int32_data(), name); break;
    case DType::Int8: copy_field<std::int8_t>(t, proto.int32_data(), name); break;
    case DType::Int32: copy_field<std::int32_t>(t, proto.int32_data(), name); break;
    case DType::Int64: copy_field<std::int64_t>(t, proto.int64_data(), name); break;
  }
  return t;
}

onnx::TensorProto to_proto(const Tensor& tensor, const std::string& name) {
  onnx::TensorProto p;
  p.set_name(name);
  p.set_data_type(onnx_from_dtype(tensor.dtype));
  for (auto d : tensor.shape) p.add_dims(d);
  p.set_raw_data(std::string(reinterpret_cast<const char*>(tensor.bytes.data()), tensor.bytes.size()));
  return p;
}

}  // namespace yoloq
