// OBB and classify models through the CLI: default quantize of synth yolo11n-obb and yolo11n-cls
// on images, whose verification reports an agreement with the float model, and eval's bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <regex>
#include <sstream>

#include "e2e/cli_runner.hpp"
#include "yoloq/tensor/npy.hpp"
#include "yoloq/yolo/classify_crop.hpp"

namespace yoloq::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// The one number after `prefix` in `text`, or -1.
double number_after(const std::string& text, const std::string& prefix) {
  const auto at = text.find(prefix);
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + prefix.size()));
}

// stderr must be a single "yoloq: error: ..." line.
void expect_one_error_line(const CliResult& r, const std::string& message) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  std::vector<std::string> lines;
  std::stringstream ss(r.err);
  for (std::string line; std::getline(ss, line);)
    if (!line.empty() && line.find("evaluating:") == std::string::npos) lines.push_back(line);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_THAT(lines[0], StartsWith("yoloq: error: "));
  EXPECT_THAT(lines[0], HasSubstr(message));
}

class ObbClassify : public ::testing::Test {
 protected:
  ScratchDir dir_{"obbcls"};
  fs::path synth(const std::string& arch, int imgsz) {
    const auto path = dir_.path() / (arch + "-" + std::to_string(imgsz) + ".onnx");
    const auto r = run_cli({"synth", "--arch", arch, "--imgsz", std::to_string(imgsz), "-o", path.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return path;
  }
  fs::path images(int count) {
    const auto folder = dir_.path() / "images";
    fs::create_directories(folder);
    for (int i = 0; i < count; ++i)
      cv::imwrite((folder / ("im" + std::to_string(i) + ".png")).string(),
                  cv::Mat(48, 64, CV_8UC3, cv::Scalar(20 * i % 255, 90, 255 - 10 * i % 255)));
    return folder;
  }
  std::string quantize(const fs::path& model) {
    const fs::path data = have_real_data() ? coco128_images() : images(40);
    const auto r = run_cli({"quantize", "--onnx_path", model.string(), "--calibration_data_path", data.string(),
                            "--output_path", (dir_.path() / "q.onnx").string(), "--quiet"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out + r.err;
  }
};

TEST_F(ObbClassify, QuantizedObbModelReportsRotatedBoxAgreement) {
  const auto out = quantize(synth("yolo11n-obb", 320));
  const double agreement = number_after(out, "detections: agreement with float mAP50-95 ");
  EXPECT_GE(agreement, 0.0) << out;
  EXPECT_LE(agreement, 1.0) << out;
  EXPECT_THAT(out, ::testing::Not(HasSubstr("detections not checked")));
}

TEST_F(ObbClassify, QuantizedClassifyModelReportsTopOneAgreement) {
  const auto out = quantize(synth("yolo11n-cls", 224));
  EXPECT_THAT(out, HasSubstr("(classify: resized, centre-cropped)"));
  const double top1 = number_after(out, "classification: agreement with float top-1 ");
  EXPECT_GE(top1, 0.0) << out;
  EXPECT_LE(top1, 1.0) << out;
  EXPECT_GE(number_after(out, "top-5 overlap "), 0.0) << out;
  EXPECT_THAT(out, ::testing::Not(HasSubstr("detections not checked")));
}

TEST_F(ObbClassify, EvalOfObbLabelWithFiveNumbersNamesFileAndLine) {
  const auto model = synth("yolo11n-obb", 64);
  const auto folder = images(2);
  const auto labels = dir_.path() / "labels";
  fs::create_directories(labels);
  spit(labels / "im0.txt", "0 0.1 0.1 0.3 0.1 0.3 0.3 0.1 0.3\n");
  spit(labels / "im1.txt", "0 0.1 0.1 0.3 0.1 0.3 0.3 0.1 0.3\n\n2 0.5 0.5 0.2 0.2\n");
  const auto r = run_cli({"eval", model.string(), "--images", folder.string(), "--labels", labels.string(), "--quiet"});
  expect_one_error_line(r, (labels / "im1.txt").string() +
                               ":3: expected 9 numbers 'class x1 y1 x2 y2 x3 y3 x4 y4' (an OBB label), found 5");
}

TEST_F(ObbClassify, EvalWithAnotherTaskNamesTheModelsTaskAndShapes) {
  const auto model = synth("yolo11n-obb", 64);
  const auto labels = dir_.path() / "labels";
  fs::create_directories(labels);
  const auto r = run_cli({"eval", model.string(), "--images", images(1).string(), "--labels", labels.string(),
                          "--task", "detect", "--quiet"});
  expect_one_error_line(r, model.string() + " is an obb model (output0 [1x85x84]); --task detect does not fit");
}

TEST_F(ObbClassify, EvalOfObbModelPrintsRotatedMap) {
  const auto model = synth("yolo11n-obb", 64);
  const auto folder = images(2);
  const auto labels = dir_.path() / "labels";
  fs::create_directories(labels);
  spit(labels / "im0.txt", "0 0.1 0.1 0.3 0.1 0.3 0.3 0.1 0.3\n");
  const auto json = dir_.path() / "m.json";
  const auto r = run_cli({"eval", model.string(), "--images", folder.string(), "--labels", labels.string(), "--quiet",
                          "--json", json.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("task: obb, metric: ultralytics AP with exact rotated-box IoU (2 images, 1 labels; 1 "
                               "images without a label file"));
  EXPECT_THAT(slurp(json), HasSubstr("\"task\": \"obb\""));
}

TEST_F(ObbClassify, EvalOfClassifyFolderWithoutSubfoldersIsOneError) {
  const auto model = synth("yolo11n-cls", 64);
  const auto folder = images(2);
  const auto r = run_cli({"eval", model.string(), "--images", folder.string(), "--quiet"});
  expect_one_error_line(r, folder.string() + ": no class subfolders");
}

TEST_F(ObbClassify, CalibDataOfClassifyModelIsCentreCropped) {
  const auto model = synth("yolo11n-cls", 64);
  const auto folder = images(1);
  const auto npy = dir_.path() / "calib.npy";
  const auto r = run_cli({"calib-data", folder.string(), "--model", model.string(), "-o", npy.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Tensor written = read_npy(npy);
  const Tensor expected = classify_crop(cv::imread((folder / "im0.png").string()), 64, 64);
  ASSERT_EQ(written.shape, expected.shape);
  EXPECT_TRUE(std::equal(written.bytes.begin(), written.bytes.end(), expected.bytes.begin()));
}

}  // namespace
}  // namespace yoloq::testing
