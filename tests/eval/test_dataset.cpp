#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_support.hpp"
#include "yoloq/eval/dataset.hpp"
#include "yoloq/eval/eval.hpp"
#include "yoloq/support/error.hpp"

namespace fs = std::filesystem;

namespace yoloq {
namespace {

class LabelFile : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() / ("yoloq_labels_" + std::to_string(::getpid()));
  void SetUp() override { fs::create_directories(dir); }
  void TearDown() override { fs::remove_all(dir); }
  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return dir / name;
  }
  std::string error_of(const fs::path& path, int classes = 80) {
    try {
      read_label_file(path, classes);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }
};

TEST_F(LabelFile, ReadsBoxesSkipsBlankLinesAndCarriageReturns) {
  const auto boxes = read_label_file(write("a.txt", "45 0.5 0.25 0.2 0.1\r\n\n3 1 1 0 0\n"), 80);
  ASSERT_EQ(boxes.size(), 2u);
  EXPECT_EQ(boxes[0].class_id, 45);
  EXPECT_DOUBLE_EQ(boxes[0].cy, 0.25);
  const Box px = label_to_pixels(boxes[0], 200, 100);
  EXPECT_DOUBLE_EQ(px.x1, 80);
  EXPECT_DOUBLE_EQ(px.y1, 20);
  EXPECT_DOUBLE_EQ(px.x2, 120);
  EXPECT_DOUBLE_EQ(px.y2, 30);
  EXPECT_TRUE(read_label_file(write("empty.txt", ""), 80).empty());
}

TEST_F(LabelFile, WrongFieldCountNamesFileAndLine) {
  const auto path = write("b.txt", "1 0.5 0.5 0.1 0.1\n2 0.5 0.5 0.1\n");
  EXPECT_EQ(error_of(path), path.string() + ":2: expected 5 fields 'class cx cy w h', found 4");
}

TEST_F(LabelFile, CoordinateOutsideTheUnitRange) {
  const auto path = write("c.txt", "1 0.5 1.2 0.1 0.1\n");
  EXPECT_THAT(error_of(path),
              ::testing::StartsWith(path.string() + ":1: coordinate '1.2' is outside [0, 1]"));
  EXPECT_THAT(error_of(write("d.txt", "1 -0.1 0.5 0.1 0.1\n")),
              ::testing::HasSubstr(":1: coordinate '-0.1'"));
}

TEST_F(LabelFile, ClassIdBeyondTheModelsClasses) {
  const auto path = write("e.txt", "0 0.5 0.5 0.1 0.1\n80 0.5 0.5 0.1 0.1\n");
  EXPECT_EQ(error_of(path),
            path.string() + ":2: class id 80 is beyond the model's 80 classes (0..79)");
  EXPECT_THAT(error_of(write("f.txt", "1.5 0.5 0.5 0.1 0.1\n")),
              ::testing::HasSubstr("not a whole number"));
  EXPECT_THAT(error_of(write("g.txt", "1 0.5 abc 0.1 0.1\n")),
              ::testing::HasSubstr("field 3 'abc' is not a number"));
}

TEST_F(LabelFile, MissingLabelFileIsAnImageWithoutObjects) {
  bool found = true;
  EXPECT_TRUE(load_ground_truth(dir / "images" / "nothing.jpg", dir, 640, 480, 80, found).empty());
  EXPECT_FALSE(found);
}

TEST_F(LabelFile, ImageIdsAreNumericStemsOrPositions) {
  EXPECT_EQ(coco_image_ids({"a/000000000009.jpg", "a/000000000025.jpg"}),
            (std::vector<long long>{9, 25}));
  EXPECT_EQ(coco_image_ids({"a/9.jpg", "a/bus.jpg"}), (std::vector<long long>{1, 2}));
  EXPECT_EQ(coco_image_ids({"a/9.jpg", "a/09.png"}),
            (std::vector<long long>{1, 2}));  // same number twice
}

TEST_F(LabelFile, ListImagesErrors) {
  EXPECT_THROW(list_images(dir / "missing"), Error);
  write("notes.txt", "x");
  EXPECT_THROW(list_images(dir), Error);  // no image files
}

TEST(EvalRealData, LabelsFolderMissing) {
  if (!testing::have_real_data()) GTEST_SKIP() << "no shared data at " << testing::data_dir();
  EvalOptions options;
  options.images = testing::coco128_images();
  options.labels = "/nonexistent/labels";
  try {
    evaluate(testing::float_model(), options);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(),
                ::testing::HasSubstr("/nonexistent/labels: labels folder does not exist"));
  }
}

// The acceptance numbers of the shared float model on coco128 (see shared/data/README.md).
TEST(EvalRealData, Coco128UltralyticsAndCocoMetrics) {
  if (!testing::have_real_data()) GTEST_SKIP() << "no shared data at " << testing::data_dir();
  EvalOptions options;
  options.images = testing::coco128_images();
  options.labels = testing::coco128_labels();
  options.quiet = true;
  const auto result = evaluate(testing::float_model(), options);
  EXPECT_EQ(result.metrics.images, 126u);
  EXPECT_EQ(result.metrics.instances, 929u);
  EXPECT_EQ(result.images_without_label_file, 0u);
  EXPECT_NEAR(result.metrics.map50_95, 0.497, 0.002);
  EXPECT_NEAR(result.metrics.map50, 0.665, 0.002);
  std::vector<ImageDetections> images;
  for (const auto& image : result.images) images.push_back(image.data);
  const auto coco = coco_metrics(images);
  // Measured: 0.4971 / 0.6661, equal to pycocotools' to 1e-6 (see coco_crosscheck.sh).
  EXPECT_NEAR(coco.map50_95, 0.4971, 0.0005);
  EXPECT_NEAR(coco.map50, 0.6661, 0.0005);
}

// A segment model's output0 holds 4 box values, 80 scores and 32 mask coefficients per anchor:
// its boxes are scored with the 80 classes of its metadata (the README's float figure), not as
// 112 classes.
TEST(EvalRealData, SegmentModelBoxesScoredWithItsClasses) {
  if (!testing::have_real_data()) GTEST_SKIP() << "no shared data at " << testing::data_dir();
  EvalOptions options;
  options.images = testing::coco128_images();
  options.labels = testing::coco128_labels();
  options.quiet = true;
  const auto result = evaluate(testing::data_dir() / "models" / "yolov8n-seg-coco-320.onnx", options);
  EXPECT_EQ(result.class_names.size(), 80u);
  EXPECT_NEAR(result.metrics.map50_95, 0.350, 0.002);
}

}  // namespace
}  // namespace yoloq

namespace yoloq {
namespace {

// A two-image copy of coco128 where one image has no label file and, in a second labels folder,
// a label line is malformed.
class EvalCliRealData : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() / ("yoloq_eval_cli_" + std::to_string(::getpid()));
  void SetUp() override {
    if (!testing::have_real_data()) GTEST_SKIP() << "no shared data at " << testing::data_dir();
    fs::create_directories(dir / "images");
    fs::create_directories(dir / "labels");
    fs::create_directories(dir / "bad_labels");
    for (const char* stem : {"000000000009", "000000000025"})
      fs::copy_file(testing::coco128_images() / (std::string(stem) + ".jpg"),
                    dir / "images" / (std::string(stem) + ".jpg"));
    fs::copy_file(testing::coco128_labels() / "000000000009.txt",
                  dir / "labels" / "000000000009.txt");
    std::ofstream(dir / "bad_labels" / "000000000009.txt")
        << "45 0.5 0.5 0.2 0.2\n45 0.5 0.5 0.2\n";
  }
  void TearDown() override { fs::remove_all(dir); }
  int run(const std::string& args, std::string& output) {
    const std::string cmd = std::string(YOLOQ_CLI) + " eval " + testing::float_model().string() +
                            " --images " + (dir / "images").string() + " --quiet " + args + " > " +
                            (dir / "out.txt").string() + " 2>&1";
    const int status = std::system(cmd.c_str());
    std::ifstream in(dir / "out.txt");
    output.assign(std::istreambuf_iterator<char>(in), {});
    return status;
  }
};

TEST_F(EvalCliRealData, ImagesWithoutLabelFilesAreCountedAndReported) {
  std::string out;
  ASSERT_EQ(run("--labels " + (dir / "labels").string() + " --per_class --json " +
                    (dir / "m.json").string() + " --save_json " + (dir / "d.json").string(),
                out),
            0)
      << out;
  EXPECT_THAT(out, ::testing::HasSubstr(
                       "2 images, 8 labels; 1 images without a label file, counted as no objects"));
  EXPECT_THAT(out, ::testing::HasSubstr("bowl"));  // per-class table with the model's class names
  std::ifstream metrics(dir / "m.json");
  const auto m = nlohmann::json::parse(metrics);
  EXPECT_EQ(m["images_without_label_file"], 1);
  EXPECT_EQ(m["instances"], 8);
  std::ifstream detections(dir / "d.json");
  const auto d = nlohmann::json::parse(detections);
  ASSERT_FALSE(d.empty());
  EXPECT_TRUE(d[0].contains("image_id") && d[0].contains("category_id") && d[0].contains("score"));
  EXPECT_EQ(d[0]["bbox"].size(), 4u);
}

TEST_F(EvalCliRealData, MalformedLabelIsAOneLineErrorNamingFileAndLine) {
  std::string out;
  EXPECT_NE(run("--labels " + (dir / "bad_labels").string(), out), 0);
  EXPECT_EQ(out, "yoloq: error: " + (dir / "bad_labels" / "000000000009.txt").string() +
                     ":2: expected 5 fields 'class cx cy w h', found 4\n");
}

TEST_F(EvalCliRealData, MissingLabelsFolder) {
  std::string out;
  EXPECT_NE(run("--labels " + (dir / "nope").string(), out), 0);
  EXPECT_EQ(out, "yoloq: error: " + (dir / "nope").string() +
                     ": labels folder does not exist (expected labels/NAME.txt per image)\n");
}

}  // namespace
}  // namespace yoloq
