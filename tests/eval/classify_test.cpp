// Classify evaluation: top-k ranking, accuracy and agreement arithmetic, the class-folder rule,
// and a whole run on a small synth classify model whose answers the test reads from the model.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "test_support.hpp"
#include "yoloq/eval/classify.hpp"
#include "yoloq/eval/eval.hpp"
#include "yoloq/runtime/session.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/synth/yolo_synth.hpp"
#include "yoloq/yolo/classify_crop.hpp"
#include "yoloq/yolo/letterbox.hpp"

namespace fs = std::filesystem;

namespace yoloq {
namespace {

TEST(TopClasses, BestFirstTiesKeepTheLowerIndex) {
  const std::vector<float> scores{0.1f, 0.3f, 0.3f, 0.05f, 0.2f, 0.05f};
  EXPECT_EQ(top_classes(scores, 5), (std::vector<int>{1, 2, 4, 0, 3}));
  EXPECT_EQ(top_classes(scores, 1), (std::vector<int>{1}));
  EXPECT_EQ(top_classes(std::vector<float>{0.5f, 0.7f}, 5), (std::vector<int>{1, 0}));
}

TEST(ClassifyScorer, TopOneAndTopFive) {
  ClassifyScorer scorer;
  const std::vector<float> scores{0.0f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};  // ranking 6 5 4 3 2 1 0
  scorer.add(scores, 6);  // top-1
  scorer.add(scores, 2);  // 5th: top-5 only
  scorer.add(scores, 1);  // 6th: neither
  scorer.add(scores, 4);  // top-5 only
  const auto m = scorer.metrics();
  EXPECT_EQ(m.images, 4u);
  EXPECT_DOUBLE_EQ(m.top1, 0.25);
  EXPECT_DOUBLE_EQ(m.top5, 0.75);
}

TEST(ClassifyAgreement, SameTopOneAndSharedTopFive) {
  ClassifyAgreementScorer scorer;
  const std::vector<float> f{0.0f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};  // top-5: 6 5 4 3 2
  const std::vector<float> q{0.6f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.0f};  // top-5: 0 5 4 3 2
  scorer.add(f, f);
  scorer.add(f, q);
  const auto a = scorer.agreement();
  EXPECT_EQ(a.images, 2u);
  EXPECT_DOUBLE_EQ(a.top1, 0.5);
  EXPECT_DOUBLE_EQ(a.top5_overlap, (1.0 + 4.0 / 5) / 2);
}

class ClassFolders : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() / ("yoloq_classify_" + std::to_string(::getpid()));
  void SetUp() override { fs::create_directories(dir); }
  void TearDown() override { fs::remove_all(dir); }
  void image(const fs::path& path, int blue = 0, int green = 0, int red = 0) {
    fs::create_directories(path.parent_path());
    cv::imwrite(path.string(), cv::Mat(48, 64, CV_8UC3, cv::Scalar(blue, green, red)));
  }
};

TEST_F(ClassFolders, NamesFirstThenIndices) {
  image(dir / "cat" / "a.png");
  image(dir / "2" / "b.png");
  image(dir / "2" / "c.png");
  const auto classes = list_class_folders(dir, {"dog", "cat", "bird"}, 3);
  ASSERT_EQ(classes.size(), 2u);
  EXPECT_EQ(classes[0].folder.filename(), "2");
  EXPECT_EQ(classes[0].class_id, 2);
  EXPECT_EQ(classes[0].images.size(), 2u);
  EXPECT_EQ(classes[1].class_id, 1);
}

TEST_F(ClassFolders, NoSubfoldersIsOneError) {
  image(dir / "a.png");
  EXPECT_EQ(testing::error_message([&] { list_class_folders(dir, {"dog"}, 1); }),
            dir.string() +
                ": no class subfolders (a classify dataset holds one subfolder per class, named by the class name or "
                "index, with that class's images)");
}

TEST_F(ClassFolders, UnknownSubfolderIsAnError) {
  image(dir / "zebra" / "a.png");
  image(dir / "3" / "b.png");
  EXPECT_EQ(testing::error_message([&] { list_class_folders(dir, {"dog", "cat", "bird"}, 3); }),
            (dir / "3").string() +
                ": subfolder '3' is not one of the model's 3 classes (a class name from its metadata, or an index 0..2)");
}

TEST_F(ClassFolders, SynthModelTopOneAndTopFiveAsThePredictionsSay) {
  SynthOptions synth;
  synth.arch = "yolo11n-cls";
  synth.imgsz = 64;
  synth.num_classes = 8;
  const fs::path model = dir / "cls.onnx";
  save_model(synthesize_yolo(synth), model);
  // Three plain images; the float model's own ranking of each decides where they go.
  const std::vector<cv::Scalar> colours{{255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
  Session session(model);
  std::vector<std::vector<int>> rankings;
  for (const auto& colour : colours) {
    NamedTensors in;
    in.emplace_back(session.input_names().front(), classify_crop(cv::Mat(48, 64, CV_8UC3, colour), 64, 64));
    rankings.push_back(top_classes(session.run(in).front().values<float>(), 8));
  }
  // Image 0 and 1 under their best class, image 2 under its 3rd (top-5 only), by index names.
  const int classes[3] = {rankings[0][0], rankings[1][0], rankings[2][2]};
  for (int i = 0; i < 3; ++i)
    image(dir / "data" / std::to_string(classes[i]) / ("img" + std::to_string(i) + ".png"),
          static_cast<int>(colours[i][0]), static_cast<int>(colours[i][1]), static_cast<int>(colours[i][2]));
  EvalOptions options;
  options.images = dir / "data";
  options.quiet = true;
  const auto result = evaluate_classify(model, options);
  EXPECT_EQ(result.metrics.images, 3u);
  EXPECT_DOUBLE_EQ(result.metrics.top1, 2.0 / 3);
  EXPECT_DOUBLE_EQ(result.metrics.top5, 1.0);
}

}  // namespace
}  // namespace yoloq
