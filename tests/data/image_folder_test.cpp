// Image-folder sources on copies of real images, including files that do not decode.
#include <set>
#include <gtest/gtest.h>

#include "test_support.hpp"
#include "yoloq/data/batch_source.hpp"
#include "yoloq/data/prefetch_source.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/synth/graph_builder.hpp"
#include "yoloq/yolo/letterbox.hpp"

namespace fs = std::filesystem;
using yoloq::testing::ScratchDir;

namespace yoloq {
namespace {

Model image_model(std::int64_t batch, std::int64_t size) {
  GraphBuilder g;
  g.input("images", {batch, 3, size, size});
  Model m = std::move(g.model());
  m.path = "tiny.onnx";
  return m;
}

SourceOptions folder_options(const fs::path& folder, std::size_t max_samples = 0, std::uint64_t seed = 0) {
  SourceOptions o;
  o.path = folder;
  o.max_samples = max_samples;
  o.seed = seed;
  return o;
}

const fs::path kCoco = testing::data_dir() / "coco128" / "images";
const char* const kNames[] = {"000000000009.jpg", "000000000025.jpg", "000000000030.jpg",
                              "000000000034.jpg", "000000000036.jpg"};

// Five real images: two at the top, three in nested folders, one with an upper-case extension.
void copy_images(const fs::path& dir) {
  fs::create_directories(dir / "b" / "c");
  fs::copy_file(kCoco / kNames[0], dir / "x0.jpg");
  fs::copy_file(kCoco / kNames[1], dir / "b" / "x1.JPG");
  fs::copy_file(kCoco / kNames[2], dir / "b" / "c" / "x2.jpeg");
  fs::copy_file(kCoco / kNames[3], dir / "b" / "x3.jpg");
  fs::copy_file(kCoco / kNames[4], dir / "x4.jpg");
  testing::spit(dir / "notes.txt", "not an image, not listed");
}

// Each image's letterboxed tensor, to recognise which file a batch came from.
std::vector<Tensor> batches(BatchSource& source) {
  std::vector<Tensor> out;
  while (auto b = source.next()) out.push_back(std::move(b->front().second));
  return out;
}

Tensor expected_tensor(const fs::path& file) { return letterbox(read_image(file), 64, 64).tensor; }

TEST(ImageFolderRealData, RecursiveSortedByPath) {
  ScratchDir dir;
  copy_images(dir.path());
  auto model = image_model(1, 64);
  auto source = make_calibration_source(model, folder_options(dir.path()));
  EXPECT_EQ(source->batch_count(), 5u);
  auto got = batches(*source);
  ASSERT_EQ(got.size(), 5u);
  // Path order: b/c/x2.jpeg, b/x1.JPG, b/x3.jpg, x0.jpg, x4.jpg.
  EXPECT_EQ(got[0], expected_tensor(dir / "b/c/x2.jpeg"));
  EXPECT_EQ(got[1], expected_tensor(dir / "b/x1.JPG"));
  EXPECT_EQ(got[2], expected_tensor(dir / "b/x3.jpg"));
  EXPECT_EQ(got[3], expected_tensor(dir / "x0.jpg"));
  EXPECT_EQ(got[4], expected_tensor(dir / "x4.jpg"));
}

TEST(ImageFolderRealData, SeededSubsetIsReproducible) {
  ScratchDir dir;
  copy_images(dir.path());
  auto model = image_model(1, 64);
  auto a = batches(*make_calibration_source(model, folder_options(dir.path(), 2, 11)));
  auto b = batches(*make_calibration_source(model, folder_options(dir.path(), 2, 11)));
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a, b);
  // Across seeds the subsets differ at least once.
  bool differs = false;
  for (std::uint64_t seed = 12; seed < 20 && !differs; ++seed)
    differs = batches(*make_calibration_source(model, folder_options(dir.path(), 2, seed))) != a;
  EXPECT_TRUE(differs);
}

TEST(ImageFolderRealData, HoldoutIsDisjointFromCalibration) {
  // 16 of coco128's images calibrate; an eighth of 16 is below the minimum of 4 held out.
  auto model = image_model(1, 64);
  auto data = make_calibration_data(model, folder_options(kCoco, 16, 3), true);
  ASSERT_TRUE(data.held_out);
  auto files = [](BatchSource& source) {
    std::set<fs::path> out;
    source.rewind();
    while (source.next()) out.insert(source.origins().at(0).image);
    return out;
  };
  const auto calibration_files = files(*data.calibration), held_files = files(*data.held_out);
  EXPECT_EQ(calibration_files.size(), 16u);
  EXPECT_EQ(held_files.size(), 4u);
  for (const auto& h : held_files) EXPECT_FALSE(calibration_files.count(h)) << h;
}

TEST(ImageFolderRealData, UndecodableFilesAreSkippedWithOneWarningEach) {
  ScratchDir dir;
  copy_images(dir.path());
  testing::spit(dir / "a_text.jpg", "this is not a JPEG");
  testing::spit(dir / "a_empty.png", "");
  const std::string jpeg = testing::slurp(kCoco / kNames[0]);
  testing::spit(dir / "a_truncated.jpg", jpeg.substr(0, jpeg.size() / 3));
  auto model = image_model(1, 64);
  auto source = make_calibration_source(model, folder_options(dir.path()));
  auto got = batches(*source);
  source->rewind();
  auto again = batches(*source);  // a second pass warns no more
  std::string warnings;
  for (const auto& w : source->take_warnings()) warnings += w + "\n";
  EXPECT_EQ(got.size(), 5u);
  EXPECT_EQ(again, got);
  for (const char* bad : {"a_text.jpg", "a_empty.png", "a_truncated.jpg"}) {
    const auto first = warnings.find(bad);
    EXPECT_NE(first, std::string::npos) << bad << " not in: " << warnings;
    EXPECT_EQ(warnings.find(bad, first + 1), std::string::npos)
        << bad << " warned twice: " << warnings;
  }
  EXPECT_EQ(std::count(warnings.begin(), warnings.end(), '\n'), 3) << warnings;
}

// Decoding on the reader thread: the same batches in the same order, with the same origins and
// warnings, as reading the folder directly; rewind starts over.
TEST(ImageFolderRealData, PrefetchYieldsTheSameBatchesInTheSameOrder) {
  ScratchDir dir;
  copy_images(dir.path());
  testing::spit(dir / "a_text.jpg", "this is not a JPEG");
  auto model = image_model(2, 64);  // batches of two: the 5 images fill two
  auto direct = make_calibration_source(model, folder_options(dir.path()));
  std::vector<NamedTensors> expected;
  std::vector<std::vector<SampleOrigin>> expected_origins;
  while (auto b = direct->next()) {
    expected.push_back(std::move(*b));
    expected_origins.push_back(direct->origins());
  }
  const auto expected_warnings = direct->take_warnings();
  ASSERT_EQ(expected.size(), 2u);
  auto inner = make_calibration_source(model, folder_options(dir.path()));
  PrefetchSource prefetch(*inner);
  EXPECT_EQ(prefetch.batch_count(), inner->batch_count());
  EXPECT_EQ(prefetch.description(), inner->description());
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t k = 0; k < expected.size(); ++k) {
      auto b = prefetch.next();
      ASSERT_TRUE(b) << k;
      EXPECT_EQ(*b, expected[k]) << k;
      ASSERT_EQ(prefetch.origins().size(), expected_origins[k].size());
      for (std::size_t i = 0; i < expected_origins[k].size(); ++i) {
        EXPECT_EQ(prefetch.origins()[i].image, expected_origins[k][i].image);
        EXPECT_EQ(prefetch.origins()[i].fingerprint, expected_origins[k][i].fingerprint);
      }
    }
    EXPECT_FALSE(prefetch.next());
    EXPECT_FALSE(prefetch.next());  // stays at the end
    if (pass == 0) {
      EXPECT_EQ(prefetch.take_warnings(), expected_warnings);
      prefetch.rewind();
    }
  }
}

// A failing inner source: its error comes out of next() at the batch it failed on, not earlier.
TEST(PrefetchSource, ErrorsArriveAtTheirBatch) {
  class Failing : public BatchSource {
   public:
    std::optional<NamedTensors> next() override {
      if (++served_ == 3) throw Error("batch 3 is bad");
      return NamedTensors{{"x", Tensor(DType::Float32, {1, static_cast<std::int64_t>(served_)})}};
    }
    std::size_t batch_count() const override { return 5; }
    std::size_t sample_count() const override { return 5; }
    std::string description() const override { return "failing"; }
    void rewind() override { served_ = 0; }
    const std::vector<SampleOrigin>& origins() const override { return origins_; }
    std::vector<std::string> take_warnings() override { return {}; }

   private:
    std::size_t served_ = 0;
    std::vector<SampleOrigin> origins_;
  } failing;
  PrefetchSource prefetch(failing);
  EXPECT_EQ(prefetch.next()->front().second.shape, (std::vector<std::int64_t>{1, 1}));
  EXPECT_EQ(prefetch.next()->front().second.shape, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(testing::error_message([&] { prefetch.next(); }), "batch 3 is bad");
  EXPECT_FALSE(prefetch.next());
}

TEST(ImageFolderRealData, EveryImageFailingIsAnError) {
  ScratchDir dir;
  testing::spit(dir / "a.jpg", "this is not a JPEG");
  testing::spit(dir / "b.png", "");
  auto model = image_model(1, 64);
  SourceOptions options = folder_options(dir.path());
  options.quiet = true;
  auto source = make_calibration_source(model, options);
  try {
    while (source->next()) {
    }
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(
        std::string(e.what()).find(dir.path().string() + ": none of the 2 images could be used"),
        std::string::npos)
        << e.what();
  }
}

TEST(ImageFolderRealData, EmptyFolderIsAnError) {
  ScratchDir dir;
  fs::create_directories(dir / "sub");
  testing::spit(dir / "readme.txt", "no images here");
  auto model = image_model(1, 64);
  try {
    make_calibration_source(model, folder_options(dir.path()));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no images (jpg, jpeg, png, bmp, tif, tiff, webp) in the folder"), std::string::npos)
        << e.what();
  }
}

TEST(ImageFolderRealData, LetterboxFolderTensorForCalibData) {
  ScratchDir dir;
  copy_images(dir.path());
  testing::spit(dir / "broken.jpg", "not a JPEG");
  std::vector<std::string> warnings;
  auto all = letterbox_image_folder(dir.path(), 64, 64, 0, 0, false, warnings);
  ASSERT_EQ(warnings.size(), 1u);  // returned, not printed
  EXPECT_NE(warnings[0].find("broken.jpg"), std::string::npos) << warnings[0];
  EXPECT_EQ(all.shape, (std::vector<std::int64_t>{5, 3, 64, 64}));
  const auto first = expected_tensor(dir / "b/c/x2.jpeg");
  EXPECT_TRUE(std::equal(first.bytes.begin(), first.bytes.end(), all.bytes.begin()));
  auto subset = letterbox_image_folder(dir.path(), 64, 64, 3, 5, true, warnings);
  EXPECT_EQ(subset.shape, (std::vector<std::int64_t>{3, 3, 64, 64}));
}

}  // namespace
}  // namespace yoloq
