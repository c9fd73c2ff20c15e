#include "yoloq/tensor/npy.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "test_support.hpp"
#include "yoloq/support/error.hpp"

using namespace std::string_literals;
using yoloq::DType;
using yoloq::Tensor;
using yoloq::testing::ScratchDir;

namespace {

constexpr DType kAllDTypes[] = {DType::Float32, DType::Float16, DType::UInt8, DType::Int8, DType::Int32, DType::Int64};

// A tensor whose bytes are a fixed, non-trivial pattern, so that any byte moved or lost shows.
Tensor patterned(DType dtype, std::vector<std::int64_t> shape) {
  Tensor t(dtype, std::move(shape));
  for (std::size_t i = 0; i < t.bytes.size(); ++i) t.bytes[i] = static_cast<std::byte>((i * 37 + 11) & 0xFF);
  return t;
}

Tensor parse(const std::string& bytes, const std::string& what = "x.npy") {
  return yoloq::parse_npy(bytes.data(), bytes.size(), what);
}

std::string error_of(const std::string& bytes, const std::string& what = "x.npy") {
  return yoloq::testing::error_message([&] { parse(bytes, what); });
}

// An NPY v1.0 file with the given header dict and payload; the length is computed, the rest is
// what the test gives.
std::string npy_v1(const std::string& dict, const std::string& payload) {
  std::string header = dict + "\n";
  std::string out = "\x93NUMPY\x01\x00"s;
  out += static_cast<char>(header.size() & 0xFF);
  out += static_cast<char>(header.size() >> 8);
  return out + header + payload;
}

// Written by numpy 1.x: np.save(f, np.array([1.0, -2.0], dtype='<f4')).
const std::string kFixtureV1 =
    "\x93NUMPY\x01\x00v\x00"s
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
    "                                                            \n"
    "\x00\x00\x80?\x00\x00\x00\xc0"s;

// Version 2.0 (4-byte header length): np.array([[1, -1]], dtype='<i8').
const std::string kFixtureV2 =
    "\x93NUMPY\x02\x00t\x00\x00\x00"s
    "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 2), }"
    "                                                        \n"
    "\x01\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff"s;

// Version 3.0 (UTF-8 header, otherwise as 2.0), double quotes, a 0-d uint8 array holding 200.
const std::string kFixtureV3 =
    "\x93NUMPY\x03\x00\x38\x00\x00\x00"s
    "{\"descr\": \"|u1\", \"fortran_order\": False, \"shape\": (), }\n"
    "\xc8"s;

}  // namespace

TEST(Npy, RoundTripsEveryDTypeBitIdentically) {
  ScratchDir dir;
  for (DType dtype : kAllDTypes) {
    SCOPED_TRACE(yoloq::dtype_name(dtype));
    Tensor original = patterned(dtype, {2, 3, 5});
    std::string bytes = yoloq::serialize_npy(original);
    EXPECT_EQ(bytes.size() % 64, (original.bytes.size()) % 64);  // header padded to 64 bytes
    EXPECT_EQ(bytes.substr(0, 8), "\x93NUMPY\x01\x00"s);
    EXPECT_EQ(parse(bytes), original);

    auto path = dir / (yoloq::dtype_name(dtype) + ".npy");
    yoloq::write_npy(path, original);
    EXPECT_EQ(yoloq::testing::slurp(path), bytes);
    Tensor reread = yoloq::read_npy(path);
    EXPECT_EQ(reread, original);
    EXPECT_EQ(yoloq::serialize_npy(reread), bytes);
  }
}

TEST(Npy, WritesTheHeaderNumpyWrites) {
  Tensor t = patterned(DType::Float32, {2, 3});
  std::string bytes = yoloq::serialize_npy(t);
  ASSERT_EQ(bytes.size(), 128u + 24u);
  EXPECT_EQ(bytes.substr(0, 10), "\x93NUMPY\x01\x00\x76\x00"s);
  EXPECT_EQ(bytes.substr(10, 118),
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + std::string(58, ' ') + "\n");
  EXPECT_EQ(bytes.substr(128), std::string(reinterpret_cast<const char*>(t.bytes.data()), 24));
  EXPECT_EQ(yoloq::serialize_npy(Tensor(DType::Int8, {7})).substr(10, 57),
            "{'descr': '|i1', 'fortran_order': False, 'shape': (7,), }");
  EXPECT_EQ(yoloq::serialize_npy(Tensor(DType::UInt8, {})).substr(10, 55),
            "{'descr': '|u1', 'fortran_order': False, 'shape': (), }");
}

TEST(Npy, RoundTripsScalarsAndEmptyArrays) {
  for (auto shape : {std::vector<std::int64_t>{}, {0}, {4, 0, 3}}) {
    Tensor t = patterned(DType::Int32, shape);
    EXPECT_EQ(parse(yoloq::serialize_npy(t)), t) << yoloq::shape_string(shape);
  }
  EXPECT_EQ(parse(yoloq::serialize_npy(Tensor(DType::Int32, {}))).bytes.size(), 4u);
}

TEST(Npy, HeaderOver64KiBUsesVersion2) {
  Tensor t(DType::UInt8, std::vector<std::int64_t>(25000, 1));
  t.bytes[0] = std::byte{42};
  std::string bytes = yoloq::serialize_npy(t);
  EXPECT_EQ(bytes.substr(0, 8), "\x93NUMPY\x02\x00"s);
  std::uint32_t header_length = 0;
  std::memcpy(&header_length, bytes.data() + 8, 4);
  EXPECT_EQ(12 + header_length + 1, bytes.size());
  EXPECT_EQ((12 + header_length) % 64, 0u);
  EXPECT_EQ(parse(bytes), t);
}

TEST(Npy, ReadsVersion1Fixture) {
  ASSERT_EQ(kFixtureV1.size(), 136u);
  Tensor t = parse(kFixtureV1);
  EXPECT_EQ(t.dtype, DType::Float32);
  EXPECT_EQ(t.shape, (std::vector<std::int64_t>{2}));
  EXPECT_EQ(std::vector<float>(t.values<float>().begin(), t.values<float>().end()), (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(yoloq::serialize_npy(t).substr(10), kFixtureV1.substr(10));  // same padding as numpy for this header
}

TEST(Npy, ReadsVersion2Fixture) {
  ASSERT_EQ(kFixtureV2.size(), 144u);
  Tensor t = parse(kFixtureV2);
  EXPECT_EQ(t.dtype, DType::Int64);
  EXPECT_EQ(t.shape, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(std::vector<std::int64_t>(t.values<std::int64_t>().begin(), t.values<std::int64_t>().end()),
            (std::vector<std::int64_t>{1, -1}));
}

TEST(Npy, ReadsVersion3Fixture) {
  Tensor t = parse(kFixtureV3);
  EXPECT_EQ(t.dtype, DType::UInt8);
  EXPECT_TRUE(t.shape.empty());
  EXPECT_EQ(t.values<std::uint8_t>()[0], 200);
}

TEST(Npy, AcceptsEveryUnambiguousByteOrder) {
  EXPECT_EQ(parse(npy_v1("{'descr': '=f4', 'fortran_order': False, 'shape': (1,), }", "\x00\x00\x80?"s)).dtype,
            DType::Float32);
  EXPECT_EQ(parse(npy_v1("{'descr': '<u1', 'fortran_order': False, 'shape': (1,), }", "a")).dtype, DType::UInt8);
  EXPECT_EQ(parse(npy_v1("{'descr':'|i1','fortran_order':False,'shape':(1L,)}", "a")).dtype, DType::Int8);
  EXPECT_EQ(parse(npy_v1("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", "\x00\x3c"s)).bytes,
            (std::vector<std::byte>{std::byte{0x00}, std::byte{0x3c}}));
}

TEST(Npy, RejectsBadMagic) {
  std::string bytes = kFixtureV1;
  bytes[1] = 'M';
  EXPECT_EQ(error_of(bytes), "x.npy: not an NPY file (bad magic, expected \\x93NUMPY)");
  EXPECT_EQ(error_of("PK\x03\x04 this is a zip"), "x.npy: not an NPY file (bad magic, expected \\x93NUMPY)");
  EXPECT_EQ(error_of(""), "x.npy: not an NPY file (bad magic, expected \\x93NUMPY)");
}

TEST(Npy, RejectsUnknownVersion) {
  std::string bytes = kFixtureV1;
  bytes[6] = 4;
  EXPECT_EQ(error_of(bytes), "x.npy: unsupported NPY version 4.0 (supported: 1.0, 2.0, 3.0)");
}

TEST(Npy, RejectsUnknownDType) {
  EXPECT_EQ(error_of(npy_v1("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", "12345678"), "calib.npy"),
            "calib.npy: unsupported dtype '<c8' (supported: <f4, <f2, |u1, |i1, <i4, <i8)");
  EXPECT_EQ(error_of(npy_v1("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", "12345678")),
            "x.npy: unsupported dtype '<f8' (supported: <f4, <f2, |u1, |i1, <i4, <i8)");
  EXPECT_EQ(error_of(npy_v1("{'descr': 'f', 'fortran_order': False, 'shape': (1,), }", "1234")),
            "x.npy: unsupported dtype 'f'");
  EXPECT_EQ(error_of(npy_v1("{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }", "1234")),
            "x.npy: unsupported dtype '|f4': a multi-byte type needs a byte order");
}

TEST(Npy, RejectsBigEndian) {
  EXPECT_EQ(error_of(npy_v1("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", "1234")),
            "x.npy: unsupported dtype '>f4': big-endian data is not supported, convert with array.astype('<f4')");
}

TEST(Npy, RejectsShapeThatDoesNotMatchTheData) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  EXPECT_EQ(error_of(npy_v1(dict, std::string(20, 'a'))), "x.npy: shape 2x3 of float32 needs 24 bytes, file has 20");
  EXPECT_EQ(error_of(npy_v1(dict, std::string(28, 'a'))), "x.npy: shape 2x3 of float32 needs 24 bytes, file has 28");
  EXPECT_EQ(error_of(npy_v1("{'descr': '<i8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", "")),
            "x.npy: shape 4294967296x4294967296 of int64 needs more than 2^64 bytes, file has 0");
}

TEST(Npy, RejectsFortranOrder) {
  EXPECT_EQ(error_of(npy_v1("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", std::string(16, 'a'))),
            "x.npy: Fortran-ordered arrays are not supported; save with numpy.ascontiguousarray");
}

TEST(Npy, RejectsEveryTruncation) {
  for (const std::string& file : {kFixtureV1, kFixtureV2, kFixtureV3}) {
    for (std::size_t length = 0; length < file.size(); ++length)
      EXPECT_THROW(parse(file.substr(0, length)), yoloq::Error) << "length " << length;
  }
  EXPECT_EQ(error_of(kFixtureV1.substr(0, 9)), "x.npy: truncated NPY file (9 bytes)");
  EXPECT_EQ(error_of(kFixtureV1.substr(0, 100)), "x.npy: NPY header length 118 runs past the end of the file (100 bytes)");
  EXPECT_EQ(error_of(kFixtureV1.substr(0, 130)), "x.npy: shape 2 of float32 needs 8 bytes, file has 2");
}

TEST(Npy, RejectsMalformedHeaders) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "x.npy: malformed NPY header: expected '{' at character 1"},
      {"{'descr': '<f4'", "x.npy: malformed NPY header: expected '}' at character 16"},
      {"{'descr: '<f4'}", "x.npy: malformed NPY header: expected ':' at character 10"},
      {"{'descr': '<f4, }", "x.npy: malformed NPY header: unterminated string at character 11"},
      {"{'descr': '<f4', 'fortran_order': False}", "x.npy: NPY header lacks 'shape'"},
      {"{'fortran_order': False, 'shape': ()}", "x.npy: NPY header lacks 'descr'"},
      {"{'descr': '<f4', 'shape': ()}", "x.npy: NPY header lacks 'fortran_order'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }",
       "x.npy: malformed NPY header: expected a non-negative integer in the shape at character 51"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }",
       "x.npy: malformed NPY header: shape dimension too large at character 69"},
      {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (), }",
       "x.npy: malformed NPY header: expected a string, True, False or a tuple at character 10"},
      {"{'descr': '<f4', 'fortran_order': 0, 'shape': (), }",
       "x.npy: malformed NPY header: expected a string, True, False or a tuple at character 34"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (), 'extra': 1}",
       "x.npy: malformed NPY header: expected a string, True, False or a tuple at character 63"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (), 'extra': True}",
       "x.npy: NPY header has an unexpected or mistyped entry 'extra'"},
      {"{'descr': (1,), 'fortran_order': False, 'shape': ()}",
       "x.npy: NPY header has an unexpected or mistyped entry 'descr'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': ()} x",
       "x.npy: malformed NPY header: unexpected text after the closing '}' at character 54"},
  };
  for (const auto& [dict, message] : cases) EXPECT_EQ(error_of(npy_v1(dict, "1234")), message) << dict;
}

// Not a substitute for the fuzzer, but every build checks that random damage to a valid file
// gives an Error and nothing worse.
TEST(Npy, SurvivesRandomDamage) {
  std::mt19937 random(12345);
  int parsed = 0, rejected = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string bytes = kFixtureV1;
    int flips = 1 + static_cast<int>(random() % 4);
    for (int f = 0; f < flips; ++f) bytes[random() % bytes.size()] = static_cast<char>(random());
    try {
      parse(bytes);
      ++parsed;
    } catch (const yoloq::Error&) {
      ++rejected;
    }
  }
  EXPECT_EQ(parsed + rejected, 5000);
  EXPECT_GT(rejected, 0);
  EXPECT_GT(parsed, 0);  // damage to the payload or padding alone is not detectable
}

TEST(Npy, FileErrorsNameTheFile) {
  ScratchDir dir;
  try {
    yoloq::read_npy(dir / "missing.npy");
    FAIL();
  } catch (const yoloq::Error& e) {
    EXPECT_EQ(std::string(e.what()), (dir / "missing.npy").string() + ": no such file");
  }
  yoloq::testing::spit(dir / "bad.npy", "\x93NUMPY\x01\x00\x02\x00{}"s);
  try {
    yoloq::read_npy(dir / "bad.npy");
    FAIL();
  } catch (const yoloq::Error& e) {
    EXPECT_EQ(std::string(e.what()), (dir / "bad.npy").string() + ": NPY header lacks 'descr'");
  }
}

TEST(Npy, WriteRefusesAnInconsistentTensorAndLeavesNoFile) {
  ScratchDir dir;
  Tensor t(DType::Float32, {2, 3});
  t.bytes.resize(20);
  try {
    yoloq::write_npy(dir / "out.npy", t);
    FAIL();
  } catch (const yoloq::Error& e) {
    EXPECT_EQ(std::string(e.what()),
              (dir / "out.npy").string() + ": NPY: tensor of shape 2x3 (float32) holds 20 bytes, which does not match its shape");
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}
