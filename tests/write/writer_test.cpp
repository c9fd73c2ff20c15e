// The writer: per-channel weight math checked by hand, and written models checked node by node
// and run in ONNX Runtime.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "test_support.hpp"
#include "yoloq/runtime/session.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/synth/graph_builder.hpp"
#include "yoloq/write/qdq_writer.hpp"

namespace yoloq {
namespace {

TEST(PerChannelWeights, ScalesAreChannelAmaxOver127AndValuesWithinHalfAStep) {
  // Channel 0 amax 2.54, channel 1 amax 0.127, channel 2 all zero.
  Tensor w = float_tensor({3, 2, 1, 1}, {2.54f, -1.0f, 0.05f, -0.127f, 0.0f, 0.0f});
  auto q = quantize_per_channel(w, 0);
  ASSERT_EQ(q.scales.size(), 3u);
  EXPECT_FLOAT_EQ(q.scales[0], 2.54f / 127.0f);
  EXPECT_FLOAT_EQ(q.scales[1], 0.127f / 127.0f);
  EXPECT_GT(q.scales[2], 0.0f);
  auto v = q.values.values<std::int8_t>();
  EXPECT_EQ(std::vector<int>(v.begin(), v.end()), (std::vector<int>{127, -50, 50, -127, 0, 0}));
  auto f = w.values<float>();
  for (std::size_t i = 0; i < f.size(); ++i) {
    float scale = q.scales[i / 2];
    EXPECT_LE(std::fabs(v[i] * scale - f[i]), scale / 2 * 1.0001f) << i;
  }
}

TEST(PerChannelWeights, RoundsHalfToEven) {
  // amax 127 gives scale 1, so x / scale is x itself.
  Tensor w = float_tensor({1, 8}, {127.0f, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.5f});
  auto q = quantize_per_channel(w, 0);
  EXPECT_FLOAT_EQ(q.scales[0], 1.0f);
  auto v = q.values.values<std::int8_t>();
  EXPECT_EQ(std::vector<int>(v.begin(), v.end()), (std::vector<int>{127, 0, 2, 2, 0, -2, -2, 4}));
}

TEST(PerChannelWeights, AxisOneUsesTheSecondDimension) {
  // ConvTranspose weights [C_in, C_out, k, k]: channels along axis 1.
  Tensor w = float_tensor({2, 2, 1, 1}, {1.27f, 0.254f, -2.54f, 0.127f});
  auto q = quantize_per_channel(w, 1);
  EXPECT_FLOAT_EQ(q.scales[0], 2.54f / 127.0f);
  EXPECT_FLOAT_EQ(q.scales[1], 0.254f / 127.0f);
  auto v = q.values.values<std::int8_t>();
  EXPECT_EQ(std::vector<int>(v.begin(), v.end()), (std::vector<int>{64, 127, -127, 64}));
}

TEST(PerChannelWeights, LastAxisForMatMul) {
  Tensor w = float_tensor({2, 3}, {1.0f, -2.0f, 0.5f, -4.0f, 1.0f, 0.25f});
  auto q = quantize_per_channel(w, 1);
  EXPECT_EQ(q.scales, (std::vector<float>{4.0f / 127, 2.0f / 127, 0.5f / 127}));
}

TEST(PerChannelWeights, U8S8PairSafeScalesConvWeightsInNhwcReductionOrder) {
  // Weight [1, 2, 1, 2]: the reduction order is (kh, kw, c), so the neighbours are
  // (kw0 c0, kw0 c1) = (1.0, 0.9), same sign, sum 1.9, and (kw1 c0, kw1 c1) = (-0.5, 0.2).
  Tensor w = float_tensor({1, 2, 1, 2}, {1.0f, -0.5f, 0.9f, 0.2f});
  auto plain = quantize_per_channel(w, 0);
  auto pv = plain.values.values<std::int8_t>();
  EXPECT_EQ(std::vector<int>(pv.begin(), pv.end()), (std::vector<int>{127, -64, 114, 25}));  // 127 + 114 > 128
  auto safe = quantize_per_channel(w, 0, true);
  EXPECT_FLOAT_EQ(safe.scales[0], 1.9f / 128.0f);
  auto sv = safe.values.values<std::int8_t>();
  EXPECT_EQ(std::vector<int>(sv.begin(), sv.end()), (std::vector<int>{67, -34, 61, 13}));
}

TEST(PerChannelWeights, U8S8PairSafeScalesMatMulWeightsAlongTheReductionAxis) {
  // MatMul B [K=4, N=1], channels on axis 1: neighbours are rows (0, 1) and (2, 3).
  Tensor w = float_tensor({4, 1}, {0.6f, 0.7f, -0.3f, 0.1f});
  auto q = quantize_per_channel(w, 1, true);
  EXPECT_FLOAT_EQ(q.scales[0], 1.3f / 128.0f);
  auto v = q.values.values<std::int8_t>();
  EXPECT_EQ(std::vector<int>(v.begin(), v.end()), (std::vector<int>{59, 69, -30, 10}));
}

TEST(PerChannelWeights, U8S8PairSafeNeverLetsANeighbourPairExceed128) {
  const std::int64_t m = 8, c = 6, k = 3;
  Tensor w(DType::Float32, {m, c, k, k});
  auto f = w.values<float>();
  std::uint32_t state = 12345;
  for (auto& x : f) {
    state = state * 1664525u + 1013904223u;
    x = (static_cast<float>(state >> 8) / 16777216.0f - 0.5f) * (1.0f + static_cast<float>(&x - f.data()) / 64.0f);
  }
  auto q = quantize_per_channel(w, 0, true);
  auto v = q.values.values<std::int8_t>();
  for (std::int64_t o = 0; o < m; ++o) {
    std::vector<int> order;  // (kh, kw, c)
    for (std::int64_t s = 0; s < k * k; ++s)
      for (std::int64_t ci = 0; ci < c; ++ci) order.push_back(static_cast<int>((o * c + ci) * k * k + s));
    for (std::size_t j = 0; j + 1 < order.size(); j += 2)
      EXPECT_LE(std::abs(v[order[j]] + v[order[j + 1]]), 128) << o << " " << j;
    for (int i : order) EXPECT_LE(std::fabs(v[i] * q.scales[o] - f[i]), q.scales[o] / 2 * 1.0001f) << i;
  }
}

Model conv_chain(std::int64_t opset) {
  GraphBuilder g(opset);
  g.input("x", {1, 3, 8, 8});
  auto a = g.conv_silu("c1", "x", 4, 3);
  g.conv("c2", a, "y", 2, 4);
  g.output("y", {1, 2, 8, 8});
  return g.model();
}

QuantPlan conv_chain_plan() {
  QuantPlan plan;
  plan.activations = {{"x", {"c1/conv"}, "test"}, {"c1/out", {"c2"}, "test"}};
  plan.weights = {{"c1/conv", "c1/conv.weight", 0, false, "test"}, {"c2", "c2.weight", 0, false, "test"}};
  return plan;
}

Ranges conv_chain_ranges() {
  Ranges r;
  r.method = "test";
  r.tensors["x"] = {0.0f, 1.0f, 1.0f};
  r.tensors["c1/out"] = {-0.3f, 2.54f, 2.54f};
  return r;
}

std::size_t count_op(const Model& m, const std::string& op) {
  std::size_t n = 0;
  for (const auto& node : m.graph().node()) n += node.op_type() == op;
  return n;
}

TEST(QdqWriter, WritesOneQdqPairPerActivationAndInt8WeightsBehindDequantize) {
  Model q = write_qdq_model(conv_chain(11), conv_chain_plan(), conv_chain_ranges());
  EXPECT_EQ(count_op(q, "QuantizeLinear"), 2u);
  EXPECT_EQ(count_op(q, "DequantizeLinear"), 4u);
  EXPECT_EQ(q.opset(), 13);  // raised for per-channel axes
  GraphIndex index(q.graph());
  const auto* s = index.initializer("c1/out_scale");
  ASSERT_NE(s, nullptr);
  EXPECT_FLOAT_EQ(to_tensor(*s).values<float>()[0], 2.54f / 127.0f);
  const auto* w = index.initializer("c2.weight_quantized");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->data_type(), onnx::TensorProto::INT8);
  EXPECT_EQ(index.initializer("c2.weight"), nullptr);  // the float copy is gone
  // c2 reads the dequantized activation and weight; the graph output is untouched.
  const auto& c2 = index.node(*index.producer("y"));
  EXPECT_EQ(c2.input(0), "c1/out_DequantizeLinear_Output");
  EXPECT_EQ(c2.input(1), "c2.weight_DequantizeLinear_Output");
  EXPECT_EQ(c2.input(2), "c2.bias");
  // The Sigmoid still reads the float convolution output.
  EXPECT_TRUE(index.producer("c1/out").has_value());
}

TEST(QdqWriter, NeverLowersTheOpset) {
  Model q = write_qdq_model(conv_chain(19), conv_chain_plan(), conv_chain_ranges());
  EXPECT_EQ(q.opset(), 19);
}

TEST(QdqWriter, ScaleGroupsUseTheLargestRange) {
  auto plan = conv_chain_plan();
  plan.scale_groups = {{{"c1/out", "x"}, "test"}};
  Model q = write_qdq_model(conv_chain(13), plan, conv_chain_ranges());
  GraphIndex index(q.graph());
  EXPECT_FLOAT_EQ(to_tensor(*index.initializer("x_scale")).values<float>()[0], 2.54f / 127.0f);
}

TEST(QdqWriter, WeightsQdqKeepsFloatWeightsBehindAPair) {
  WriteOptions o;
  o.weights_qdq = true;
  Model q = write_qdq_model(conv_chain(13), conv_chain_plan(), conv_chain_ranges(), o);
  EXPECT_EQ(count_op(q, "QuantizeLinear"), 4u);
  EXPECT_EQ(count_op(q, "DequantizeLinear"), 4u);
  GraphIndex index(q.graph());
  EXPECT_NE(index.initializer("c2.weight"), nullptr);
}

TEST(QdqWriter, Int32BiasUsesInputScaleTimesWeightScale) {
  auto plan = conv_chain_plan();
  plan.weights[1].quantize_bias = true;
  Model q = write_qdq_model(conv_chain(13), plan, conv_chain_ranges());
  GraphIndex index(q.graph());
  const auto* qb = index.initializer("c2.bias_c2_quantized");
  ASSERT_NE(qb, nullptr);
  EXPECT_EQ(qb->data_type(), onnx::TensorProto::INT32);
  const Tensor bias_scales = to_tensor(*index.initializer("c2.bias_c2_scale"));
  const Tensor weight_scales = to_tensor(*index.initializer("c2.weight_scale"));
  auto bias_scale = bias_scales.values<float>();
  auto weight_scale = weight_scales.values<float>();
  for (std::size_t c = 0; c < 2; ++c) EXPECT_FLOAT_EQ(bias_scale[c], (2.54f / 127.0f) * weight_scale[c]);
  const Tensor quantized_bias = to_tensor(*qb);
  auto qv = quantized_bias.values<std::int32_t>();
  EXPECT_EQ(qv[0], 0);  // bias 0.00
  EXPECT_EQ(qv[1], static_cast<std::int32_t>(std::nearbyint(0.01 / bias_scale[1])));
}

TEST(QdqWriter, QdqNodeNamesNeverRepeatAnExistingName) {
  Model model = conv_chain(13);
  // A node already carries the name the writer would give x's QuantizeLinear.
  model.graph().mutable_node(0)->set_name("x_QuantizeLinear");
  auto plan = conv_chain_plan();
  plan.activations[0].consumers = {"x_QuantizeLinear"};
  plan.weights[0].node = "x_QuantizeLinear";
  Model q = write_qdq_model(model, plan, conv_chain_ranges());
  std::set<std::string> names;
  for (const auto& n : q.graph().node()) EXPECT_TRUE(names.insert(n.name()).second) << "repeated: " << n.name();
  EXPECT_TRUE(names.count("x_QuantizeLinear_1"));
}

TEST(QdqWriter, NanWeightIsAnErrorNamingTheInitializer) {
  Model model = conv_chain(13);
  for (auto& t : *model.graph().mutable_initializer())
    if (t.name() == "c2.weight") {
      Tensor w = to_tensor(t);
      w.values<float>()[5] = std::nanf("");
      t = to_proto(w, "c2.weight");
    }
  EXPECT_EQ(testing::error_message([&] { write_qdq_model(model, conv_chain_plan(), conv_chain_ranges()); }),
            "initializer 'c2.weight': weight holds NaN (channel 1); quantizing it is undefined");
}

TEST(QdqWriter, MissingRangeIsAnError) {
  auto ranges = conv_chain_ranges();
  ranges.tensors.erase("x");
  EXPECT_THROW(write_qdq_model(conv_chain(13), conv_chain_plan(), ranges), Error);
}

TEST(QdqWriter, WrittenModelRunsInOnnxRuntimeCloseToTheFloatModel) {
  Model f = conv_chain(13);
  Tensor x(DType::Float32, {1, 3, 8, 8});
  auto xv = x.values<float>();
  for (std::size_t i = 0; i < xv.size(); ++i) xv[i] = static_cast<float>((i * 37) % 100) / 100.0f;
  // Calibrate c1/out on this very input: expose it as an output of a copy of the model.
  Model probe = f;
  probe.graph().add_output()->set_name("c1/out");
  *probe.graph().mutable_output(1)->mutable_type() = probe.graph().output(0).type();
  probe.graph().mutable_output(1)->mutable_type()->mutable_tensor_type()->clear_shape();
  auto hidden = Session(serialize_model(probe), "probe").run({{"x", x}}, {"c1/out"})[0];
  float amax = 0;
  for (float v : hidden.values<float>()) amax = std::max(amax, std::fabs(v));
  auto ranges = conv_chain_ranges();
  ranges.tensors["c1/out"] = {-amax, amax, amax};
  Model q = write_qdq_model(f, conv_chain_plan(), ranges);
  Session fs(serialize_model(f), "float"), qs(serialize_model(q), "quant");
  auto yf = fs.run({{"x", x}})[0], yq = qs.run({{"x", x}})[0];
  ASSERT_EQ(yf.shape, yq.shape);
  double err = 0, ref = 0;
  for (std::size_t i = 0; i < yf.numel(); ++i) {
    err += std::pow(yf.values<float>()[i] - yq.values<float>()[i], 2);
    ref += std::pow(yf.values<float>()[i], 2);
  }
  EXPECT_GT(10 * std::log10(ref / err), 30.0);  // SNR in dB
}

}  // namespace
}  // namespace yoloq

namespace yoloq {
namespace {

TEST(QdqWriter, Uint8ActivationsTakeAZeroPointFromTheClippedMinMax) {
  auto plan = conv_chain_plan();
  plan.activation_type = ActivationType::UInt8Asymmetric;
  auto ranges = conv_chain_ranges();
  ranges.tensors["c1/out"] = {-0.3f, 5.0f, 2.54f};  // max clipped to the method's threshold 2.54
  auto q = activation_qparams(plan, ranges);
  EXPECT_FLOAT_EQ(q.at("c1/out").scale, 2.84f / 255.0f);
  EXPECT_EQ(q.at("c1/out").zero_point, 27);  // round(0.3 / (2.84 / 255)) = round(26.94)
  EXPECT_FLOAT_EQ(q.at("x").scale, 1.0f / 255.0f);
  EXPECT_EQ(q.at("x").zero_point, 0);
  Model m = write_qdq_model(conv_chain(13), plan, ranges);
  GraphIndex index(m.graph());
  const auto* zp = index.initializer("c1/out_zero_point");
  ASSERT_NE(zp, nullptr);
  EXPECT_EQ(zp->data_type(), onnx::TensorProto::UINT8);
  EXPECT_EQ(to_tensor(*zp).values<std::uint8_t>()[0], 27);
}

TEST(QdqWriter, ARangeFloorRaisesTheLowEndOfAUint8Span) {
  auto plan = conv_chain_plan();
  plan.activation_type = ActivationType::UInt8Asymmetric;
  auto ranges = conv_chain_ranges();
  ranges.tensors["c1/out"] = {-20.0f, 5.0f, 10.0f};  // span [-10, 5] by the threshold
  EXPECT_FLOAT_EQ(activation_qparams(plan, ranges).at("c1/out").scale, 15.0f / 255.0f);
  plan.range_floors.push_back({"c1/out", -6.0f, "test"});
  auto q = activation_qparams(plan, ranges);
  EXPECT_FLOAT_EQ(q.at("c1/out").scale, 11.0f / 255.0f);  // [-6, 5]
  EXPECT_EQ(q.at("c1/out").zero_point, 139);                // round(6 / (11 / 255)) = round(139.09)
  plan.range_floors[0].min = -12.0f;                        // below the span: no change
  EXPECT_FLOAT_EQ(activation_qparams(plan, ranges).at("c1/out").scale, 15.0f / 255.0f);
  plan.activation_type = ActivationType::Int8Symmetric;     // symmetric INT8 ignores floors
  EXPECT_FLOAT_EQ(activation_qparams(plan, ranges).at("c1/out").scale, 10.0f / 127.0f);
}

TEST(Fp16, HalfBitsRoundHalfToEvenAndSaturate) {
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(-2.0f), 0xc000);
  EXPECT_EQ(float_to_half(0.1f), 0x2e66);
  EXPECT_EQ(float_to_half(1.0f + 0x1p-11f), 0x3c00);      // halfway, to the even mantissa
  EXPECT_EQ(float_to_half(1.0f + 3 * 0x1p-11f), 0x3c02);  // halfway, to the even mantissa
  EXPECT_EQ(float_to_half(65504.0f), 0x7bff);
  EXPECT_EQ(float_to_half(1e6f), 0x7bff);  // saturates instead of becoming infinite
  EXPECT_EQ(float_to_half(-1e6f), 0xfbff);
  EXPECT_EQ(float_to_half(0x1p-24f), 0x0001);  // smallest subnormal
  EXPECT_EQ(float_to_half(0x1p-25f), 0x0000);  // halfway to it, to even
  EXPECT_EQ(float_to_half(1023 * 0x1p-24f), 0x03ff);
  EXPECT_EQ(float_to_half(0.0f), 0x0000);
}

TEST(Fp16, HighPrecisionPartsBecomeFp16BehindAnFp32Interface) {
  Model f = conv_chain(19);
  WriteOptions o;
  o.high_precision_fp16 = true;
  auto plan = conv_chain_plan();
  Model q = write_qdq_model(f, plan, conv_chain_ranges(), o);
  EXPECT_EQ(q.graph().input(0).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
  EXPECT_EQ(q.graph().output(0).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
  GraphIndex index(q.graph());
  EXPECT_EQ(index.node(*index.producer("x_fp16")).op_type(), "Cast");
  EXPECT_EQ(index.node(*index.producer("y")).op_type(), "Cast");
  for (const auto& t : q.graph().initializer()) EXPECT_NE(t.data_type(), onnx::TensorProto::FLOAT) << t.name();
  EXPECT_EQ(index.initializer("c1/out_scale")->data_type(), onnx::TensorProto::FLOAT16);
  EXPECT_EQ(index.initializer("c2.bias")->data_type(), onnx::TensorProto::FLOAT16);

  // It runs in ONNX Runtime and agrees with the FP32 variant to FP16 precision.
  Model q32 = write_qdq_model(f, plan, conv_chain_ranges());
  Tensor x(DType::Float32, {1, 3, 8, 8});
  auto xv = x.values<float>();
  for (std::size_t i = 0; i < xv.size(); ++i) xv[i] = static_cast<float>((i * 37) % 100) / 100.0f;
  auto y16 = Session(serialize_model(q), "fp16").run({{"x", x}})[0];
  auto y32 = Session(serialize_model(q32), "fp32").run({{"x", x}})[0];
  ASSERT_EQ(y16.dtype, DType::Float32);
  ASSERT_EQ(y16.shape, y32.shape);
  for (std::size_t i = 0; i < y16.numel(); ++i)
    EXPECT_NEAR(y16.values<float>()[i], y32.values<float>()[i], 0.02f + 0.01f * std::fabs(y32.values<float>()[i])) << i;
}

TEST(Fp16, RefusedForOrtCpuAndBelowOpset19) {
  WriteOptions o;
  o.high_precision_fp16 = true;
  auto plan = conv_chain_plan();
  EXPECT_THROW(check_write_options(conv_chain(13), plan, o), Error);
  plan.target = Target::OrtCpu;
  EXPECT_THROW(check_write_options(conv_chain(19), plan, o), Error);
  plan.target = Target::Trt;
  EXPECT_NO_THROW(check_write_options(conv_chain(19), plan, o));
}

}  // namespace
}  // namespace yoloq
