#pragma once
// ONNX Runtime's element types and yoloq's DType, both ways: for the session's inputs and outputs
// and for the tensors the Observe op reads.
#include <onnxruntime_cxx_api.h>

#include <string>

#include "yoloq/support/error.hpp"
#include "yoloq/tensor/tensor.hpp"

namespace yoloq {

inline ONNXTensorElementDataType ort_type(DType d) {
  switch (d) {
    case DType::Float32: return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT;
    case DType::Float16: return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16;
    case DType::UInt8: return ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8;
    case DType::Int8: return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8;
    case DType::Int32: return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32;
    case DType::Int64: return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64;
  }
  throw Error("unknown dtype");
}

inline DType from_ort_type(ONNXTensorElementDataType t, const std::string& name) {
  switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: return DType::Float32;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16: return DType::Float16;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8: return DType::UInt8;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8: return DType::Int8;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: return DType::Int32;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: return DType::Int64;
    default: throw Error("output '" + name + "' has an element type yoloq does not read");
  }
}

}  // namespace yoloq
