// Models past the size where weights go to external data. The real limit is protobuf's 2 GB;
// SaveOptions::external_data_threshold moves it down to 1 MB here, so the same code path runs
// on a 4 MB model without 2 GB on disk twice.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "e2e/cli_runner.hpp"
#include "yoloq/onnx/model.hpp"
#include "yoloq/runtime/session.hpp"
#include "yoloq/synth/graph_builder.hpp"

namespace yoloq::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A 1x1 convolution 1024 -> 1024: a 4 MB weight.
Model large_model() {
  GraphBuilder g(13);
  g.input("x", {1, 1024, 4, 4});
  g.conv("c1", "x", "h", 1024, 1024);
  g.node("Relu", "relu", {"h"}, {"r"});
  g.conv("c2", "r", "y", 16, 1024);
  g.output("y", {1, 16, 4, 4});
  return g.model();
}

std::vector<float> run_once(const fs::path& model) {
  Session session(model);
  Tensor x(DType::Float32, {1, 1024, 4, 4});
  auto v = x.values<float>();
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 13) * 0.1f;
  auto out = session.run({{"x", std::move(x)}});
  auto values = out.at(0).values<float>();
  return {values.begin(), values.end()};
}

TEST(LargeModel, OverTheThresholdWeightsGoToExternalDataAndReadBack) {
  ScratchDir dir;
  const Model original = large_model();
  SaveOptions options;
  options.external_data_threshold = 1 << 20;  // the 2 GB limit, scaled down
  save_model(original, dir / "big.onnx", options);
  ASSERT_TRUE(fs::exists(dir / "big.onnx.data"));
  EXPECT_LT(fs::file_size(dir / "big.onnx"), 8u << 10);
  EXPECT_GE(fs::file_size(dir / "big.onnx.data"), 4u << 20);

  // yoloq reads the weights back byte for byte, and ONNX Runtime loads the pair.
  const Model loaded = load_model(dir / "big.onnx");
  ASSERT_EQ(loaded.graph().initializer_size(), original.proto.graph().initializer_size());
  for (int i = 0; i < loaded.graph().initializer_size(); ++i) {
    EXPECT_EQ(loaded.proto.graph().initializer(i).raw_data(), original.proto.graph().initializer(i).raw_data());
    EXPECT_FALSE(loaded.proto.graph().initializer(i).has_data_location());
  }
  save_model(original, dir / "inline.onnx");
  EXPECT_FALSE(fs::exists(dir / "inline.onnx.data"));
  EXPECT_EQ(run_once(dir / "big.onnx"), run_once(dir / "inline.onnx"));
}

TEST(LargeModel, QuantizeWithExternalDataFormatWritesAModelThatOnnxRuntimeLoads) {
  ScratchDir in("large-in"), out("large-out");
  SaveOptions options;
  options.external_data_threshold = 1 << 20;
  save_model(large_model(), in / "big.onnx", options);
  const auto out_path = (out / "q.onnx").string();
  auto r = run_cli({"quantize", "--onnx_path", (in / "big.onnx").string(), "--output_path", out_path,
                    "--use_external_data_format", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("structure: loads in ONNX Runtime"));
  ASSERT_TRUE(fs::exists(out / "q.onnx.data"));
  EXPECT_LT(fs::file_size(out / "q.onnx"), 16u << 10);
  EXPECT_GE(fs::file_size(out / "q.onnx.data"), 1u << 20);  // the INT8 weight: 1 MB
  EXPECT_EQ(run_once(out / "q.onnx").size(), 16u * 4 * 4);  // ONNX Runtime loads and runs it
  auto inspect = run_cli({"inspect", "--json", out_path});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_THAT(inspect.out, HasSubstr("\"dequantize_linear\""));
  // The input model and its data are untouched; the output folder holds exactly the pair.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(out.path())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"q.onnx", "q.onnx.data"}));
}

}  // namespace
}  // namespace yoloq::testing
