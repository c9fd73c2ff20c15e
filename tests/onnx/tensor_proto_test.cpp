#include <gtest/gtest.h>

#include "test_support.hpp"
#include "yoloq/onnx/model.hpp"

using yoloq::DType;
using yoloq::Tensor;

namespace {

std::string conversion_error(const onnx::TensorProto& proto) {
  return yoloq::testing::error_message([&] { yoloq::to_tensor(proto); });
}

}  // namespace

TEST(TensorProto, RawDataRoundTripsEveryDType) {
  const std::pair<DType, int> types[] = {
      {DType::Float32, onnx::TensorProto::FLOAT}, {DType::Float16, onnx::TensorProto::FLOAT16},
      {DType::UInt8, onnx::TensorProto::UINT8},   {DType::Int8, onnx::TensorProto::INT8},
      {DType::Int32, onnx::TensorProto::INT32},   {DType::Int64, onnx::TensorProto::INT64}};
  for (const auto& [dtype, onnx_type] : types) {
    Tensor t(dtype, {2, 3});
    for (std::size_t i = 0; i < t.bytes.size(); ++i) t.bytes[i] = static_cast<std::byte>(i * 29 + 3);
    onnx::TensorProto proto = yoloq::to_proto(t, "w");
    EXPECT_EQ(proto.name(), "w");
    EXPECT_EQ(proto.data_type(), onnx_type);
    EXPECT_EQ(proto.dims_size(), 2);
    EXPECT_EQ(proto.raw_data().size(), t.bytes.size());
    EXPECT_EQ(yoloq::to_tensor(proto), t) << yoloq::dtype_name(dtype);
  }
}

TEST(TensorProto, ReadsTypedFields) {
  onnx::TensorProto f;
  f.set_name("f");
  f.set_data_type(onnx::TensorProto::FLOAT);
  f.add_dims(3);
  for (float v : {1.5f, -2.0f, 0.25f}) f.add_float_data(v);
  Tensor tf = yoloq::to_tensor(f);
  EXPECT_EQ(std::vector<float>(tf.values<float>().begin(), tf.values<float>().end()),
            (std::vector<float>{1.5f, -2.0f, 0.25f}));

  onnx::TensorProto q;  // int8 values travel in int32_data
  q.set_name("q");
  q.set_data_type(onnx::TensorProto::INT8);
  q.add_dims(2);
  q.add_int32_data(-128);
  q.add_int32_data(127);
  Tensor tq = yoloq::to_tensor(q);
  EXPECT_EQ(tq.values<std::int8_t>()[0], -128);
  EXPECT_EQ(tq.values<std::int8_t>()[1], 127);

  onnx::TensorProto scalar;
  scalar.set_name("s");
  scalar.set_data_type(onnx::TensorProto::INT64);
  scalar.add_int64_data(-5);
  Tensor ts = yoloq::to_tensor(scalar);
  EXPECT_TRUE(ts.shape.empty());
  EXPECT_EQ(ts.values<std::int64_t>()[0], -5);
}

TEST(TensorProto, RejectsInconsistentInitializers) {
  onnx::TensorProto p = yoloq::to_proto(Tensor(DType::Float32, {4}), "w");
  p.mutable_raw_data()->resize(12);
  EXPECT_EQ(conversion_error(p), "initializer 'w' has 12 bytes, its shape 4 needs 16");

  onnx::TensorProto few;
  few.set_name("few");
  few.set_data_type(onnx::TensorProto::FLOAT);
  few.add_dims(2);
  few.add_float_data(1.0f);
  EXPECT_EQ(conversion_error(few), "initializer 'few' holds 1 values, its shape 2 needs 2");

  onnx::TensorProto d = yoloq::to_proto(Tensor(DType::Float32, {1}), "d");
  d.set_data_type(onnx::TensorProto::DOUBLE);
  EXPECT_EQ(conversion_error(d), "initializer 'd' has unsupported element type float64");

  onnx::TensorProto ext = yoloq::to_proto(Tensor(DType::Float32, {1}), "e");
  ext.set_data_location(onnx::TensorProto::EXTERNAL);
  EXPECT_EQ(conversion_error(ext), "initializer 'e' still refers to external data");

  onnx::TensorProto negative = yoloq::to_proto(Tensor(DType::Float32, {1}), "n");
  negative.set_dims(0, -1);
  EXPECT_EQ(conversion_error(negative), "initializer 'n' has a negative dimension");
}
