#include "yoloq/runtime/session.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "test_models.hpp"
#include "test_support.hpp"
#include "yoloq/runtime/cpu_features.hpp"
#include "yoloq/support/error.hpp"

using yoloq::DType;
using yoloq::Session;
using yoloq::Tensor;
using yoloq::testing::error_message;

namespace {

yoloq::RuntimeOptions one_thread() {
  yoloq::RuntimeOptions options;
  options.threads = 1;  // the test machine is shared
  return options;
}

}  // namespace

// y = x + w, w = 0, 0.5, 1, 1.5: exact in float.
TEST(Session, RunsAModelFromMemory) {
  std::string bytes = yoloq::serialize_model(yoloq::testing::add_model(4));
  Session session(bytes, "add.onnx", one_thread());
  EXPECT_EQ(session.input_names(), (std::vector<std::string>{"x"}));
  EXPECT_EQ(session.output_names(), (std::vector<std::string>{"y"}));
  EXPECT_EQ(session.input_shapes(), (std::vector<std::vector<std::int64_t>>{{1, 4}}));
  Tensor x(DType::Float32, {1, 4});
  auto xs = x.values<float>();
  xs[0] = 1.0f, xs[1] = -2.0f, xs[2] = 3.25f, xs[3] = 100.0f;
  auto outputs = session.run({{"x", x}});
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(outputs[0].shape, (std::vector<std::int64_t>{1, 4}));
  auto ys = outputs[0].values<float>();
  EXPECT_EQ(std::vector<float>(ys.begin(), ys.end()), (std::vector<float>{1.0f, -1.5f, 4.25f, 101.5f}));
  EXPECT_EQ(session.run({{"x", x}}, {"y"})[0], outputs[0]);
}

TEST(Session, RunsAModelFromAFile) {
  yoloq::testing::ScratchDir dir;
  yoloq::save_model(yoloq::testing::add_model(2), dir / "add.onnx");
  Session session(dir / "add.onnx", one_thread());
  auto y = session.run({{"x", Tensor(DType::Float32, {1, 2})}})[0];
  EXPECT_EQ(y.values<float>()[1], 0.5f);
}

TEST(Session, ErrorsNameTheModel) {
  EXPECT_EQ(error_message([] { Session s(std::string("not a model"), "junk.onnx", one_thread()); })
                .rfind("junk.onnx: ONNX Runtime cannot load the model: ", 0),
            0u);
  Session session(yoloq::serialize_model(yoloq::testing::add_model(4)), "add.onnx", one_thread());
  EXPECT_EQ(error_message([&] { session.run({{"x", Tensor(DType::Float32, {1, 4})}}, {"nope"}); })
                .rfind("add.onnx: ONNX Runtime run failed: ", 0),
            0u);
  EXPECT_EQ(error_message([&] { session.run({{"x", Tensor(DType::Int32, {1, 4})}}); }).rfind("add.onnx: ONNX Runtime run failed: ", 0),
            0u);
  Tensor short_bytes(DType::Float32, {1, 4});
  short_bytes.bytes.resize(8);
  EXPECT_EQ(error_message([&] { session.run({{"x", short_bytes}}); })
                .rfind("add.onnx: input 'x' (float32 1x4, 8 bytes) is not a valid tensor: ", 0),
            0u);
}

TEST(Session, ExecutionProviders) {
  auto available = yoloq::available_providers();
  EXPECT_NE(std::find(available.begin(), available.end(), "CPUExecutionProvider"), available.end());
  yoloq::RuntimeOptions unknown = one_thread();
  unknown.execution_providers = {"npu"};
  std::string bytes = yoloq::serialize_model(yoloq::testing::add_model(4));
  EXPECT_EQ(error_message([&] { Session s(bytes, "add.onnx", unknown); }),
            "unknown execution provider 'npu' (expected cpu, cuda:N or trt)");
  // A provider this library lacks is skipped (provider_warnings says so); CPU still runs the model.
  yoloq::RuntimeOptions missing = one_thread();
  missing.execution_providers = {"trt", "cuda:0", "cpu"};
  if (std::find(available.begin(), available.end(), "CUDAExecutionProvider") == available.end()) {
    Session s(bytes, "add.onnx", missing);
    EXPECT_EQ(s.run({{"x", Tensor(DType::Float32, {1, 4})}})[0].values<float>()[3], 1.5f);
    const auto warnings = yoloq::provider_warnings({"cuda:0", "cpu"});
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_EQ(warnings[0].rfind("execution provider 'cuda:0' is not in this ONNX Runtime (available: ", 0), 0u)
        << warnings[0];
  }
}

TEST(Session, ExecutionProvidersParseTheSameEverywhere) {
  // ModelOpt's seed command passes "cuda:0 cpu" as one argument; commas work too.
  EXPECT_EQ(yoloq::parse_execution_providers({"cuda:0 cpu"}), (std::vector<std::string>{"cuda:0", "cpu"}));
  EXPECT_EQ(yoloq::parse_execution_providers({"CUDA:1,trt", "cpu"}),
            (std::vector<std::string>{"cuda:1", "trt", "cpu"}));
  EXPECT_EQ(error_message([] { yoloq::parse_execution_providers({"cuda:x"}); }),
            "execution provider 'cuda:x': the device after ':' must be a number (cuda:0)");
  EXPECT_EQ(error_message([] { yoloq::parse_execution_providers({"gpu"}); }),
            "unknown execution provider 'gpu' (expected cpu, cuda:N or trt)");
  EXPECT_EQ(error_message([] { yoloq::parse_execution_providers({" , "}); }),
            "--calibration_eps names no execution provider (expected cpu, cuda:N or trt)");
}

TEST(Session, RealDataYoloOnAZeroImage) {
  Session session(yoloq::testing::real_model_path(), one_thread());
  EXPECT_EQ(session.input_names(), (std::vector<std::string>{"images"}));
  EXPECT_EQ(session.output_names(), (std::vector<std::string>{"output0"}));
  EXPECT_EQ(session.input_shapes(), (std::vector<std::vector<std::int64_t>>{{1, 3, 640, 640}}));
  auto outputs = session.run({{"images", Tensor(DType::Float32, {1, 3, 640, 640})}});
  ASSERT_EQ(outputs.size(), 1u);
  const Tensor& out = outputs[0];
  EXPECT_EQ(out.dtype, DType::Float32);
  EXPECT_EQ(out.shape, (std::vector<std::int64_t>{1, 84, 8400}));
  auto v = out.values<float>();
  std::size_t non_finite = 0, scores_outside_unit = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) ++non_finite;
    // Rows 4..83 are sigmoid class scores: in [0, 1] by construction of the head.
    if (i / 8400 >= 4 && (v[i] < 0.0f || v[i] > 1.0f)) ++scores_outside_unit;
  }
  EXPECT_EQ(non_finite, 0u);
  EXPECT_EQ(scores_outside_unit, 0u);
  // Box centres (rows 0 and 1) lie on the 640x640 canvas for a blank image.
  for (std::size_t a = 0; a < 8400; ++a) {
    EXPECT_GE(v[a], 0.0f);
    EXPECT_LE(v[a], 640.0f);
    if (::testing::Test::HasFailure()) break;
  }
}

TEST(CpuFeatures, TextNamesWhatTheIntegerKernelsCanUse) {
  yoloq::CpuFeatures f;
  EXPECT_EQ(f.text(), "no AVX2");
  f.avx2 = true;
  EXPECT_EQ(f.text(), "AVX2, no VNNI");
  f.avx_vnni = true;
  EXPECT_TRUE(f.vnni());
  EXPECT_EQ(f.text(), "AVX2, VNNI");
  f = {true, true, true, false, true};
  EXPECT_EQ(f.text(), "AVX2, AVX-512, VNNI, AMX");
}
