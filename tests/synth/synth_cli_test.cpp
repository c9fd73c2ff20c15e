// yoloq synth as a user runs it: the model it writes, and one error line for each bad input.
#include <gtest/gtest.h>

#include "e2e/cli_runner.hpp"
#include "test_models.hpp"
#include "yoloq/yolo/metadata.hpp"

namespace fs = std::filesystem;
using yoloq::testing::run_cli;
using yoloq::testing::ScratchDir;

namespace {

// Exit code 1, nothing on stdout, exactly `message` as the one stderr line, no file written.
void expect_error(const std::vector<std::string>& args, const fs::path& folder,
                  const std::string& message) {
  auto r = run_cli(args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "yoloq: error: " + message + "\n");
  EXPECT_TRUE(fs::is_empty(folder)) << "a file was written";
}

}  // namespace

TEST(SynthCli, WritesTheModel) {
  ScratchDir dir;
  auto out = dir / "n.onnx";
  auto r = run_cli({"synth", "--arch", "yolo11n", "--imgsz", "256", "--nc", "5", "--seed", "3",
                    "-o", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out,
            "wrote " + out.string() +
                ": yolo11n, input 1x3x256x256, 5 classes, 320 nodes, synthetic weights (seed 3)\n");
  auto model = yoloq::load_model(out);
  EXPECT_EQ(model.graph().node_size(), 320);
  auto meta = yoloq::read_yolo_metadata(model);
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->task, "detect");
  EXPECT_EQ(meta->imgsz, (std::vector<std::int64_t>{256, 256}));
  EXPECT_EQ(meta->names.size(), 5u);
}

// Another task: the class count defaults to the yaml's, the metadata names the task.
TEST(SynthCli, WritesAClassifyModel) {
  ScratchDir dir;
  auto out = dir / "cls.onnx";
  auto r = run_cli({"synth", "--arch", "yolo11n-cls", "--imgsz", "224", "-o", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "wrote " + out.string() +
                       ": yolo11n-cls, input 1x3x224x224, 1000 classes, 144 nodes, synthetic "
                       "weights (seed 0)\n");
  auto meta = yoloq::read_yolo_metadata(yoloq::load_model(out));
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->task, "classify");
  EXPECT_EQ(meta->names.size(), 1000u);
}

TEST(SynthCli, BadInputIsOneErrorLine) {
  ScratchDir dir, out_dir("synth-out");
  auto out = (out_dir / "m.onnx").string();
  expect_error({"synth", "--arch", "yolo12n", "-o", out}, out_dir.path(),
               "--arch 'yolo12n': unknown architecture, expected yolo11n, yolo11s, yolo11m, "
               "yolo11l or yolo11x, alone or with -seg, -pose, -obb or -cls; yolo26n, s, m, l or "
               "x, alone or with -e2e; yolov8n, s, m, l or x; yolov10n, s, m, b, l or x, alone or "
               "with -e2e");
  expect_error(
      {"synth", "--imgsz", "100", "-o", out}, out_dir.path(),
      "--imgsz 100: must be a multiple of 32 from 64 to 8192 (the coarsest level has stride 32)");
  expect_error(
      {"synth", "--imgsz", "32", "-o", out}, out_dir.path(),
      "--imgsz 32: must be a multiple of 32 from 64 to 8192 (the coarsest level has stride 32)");
  expect_error({"synth", "--nc", "0", "-o", out}, out_dir.path(),
               "--nc 0: must be from 1 to 10000");

  // Weights of another size: the first parameter already differs.
  auto s = dir / "s.onnx";
  ASSERT_EQ(run_cli({"synth", "--arch", "yolo11s", "--imgsz", "64", "-o", s.string()}).exit_code,
            0);
  expect_error(
      {"synth", "--arch", "yolo11n", "--imgsz", "64", "--weights", s.string(), "-o", out},
      out_dir.path(),
      s.string() +
          ": initializers do not match yolo11n with 80 classes: initializer "
          "'model.0.conv.weight_DequantizeLinear_Output' has shape 32x3x3x3, expected 16x3x3x3");
  // A model that is not a YOLO at all (y = x + w).
  auto other = dir / "add.onnx";
  yoloq::save_model(yoloq::testing::add_model(4), other);
  expect_error({"synth", "--weights", other.string(), "-o", out}, out_dir.path(),
               other.string() +
                   ": initializers do not match yolo11n with 80 classes: no initializer "
                   "'model.0.conv.weight_DequantizeLinear_Output' (16x3x3x3)");
}
