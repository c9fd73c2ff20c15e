#include <gtest/gtest.h>
#include <zip.h>

#include <random>

#include "test_support.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/tensor/npy.hpp"

using yoloq::DType;
using yoloq::Tensor;
using yoloq::testing::ScratchDir;

namespace {

std::map<std::string, Tensor> one_of_each_dtype() {
  std::map<std::string, Tensor> arrays;
  const std::pair<const char*, DType> named[] = {{"f32", DType::Float32}, {"f16", DType::Float16},
                                                 {"u8", DType::UInt8},    {"i8", DType::Int8},
                                                 {"i32", DType::Int32},   {"i64", DType::Int64}};
  int seed = 1;
  for (const auto& [name, dtype] : named) {
    Tensor t(dtype, {3, seed});
    for (std::size_t i = 0; i < t.bytes.size(); ++i) t.bytes[i] = static_cast<std::byte>(i * 53 + seed);
    arrays.emplace(name, t);
    ++seed;
  }
  return arrays;
}

// An archive written with libzip directly, to hold members yoloq itself would never write.
void write_zip(const std::filesystem::path& path, const std::vector<std::pair<std::string, std::string>>& members) {
  int code = 0;
  zip_t* zip = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
  ASSERT_NE(zip, nullptr);
  for (const auto& [name, bytes] : members) {
    zip_source_t* source = zip_source_buffer(zip, bytes.data(), bytes.size(), 0);
    ASSERT_GE(zip_file_add(zip, name.c_str(), source, 0), 0);
  }
  ASSERT_EQ(zip_close(zip), 0);
}

std::string read_error(const std::filesystem::path& path) {
  return yoloq::testing::error_message([&] { yoloq::read_npz(path); });
}

}  // namespace

// What numpy.savez writes, made the way numpy makes it (Python's zipfile, stored, zip64 extra
// fields forced in the local header): {"a": np.array([1, -2, 3], dtype=np.int8)}.
const std::string kNumpySavez(
    "\x50\x4b\x03\x04\x2d\x00\x00\x00\x00\x00\x00\x00\x21\x00\x7f\x3f\x1e\xd6\xff\xff\xff\xff\xff\xff\xff\xff\x05\x00\x14\x00\x61\x2e"
    "\x6e\x70\x79\x01\x00\x10\x00\x83\x00\x00\x00\x00\x00\x00\x00\x83\x00\x00\x00\x00\x00\x00\x00\x93\x4e\x55\x4d\x50\x59\x01\x00\x76"
    "\x00\x7b\x27\x64\x65\x73\x63\x72\x27\x3a\x20\x27\x7c\x69\x31\x27\x2c\x20\x27\x66\x6f\x72\x74\x72\x61\x6e\x5f\x6f\x72\x64\x65\x72"
    "\x27\x3a\x20\x46\x61\x6c\x73\x65\x2c\x20\x27\x73\x68\x61\x70\x65\x27\x3a\x20\x28\x33\x2c\x29\x2c\x20\x7d\x20\x20\x20\x20\x20\x20"
    "\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20"
    "\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x0a\x01\xfe\x03\x50\x4b\x01\x02\x2d\x03"
    "\x2d\x00\x00\x00\x00\x00\x00\x00\x21\x00\x7f\x3f\x1e\xd6\x83\x00\x00\x00\x83\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x80\x01\x00\x00\x00\x00\x61\x2e\x6e\x70\x79\x50\x4b\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00\x33\x00\x00\x00\xba\x00\x00"
    "\x00\x00\x00",
    259);

// numpy.savez_compressed: the same, deflated. {"scores": np.array([0.5, -8.0], dtype=np.float32)}.
const std::string kNumpySavezCompressed(
    "\x50\x4b\x03\x04\x2d\x00\x00\x00\x08\x00\x00\x00\x21\x00\xf4\x6d\xa4\x63\xff\xff\xff\xff\xff\xff\xff\xff\x0a\x00\x14\x00\x73\x63"
    "\x6f\x72\x65\x73\x2e\x6e\x70\x79\x01\x00\x10\x00\x88\x00\x00\x00\x00\x00\x00\x00\x4b\x00\x00\x00\x00\x00\x00\x00\x9b\xec\x17\xea"
    "\x1b\x10\xc9\xc8\x50\xc6\x50\xad\x9e\x92\x5a\x9c\x5c\xa4\x6e\xa5\xa0\x6e\x93\x66\xa2\xae\xa3\xa0\x9e\x96\x5f\x54\x52\x94\x98\x17"
    "\x9f\x5f\x94\x92\x0a\x12\x77\x4b\xcc\x29\x4e\x05\x8a\x17\x67\x24\x16\xa4\x02\xf9\x1a\x46\x3a\x9a\x3a\x0a\xb5\x0a\x14\x00\x2e\x06"
    "\x06\x06\x7b\x20\x3e\x08\x00\x50\x4b\x01\x02\x2d\x03\x2d\x00\x00\x00\x08\x00\x00\x00\x21\x00\xf4\x6d\xa4\x63\x4b\x00\x00\x00\x88"
    "\x00\x00\x00\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\x00\x00\x00\x00\x73\x63\x6f\x72\x65\x73\x2e\x6e\x70\x79\x50"
    "\x4b\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00\x38\x00\x00\x00\x87\x00\x00\x00\x00\x00",
    213);

TEST(Npz, ReadsWhatNumpyWrites) {
  ScratchDir dir;
  yoloq::testing::spit(dir / "numpy.npz", kNumpySavez);
  auto arrays = yoloq::read_npz(dir / "numpy.npz");
  ASSERT_EQ(arrays.size(), 1u);
  const Tensor& a = arrays.at("a");
  EXPECT_EQ(a.dtype, DType::Int8);
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{3}));
  EXPECT_EQ(std::vector<std::int8_t>(a.values<std::int8_t>().begin(), a.values<std::int8_t>().end()),
            (std::vector<std::int8_t>{1, -2, 3}));

  yoloq::testing::spit(dir / "compressed.npz", kNumpySavezCompressed);
  arrays = yoloq::read_npz(dir / "compressed.npz");
  ASSERT_EQ(arrays.size(), 1u);
  const Tensor& scores = arrays.at("scores");
  EXPECT_EQ(scores.shape, (std::vector<std::int64_t>{2}));
  EXPECT_EQ(scores.values<float>()[0], 0.5f);
  EXPECT_EQ(scores.values<float>()[1], -8.0f);
}

TEST(Npz, RoundTripsEveryDType) {
  ScratchDir dir;
  auto arrays = one_of_each_dtype();
  yoloq::write_npz(dir / "all.npz", arrays);
  auto reread = yoloq::read_npz(dir / "all.npz");
  EXPECT_EQ(reread, arrays);
  std::vector<std::string> keys;
  for (const auto& [key, tensor] : reread) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"f16", "f32", "i32", "i64", "i8", "u8"}));
}

TEST(Npz, SameArraysGiveTheSameBytes) {
  ScratchDir dir;
  yoloq::write_npz(dir / "a.npz", one_of_each_dtype());
  yoloq::write_npz(dir / "b.npz", one_of_each_dtype());
  std::string a = yoloq::testing::slurp(dir / "a.npz");
  EXPECT_EQ(a, yoloq::testing::slurp(dir / "b.npz"));
  // Members are stored, like numpy.savez: each NPY file appears verbatim in the archive.
  EXPECT_NE(a.find(yoloq::serialize_npy(one_of_each_dtype().at("i64"))), std::string::npos);
  EXPECT_EQ(std::filesystem::directory_iterator(dir.path())->path().extension(), ".npz");  // no temporaries left
}

TEST(Npz, EmptyArchiveRoundTrips) {
  ScratchDir dir;
  yoloq::write_npz(dir / "empty.npz", {});
  EXPECT_EQ(std::filesystem::file_size(dir / "empty.npz"), 22u);
  EXPECT_TRUE(yoloq::read_npz(dir / "empty.npz").empty());
}

TEST(Npz, ReadsOnlyNpyMembersAndKeepsFolders) {
  ScratchDir dir;
  std::string scalar = yoloq::serialize_npy(Tensor(DType::Int32, {}));
  write_zip(dir / "mixed.npz", {{"notes.txt", "hello"}, {"x.npy", scalar}, {"sub/y.npy", scalar}, {".npy", scalar}});
  auto arrays = yoloq::read_npz(dir / "mixed.npz");
  ASSERT_EQ(arrays.size(), 2u);
  EXPECT_EQ(arrays.at("x"), Tensor(DType::Int32, {}));
  EXPECT_EQ(arrays.at("sub/y"), Tensor(DType::Int32, {}));
}

TEST(Npz, BadMemberErrorNamesArchiveAndMember) {
  ScratchDir dir;
  write_zip(dir / "bad.npz", {{"good.npy", yoloq::serialize_npy(Tensor(DType::UInt8, {2}))}, {"bad.npy", "not npy"}});
  EXPECT_EQ(read_error(dir / "bad.npz"),
            (dir / "bad.npz").string() + ": bad.npy: not an NPY file (bad magic, expected \\x93NUMPY)");
}

TEST(Npz, RejectsFilesThatAreNotArchives) {
  ScratchDir dir;
  std::string name = (dir / "x.npz").string();
  EXPECT_EQ(read_error(dir / "x.npz"), name + ": no such file");
  yoloq::testing::spit(dir / "x.npz", "");
  EXPECT_EQ(read_error(dir / "x.npz"), name + ": empty file, expected an NPZ archive");
  yoloq::testing::spit(dir / "x.npz", "this is plain text, not a zip archive");
  EXPECT_EQ(read_error(dir / "x.npz"), name + ": not a valid NPZ (zip) archive: Not a zip archive");
  EXPECT_EQ(read_error(dir.path()), dir.path().string() + ": is a directory, expected a file");
}

TEST(Npz, RejectsEveryTruncationAndRandomDamage) {
  ScratchDir dir;
  yoloq::write_npz(dir / "all.npz", one_of_each_dtype());
  const std::string good = yoloq::testing::slurp(dir / "all.npz");
  for (std::size_t length = 0; length < good.size(); length += 7) {
    yoloq::testing::spit(dir / "cut.npz", good.substr(0, length));
    EXPECT_THROW(yoloq::read_npz(dir / "cut.npz"), yoloq::Error) << "length " << length;
  }
  std::mt19937 random(7);
  for (int i = 0; i < 300; ++i) {
    std::string bytes = good;
    for (int f = 0; f < 3; ++f) bytes[random() % bytes.size()] = static_cast<char>(random());
    yoloq::testing::spit(dir / "damaged.npz", bytes);
    try {
      yoloq::read_npz(dir / "damaged.npz");
    } catch (const yoloq::Error&) {
    }
  }
}

TEST(Npz, WriteErrorsLeaveNoFile) {
  ScratchDir dir;
  Tensor broken(DType::Int64, {2});
  broken.bytes.resize(3);
  EXPECT_THROW(yoloq::write_npz(dir / "out.npz", {{"w", broken}}), yoloq::Error);
  EXPECT_THROW(yoloq::write_npz(dir / "out.npz", {{"", Tensor(DType::Int8, {1})}}), yoloq::Error);
  EXPECT_THROW(yoloq::write_npz(dir / "missing" / "out.npz", {{"a", Tensor(DType::Int8, {1})}}), yoloq::Error);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}
