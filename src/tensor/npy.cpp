// NPY files: a magic string, a version, a Python dict literal describing dtype, order and shape,
// then the raw C-ordered bytes. The input may be anything (user files, fuzzers), so every length
// is checked against the bytes that are actually there before it is used.
#include "yoloq/tensor/npy.hpp"

#include <bit>
#include <cstring>
#include <optional>
#include <string_view>

#include "yoloq/support/error.hpp"
#include "yoloq/support/file_io.hpp"

namespace yoloq {

static_assert(std::endian::native == std::endian::little,
              "NPY data is read without byte swapping, which needs a little-endian host");

namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr std::size_t kAlignment = 64;  // numpy pads the header so the data starts 64-byte aligned

// Text taken from a file may hold anything; errors are one line, so show it tamed and short.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > 40) out += "...";
  return out;
}

struct DTypeCode {
  DType dtype;
  std::string_view kind_and_size;  // numpy's descr without the byte-order character
};
constexpr DTypeCode kDTypeCodes[] = {
    {DType::Float32, "f4"}, {DType::Float16, "f2"}, {DType::UInt8, "u1"},
    {DType::Int8, "i1"},    {DType::Int32, "i4"},   {DType::Int64, "i8"},
};

std::string descr_of(DType dtype) {
  for (const auto& code : kDTypeCodes)
    if (code.dtype == dtype) {
      std::string descr(1, dtype_size(dtype) == 1 ? '|' : '<');
      return descr.append(code.kind_and_size);
    }
  throw Error("NPY: no descr for dtype " + dtype_name(dtype));
}

DType dtype_from_descr(const std::string& descr, const std::string& what) {
  auto unsupported = [&](const std::string& why) {
    return Error(what + ": unsupported dtype '" + printable(descr) + "'" + why);
  };
  if (descr.size() < 2) throw unsupported("");
  char order = descr[0];
  const DTypeCode* found = nullptr;
  for (const auto& code : kDTypeCodes)
    if (std::string_view(descr).substr(1) == code.kind_and_size) found = &code;
  if (std::string_view("<>|=").find(order) == std::string_view::npos || !found)
    throw unsupported(" (supported: <f4, <f2, |u1, |i1, <i4, <i8)");
  // Byte order only matters for multi-byte types; '=' is native, which is little-endian here.
  bool multi_byte = dtype_size(found->dtype) > 1;
  if (multi_byte && order == '>')
    throw unsupported(": big-endian data is not supported, convert with array.astype('<" +
                      std::string(found->kind_and_size) + "')");
  if (multi_byte && order == '|') throw unsupported(": a multi-byte type needs a byte order");
  return found->dtype;
}

// The values an NPY header dict holds: a string (descr), a bool (fortran_order), a tuple of
// non-negative ints (shape).
struct HeaderValue {
  std::optional<std::string> text;
  std::optional<bool> flag;
  std::optional<std::vector<std::int64_t>> ints;
};

// A parser for exactly the Python literal subset numpy writes, so that any other byte sequence
// is rejected with a message instead of being half-understood.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& what) : text_(text), what_(what) {}

  std::vector<std::pair<std::string, HeaderValue>> parse_dict() {
    std::vector<std::pair<std::string, HeaderValue>> entries;
    expect('{');
    while (!consume('}')) {
      std::string key = parse_string();
      expect(':');
      entries.emplace_back(key, parse_value());
      if (!consume(',')) {
        expect('}');
        break;
      }
    }
    skip_space();  // numpy pads with spaces and ends with '\n'
    if (pos_ != text_.size()) fail("unexpected text after the closing '}'");
    return entries;
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw Error(what_ + ": malformed NPY header: " + message + " at character " + std::to_string(pos_));
  }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\t' || text_[pos_] == '\r'))
      ++pos_;
  }
  bool consume(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!consume(c)) fail(std::string("expected '") + c + "'");
  }
  bool consume_word(std::string_view word) {
    skip_space();
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  std::string parse_string() {
    skip_space();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) fail("expected a quoted string");
    char quote = text_[pos_++];
    std::size_t end = text_.find(quote, pos_);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string s(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }
  std::int64_t parse_dimension() {
    skip_space();
    std::size_t start = pos_;
    std::int64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (value > (INT64_MAX - 9) / 10) fail("shape dimension too large");
      value = value * 10 + (text_[pos_++] - '0');
    }
    if (pos_ == start) fail("expected a non-negative integer in the shape");
    if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;  // Python 2 long literals
    return value;
  }
  std::vector<std::int64_t> parse_shape() {
    std::vector<std::int64_t> dims;
    while (!consume(')')) {
      dims.push_back(parse_dimension());
      if (!consume(',')) {
        expect(')');
        break;
      }
    }
    return dims;
  }
  HeaderValue parse_value() {
    HeaderValue value;
    skip_space();
    if (consume('(')) value.ints = parse_shape();
    else if (consume_word("True")) value.flag = true;
    else if (consume_word("False")) value.flag = false;
    else if (pos_ < text_.size() && (text_[pos_] == '\'' || text_[pos_] == '"')) value.text = parse_string();
    else fail("expected a string, True, False or a tuple");
    return value;
  }

  std::string_view text_;
  const std::string& what_;
  std::size_t pos_ = 0;
};

struct NpyHeader {
  DType dtype;
  std::vector<std::int64_t> shape;
};

NpyHeader interpret_header(std::string_view text, const std::string& what) {
  std::optional<std::string> descr;
  std::optional<bool> fortran_order;
  std::optional<std::vector<std::int64_t>> shape;
  for (auto& [key, value] : HeaderParser(text, what).parse_dict()) {
    if (key == "descr" && value.text) descr = value.text;
    else if (key == "fortran_order" && value.flag) fortran_order = value.flag;
    else if (key == "shape" && value.ints) shape = value.ints;
    else throw Error(what + ": NPY header has an unexpected or mistyped entry '" + printable(key) + "'");
  }
  if (!descr || !fortran_order || !shape)
    throw Error(what + ": NPY header lacks " + std::string(!descr ? "'descr'" : !fortran_order ? "'fortran_order'" : "'shape'"));
  if (*fortran_order)
    throw Error(what + ": Fortran-ordered arrays are not supported; save with numpy.ascontiguousarray");
  return {dtype_from_descr(*descr, what), std::move(*shape)};
}

std::uint32_t read_le(const unsigned char* p, int bytes) {
  std::uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// nullopt when the byte count does not fit in 64 bits.
std::optional<std::uint64_t> bytes_for(const std::vector<std::int64_t>& shape, DType dtype) {
  std::uint64_t n = dtype_size(dtype);
  for (auto d : shape)
    if (d == 0) return 0;
  for (auto d : shape)
    if (__builtin_mul_overflow(n, static_cast<std::uint64_t>(d), &n)) return std::nullopt;
  return n;
}

std::string header_dict(const Tensor& tensor) {
  std::string shape;
  for (std::size_t i = 0; i < tensor.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(tensor.shape[i]);
  if (tensor.shape.size() == 1) shape += ",";  // Python's one-element tuple
  return "{'descr': '" + descr_of(tensor.dtype) + "', 'fortran_order': False, 'shape': (" + shape + "), }";
}

}  // namespace

Tensor parse_npy(const void* data, std::size_t size, const std::string& what) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  if (size < kMagic.size() + 2 || std::memcmp(bytes, kMagic.data(), kMagic.size()) != 0)
    throw Error(what + ": not an NPY file (bad magic, expected \\x93NUMPY)");
  int major = bytes[6], minor = bytes[7];
  if (major < 1 || major > 3 || minor != 0)
    throw Error(what + ": unsupported NPY version " + std::to_string(major) + "." + std::to_string(minor) +
                " (supported: 1.0, 2.0, 3.0)");
  int length_bytes = major == 1 ? 2 : 4;
  std::size_t header_start = kMagic.size() + 2 + length_bytes;
  if (size < header_start) throw Error(what + ": truncated NPY file (" + std::to_string(size) + " bytes)");
  std::uint64_t header_length = read_le(bytes + 8, length_bytes);
  if (header_length > size - header_start)
    throw Error(what + ": NPY header length " + std::to_string(header_length) + " runs past the end of the file (" +
                std::to_string(size) + " bytes)");
  std::string_view header_text(reinterpret_cast<const char*>(bytes) + header_start, header_length);
  NpyHeader header = interpret_header(header_text, what);

  std::size_t data_start = header_start + header_length;
  std::uint64_t data_size = size - data_start;
  auto needed = bytes_for(header.shape, header.dtype);
  if (!needed || *needed != data_size)
    throw Error(what + ": shape " + shape_string(header.shape) + " of " + dtype_name(header.dtype) + " needs " +
                (needed ? std::to_string(*needed) : std::string("more than 2^64")) + " bytes, file has " +
                std::to_string(data_size));
  Tensor tensor;
  tensor.dtype = header.dtype;
  tensor.shape = std::move(header.shape);
  tensor.bytes.resize(data_size);
  if (data_size) std::memcpy(tensor.bytes.data(), bytes + data_start, data_size);
  return tensor;
}

std::string serialize_npy(const Tensor& tensor) {
  auto needed = bytes_for(tensor.shape, tensor.dtype);
  if (!needed || *needed != tensor.bytes.size())
    throw Error("NPY: tensor of shape " + shape_string(tensor.shape) + " (" + dtype_name(tensor.dtype) + ") holds " +
                std::to_string(tensor.bytes.size()) + " bytes, which does not match its shape");
  std::string dict = header_dict(tensor);
  // Version 1.0 stores the header length in 2 bytes; 2.0 (same dict, 4-byte length) beyond that.
  std::size_t prefix = kMagic.size() + 2 + 2;
  std::size_t padded = (prefix + dict.size() + 1 + kAlignment - 1) / kAlignment * kAlignment;
  if (padded - prefix > 0xFFFF) {
    prefix += 2;
    padded = (prefix + dict.size() + 1 + kAlignment - 1) / kAlignment * kAlignment;
  }
  std::size_t header_length = padded - prefix;
  dict.append(header_length - dict.size() - 1, ' ');
  dict += '\n';

  std::string out(kMagic);
  out += static_cast<char>(prefix == 10 ? 1 : 2);
  out += '\0';
  for (std::size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((header_length >> (8 * i)) & 0xFF);
  out += dict;
  out.append(reinterpret_cast<const char*>(tensor.bytes.data()), tensor.bytes.size());
  return out;
}

Tensor read_npy(const std::filesystem::path& path) {
  std::string bytes = read_file(path);
  return parse_npy(bytes.data(), bytes.size(), path.string());
}

void write_npy(const std::filesystem::path& path, const Tensor& tensor) {
  std::string bytes;
  try {
    bytes = serialize_npy(tensor);
  } catch (const Error& e) {
    throw Error(path.string() + ": " + e.what());
  }
  write_file_atomically(path, bytes);
}

}  // namespace yoloq
