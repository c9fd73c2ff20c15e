// Calibration caches: exact JSON round trip, TensorRT cache text, and their validation errors.
#include "yoloq/calib/ranges.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "yoloq/onnx/model.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/file_io.hpp"
#include "yoloq/synth/graph_builder.hpp"

namespace fs = std::filesystem;

namespace yoloq {
namespace {

class RangesFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("yoloq_ranges_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path file(const std::string& name) const { return dir_ / name; }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(file(name)) << text;
  }
  fs::path dir_;
};

Ranges awkward_ranges() {
  Ranges r;
  r.method = "entropy";
  r.tensors["a"] = {-1.0f / 3.0f, 2.0f / 3.0f, 0.123456789f};
  r.tensors["/model.0/conv/Conv_output_0"] = {-1e-30f, 3.4e38f,
                                              std::numeric_limits<float>::denorm_min()};
  r.tensors["zero"] = {0.0f, 0.0f, 0.0f};
  r.tensors["next_to_one"] = {-std::nextafter(1.0f, 2.0f), std::nextafter(1.0f, 0.0f), 0.1f};
  return r;
}

TEST_F(RangesFiles, JsonRoundTripIsBitExact) {
  const auto ranges = awkward_ranges();
  save_ranges_json(ranges, file("r.json"));
  const auto back = load_ranges_json(file("r.json"));
  EXPECT_EQ(back, ranges);
  EXPECT_EQ(load_ranges(file("r.json")), ranges);  // detected as JSON by content
}

TEST_F(RangesFiles, HistogramsStayOutOfTheCaches) {
  const auto plain = awkward_ranges();
  auto with_histograms = plain;
  with_histograms.histograms["a"] = {0.5, {3, 0, 1}};
  for (const char* name : {"r.json", "r.cache"}) {
    save_ranges(plain, file(std::string("plain-") + name));
    save_ranges(with_histograms, file(name));
    EXPECT_EQ(read_file(file(name)), read_file(file(std::string("plain-") + name))) << name;
    EXPECT_TRUE(load_ranges(file(name)).histograms.empty()) << name;
  }
}

TEST_F(RangesFiles, JsonAcceptsPlainNumbersWrittenByHand) {
  write("hand.json",
        R"({"format": "yoloq-ranges", "method": "max", "tensors": {"x": {"amax": 2.5}}})");
  const auto r = load_ranges_json(file("hand.json"));
  EXPECT_EQ(r.method, "max");
  EXPECT_EQ(r.tensors.at("x"), (TensorRange{-2.5f, 2.5f, 2.5f}));
}

TEST_F(RangesFiles, TrtCacheTextFormat) {
  Ranges r;
  r.tensors["images"] = {0.0f, 1.0f, 127.0f};  // scale 1.0 = 0x3f800000
  r.tensors["b:x"] = {-1.0f, 63.5f, 63.5f};    // scale 0.5 = 0x3f000000; a colon in the name
  save_ranges_trt_cache(r, file("calib.cache"));
  EXPECT_EQ(read_file(file("calib.cache")),
            "TRT-8601-EntropyCalibration2\nb:x: 3f000000\nimages: 3f800000\n");
  const auto back = load_ranges(file("calib.cache"));
  EXPECT_EQ(back.method, "cache");
  EXPECT_EQ(back.tensors.at("images"), (TensorRange{-127.0f, 127.0f, 127.0f}));
  EXPECT_EQ(back.tensors.at("b:x"), (TensorRange{-63.5f, 63.5f, 63.5f}));
}

TEST_F(RangesFiles, SaveRangesPicksFormatByExtension) {
  const auto ranges = awkward_ranges();
  save_ranges(ranges, file("out.json"));
  save_ranges(ranges, file("out.cache"));
  EXPECT_EQ(read_file(file("out.json")).front(), '{');
  EXPECT_EQ(read_file(file("out.cache")).rfind("TRT-", 0), 0u);
}

void expect_error(const std::function<void()>& f, const std::string& needle) {
  try {
    f();
    FAIL() << "expected an error containing '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST_F(RangesFiles, CorruptCachesAreRejectedNamingTheFile) {
  write("broken.json", "{\"format\": \"yoloq-ranges\", \"tensors\": {");
  expect_error([&] { load_ranges(file("broken.json")); }, "broken.json: corrupt calibration cache");
  write("other.json", "{\"hello\": 1}");
  expect_error([&] { load_ranges(file("other.json")); }, "not a yoloq calibration cache");
  write("badamax.json", R"({"format": "yoloq-ranges", "tensors": {"x": {"amax": "fish"}}})");
  expect_error([&] { load_ranges(file("badamax.json")); },
               "tensor 'x' amax: 'fish' is not a number");
  write("noheader.cache", "images: 3f800000\n");
  expect_error([&] { load_ranges(file("noheader.cache")); },
               "noheader.cache: corrupt TensorRT calibration cache");
  write("badline.cache", "TRT-8601-EntropyCalibration2\nimages: 3f80zz00\n");
  expect_error([&] { load_ranges(file("badline.cache")); },
               "badline.cache:2: corrupt TensorRT calibration cache line");
  write("nan.cache", "TRT-8601-EntropyCalibration2\nimages: 7fc00000\n");
  expect_error([&] { load_ranges(file("nan.cache")); }, "not a finite");
  expect_error([&] { load_ranges(file("missing.json")); }, "missing.json: no such file");
}

onnx::GraphProto relu_graph() {
  GraphBuilder g;
  g.input("x", {});
  g.node("Relu", "", {"x"}, {"y"});
  g.output("y");
  return g.graph();
}

TEST(ValidateRanges, AcceptsModelTensorsAndNamesUnknownOnes) {
  const auto graph = relu_graph();
  GraphIndex index(graph);
  Ranges ok;
  ok.tensors["x"] = {0, 1, 1};
  ok.tensors["y"] = {0, 1, 1};
  EXPECT_NO_THROW(validate_ranges(ok, index, {}, "c.json"));
  Ranges bad = ok;
  bad.tensors["/model.99/Conv_output_0"] = {0, 1, 1};
  expect_error([&] { validate_ranges(bad, index, {}, "c.json"); },
               "c.json: 1 tensor name(s) the model does not have: '/model.99/Conv_output_0'");
  Ranges infinite = ok;
  infinite.tensors["y"].amax = INFINITY;
  expect_error([&] { validate_ranges(infinite, index, {}, "c.json"); },
               "tensor 'y' has a range that is not finite");
  Ranges nan_amax = ok;
  nan_amax.tensors["x"].amax = NAN;
  expect_error([&] { validate_ranges(nan_amax, index, {"x"}, "c.json"); },
               "c.json: tensor 'x' has a range that is not finite");
  Ranges negative = ok;
  negative.tensors["x"].amax = -1;
  expect_error([&] { validate_ranges(negative, index, {}, "c.json"); }, "tensor 'x' has a range that is not finite");
  Ranges partial;
  partial.tensors["x"] = {0, 1, 1};
  expect_error([&] { validate_ranges(partial, index, {"x", "y"}, "c.json"); },
               "c.json: no range for tensor 'y' (made for another model or plan?)");
}

}  // namespace
}  // namespace yoloq

namespace yoloq {
namespace {

// What the fuzzing of the cache readers led to: every one of these is a yoloq::Error naming the
// file, not a nlohmann exception, a wrapped sign or an out-of-range float conversion.
TEST_F(RangesFiles, HostileCachesAreOneLineErrors) {
  const std::string what = file("c").string();
  write("c", R"({"format": "yoloq-ranges", "method": 7, "tensors": {}})");
  EXPECT_THROW(
      {
        try {
          load_ranges(file("c"));
        } catch (const Error& e) {
          EXPECT_EQ(std::string(e.what()), what + ": field \"method\" must be a string");
          throw;
        }
      },
      Error);
  write("c", R"({"format": ["yoloq-ranges"], "tensors": {}})");
  EXPECT_THROW(load_ranges(file("c")), Error);
  write("c", R"({"format": "yoloq-ranges", "tensors": {"x": {"amax": 1e300}}})");
  EXPECT_THROW(load_ranges(file("c")), Error);  // beyond float: infinite, refused
  write("c", "TRT-8601-EntropyCalibration2\nx: -1234567\n");
  EXPECT_THROW(load_ranges(file("c")), Error);  // strtoul took the sign
  write("c", "TRT-8601-EntropyCalibration2\nx: 7f000000\n");
  EXPECT_THROW(load_ranges(file("c")), Error);  // finite scale, infinite 127 * scale
}

}  // namespace
}  // namespace yoloq
