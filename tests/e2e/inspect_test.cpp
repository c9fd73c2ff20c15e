#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "e2e/cli_runner.hpp"
#include "test_models.hpp"
#include "yoloq/runtime/session.hpp"

namespace fs = std::filesystem;
using yoloq::testing::run_cli;
using yoloq::testing::ScratchDir;
using yoloq::testing::spit;
using yoloq::testing::write_model_with_external_weight;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
    lines.push_back(text.substr(start, end - start));
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

// The contract for bad input: exit code 1, nothing on stdout, exactly one stderr line that
// starts "yoloq: error: <file>: " and ends with `reason`, and no file created or changed.
void expect_one_error_line(const fs::path& model, const std::string& reason, const fs::path& folder) {
  auto before = files_in(folder);
  auto r = run_cli({"inspect", model.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "yoloq: error: " + model.string() + ": " + reason + "\n");
  EXPECT_EQ(files_in(folder), before);
}

}  // namespace

TEST(Inspect, RealDataText) {
  auto r = run_cli({"inspect", yoloq::testing::real_model_path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 8u) << r.out;
  EXPECT_EQ(lines[0], "IR version 9, opset 19");
  EXPECT_EQ(lines[1], "producer: pytorch 0.1.0");
  EXPECT_EQ(lines[2], "input:  images float32 [1x3x640x640]");
  EXPECT_EQ(lines[3], "output: output0 float32 [1x84x8400]");
  EXPECT_EQ(lines[4],
            "nodes: 320 (Add 16, Concat 23, Conv 88, Div 1, MatMul 2, MaxPool 3, Mul 79, Reshape 8, Resize 2, "
            "Sigmoid 78, Slice 2, Softmax 2, Split 11, Sub 2, Transpose 3)");
  EXPECT_EQ(lines[5], "initializers: 196, 10633296 bytes");
  EXPECT_EQ(lines[6],
            "Q/DQ: 0 QuantizeLinear, 0 DequantizeLinear, 0 INT8 weight initializers (0 bytes INT8, 10633008 bytes float)");
  EXPECT_EQ(lines[7],
            "ultralytics: task detect, imgsz 640x640, stride 32, 80 classes (person, bicycle, car, motorcycle, airplane, ...)");
}

TEST(Inspect, RealDataJson) {
  auto r = run_cli({"inspect", yoloq::testing::real_model_path().string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ir_version"], 9);
  EXPECT_EQ(j["opset"], 19);
  EXPECT_EQ(j["node_count"], 320);
  EXPECT_EQ(j["op_histogram"]["Conv"], 88);
  EXPECT_EQ(j["op_histogram"].size(), 15u);
  ASSERT_EQ(j["inputs"].size(), 1u);
  EXPECT_EQ(j["inputs"][0]["name"], "images");
  EXPECT_EQ(j["inputs"][0]["type"], "float32");
  EXPECT_EQ(j["inputs"][0]["shape"], nlohmann::json({1, 3, 640, 640}));
  ASSERT_EQ(j["outputs"].size(), 1u);
  EXPECT_EQ(j["outputs"][0]["name"], "output0");
  EXPECT_EQ(j["outputs"][0]["type"], "float32");
  EXPECT_EQ(j["outputs"][0]["shape"], nlohmann::json({1, 84, 8400}));
  EXPECT_EQ(j["initializers"]["count"], 196);
  EXPECT_EQ(j["initializers"]["bytes"], 10633296);
  EXPECT_EQ(j["qdq"]["quantize_linear"], 0);
  EXPECT_EQ(j["qdq"]["dequantize_linear"], 0);
  EXPECT_EQ(j["qdq"]["int8_weight_initializers"], 0);
  EXPECT_EQ(j["ultralytics"]["task"], "detect");
  EXPECT_EQ(j["ultralytics"]["num_classes"], 80);
  EXPECT_EQ(j["ultralytics"]["names"].size(), 80u);
  EXPECT_EQ(j["ultralytics"]["names"][0], "person");
  EXPECT_EQ(j["ultralytics"]["names"][79], "toothbrush");
  EXPECT_EQ(j["ultralytics"]["imgsz"], nlohmann::json({640, 640}));
  EXPECT_EQ(j["ultralytics"]["stride"], 32);
}

TEST(Inspect, SmallModelWithoutMetadata) {
  ScratchDir dir;
  yoloq::save_model(yoloq::testing::add_model(4), dir / "add.onnx");
  auto r = run_cli({"inspect", (dir / "add.onnx").string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["node_count"], 1);
  EXPECT_EQ(j["op_histogram"], nlohmann::json({{"Add", 1}}));
  EXPECT_EQ(j["producer"]["name"], "yoloq-test");
  EXPECT_EQ(j["ultralytics"], nullptr);
}

TEST(Inspect, BadModelFiles) {
  ScratchDir dir;
  expect_one_error_line(dir / "missing.onnx", "no such file", dir.path());
  fs::create_directories(dir / "folder.onnx");
  expect_one_error_line(dir / "folder.onnx", "is a directory, expected a file", dir.path());
  spit(dir / "empty.onnx", "");
  expect_one_error_line(dir / "empty.onnx", "empty file, expected an ONNX model", dir.path());
  std::mt19937 random(99);
  std::string noise(10000, '\0');
  for (auto& c : noise) c = static_cast<char>(random());
  spit(dir / "noise.onnx", noise);
  expect_one_error_line(dir / "noise.onnx", "not a valid ONNX model (protobuf parse failed)", dir.path());
}

TEST(Inspect, RealDataTruncatedModel) {
  ScratchDir dir;
  std::string bytes = yoloq::testing::slurp(yoloq::testing::real_model_path());
  for (std::size_t length : {std::size_t{1000}, bytes.size() / 2, bytes.size() - 1}) {
    spit(dir / "cut.onnx", bytes.substr(0, length));
    expect_one_error_line(dir / "cut.onnx", "not a valid ONNX model (protobuf parse failed)", dir.path());
  }
}

TEST(Inspect, BadExternalData) {
  ScratchDir dir;
  fs::create_directories(dir / "model");
  spit(dir / "outside.data", std::string(1200, 'a'));
  auto model = dir / "model" / "m.onnx";

  write_model_with_external_weight(model, "m.onnx.data");
  expect_one_error_line(model, "initializer 'w': external data file 'm.onnx.data' is missing", dir.path());

  write_model_with_external_weight(model, "../outside.data");
  expect_one_error_line(model, "initializer 'w': external data location '../outside.data' leaves the model's folder",
                        dir.path());

  std::string absolute = (dir / "outside.data").string();
  write_model_with_external_weight(model, absolute);
  expect_one_error_line(
      model, "initializer 'w': external data location '" + absolute + "' is absolute; only files in the model's folder are read",
      dir.path());

  write_model_with_external_weight(model, "two\nlines.data");  // still one line on stderr
  expect_one_error_line(model, "initializer 'w': external data file 'two lines.data' is missing", dir.path());

  fs::create_symlink(dir / "outside.data", dir / "model" / "link.data");
  write_model_with_external_weight(model, "link.data");
  expect_one_error_line(model, "initializer 'w': external data file 'link.data' resolves outside the model's folder",
                        dir.path());
}

TEST(Inspect, UsageErrors) {
  auto no_model = run_cli({"inspect"});
  EXPECT_EQ(no_model.exit_code, 2);
  EXPECT_EQ(no_model.out, "");
  EXPECT_EQ(lines_of(no_model.err).size(), 1u);
  EXPECT_EQ(no_model.err.rfind("yoloq: error: ", 0), 0u);

  auto unknown = run_cli({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(lines_of(unknown.err).size(), 1u);
  EXPECT_EQ(unknown.err.rfind("yoloq: error: ", 0), 0u);

  auto version = run_cli({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, "yoloq 0.1.0 (ONNX Runtime " + yoloq::onnxruntime_version() + ")\n");
}
