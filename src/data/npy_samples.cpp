// Samples from a .npy array [N, ...] for a single-input model. Only the header is parsed up front;
// each sample is read from its offset when its batch is built, so a calibration file of many
// gigabytes needs one batch of memory.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <regex>

#include "data/source_internal.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq {

namespace {

struct NpyLayout {
  std::string descr;
  bool fortran_order = false;
  std::vector<std::int64_t> shape;
  std::uint64_t data_offset = 0;
};

class FileHandle {
 public:
  explicit FileHandle(const std::filesystem::path& path)
      : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw Error(path.string() + ": cannot open: " + std::strerror(errno));
  }
  ~FileHandle() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  // Reads exactly `size` bytes at `offset`; false at a premature end of file.
  bool read_at(void* data, std::size_t size, std::uint64_t offset) const {
    auto* p = static_cast<char*>(data);
    while (size > 0) {
      const ssize_t n = ::pread(fd_, p, size, static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      p += n;
      size -= static_cast<std::size_t>(n);
      offset += static_cast<std::uint64_t>(n);
    }
    return true;
  }

 private:
  int fd_;
};

NpyLayout read_layout(const FileHandle& file, const std::string& what) {
  unsigned char prefix[12];
  if (!file.read_at(prefix, 10, 0) || std::memcmp(prefix, "\x93NUMPY", 6) != 0)
    throw Error(what + ": not a .npy file (no \\x93NUMPY magic)");
  const int major = prefix[6];
  std::uint64_t header_len = 0, header_start = 10;
  if (major == 1) {
    header_len = prefix[8] | (prefix[9] << 8);
  } else if (major == 2 || major == 3) {
    if (!file.read_at(prefix, 12, 0)) throw Error(what + ": truncated .npy header");
    header_len =
        prefix[8] | (prefix[9] << 8) | (prefix[10] << 16) | (std::uint64_t{prefix[11]} << 24);
    header_start = 12;
  } else {
    throw Error(what + ": unsupported .npy version " + std::to_string(major));
  }
  if (header_len > (1u << 20)) throw Error(what + ": corrupt .npy header length");
  std::string header(header_len, '\0');
  if (!file.read_at(header.data(), header_len, header_start))
    throw Error(what + ": truncated .npy header");
  NpyLayout layout;
  std::smatch m;
  if (!std::regex_search(header, m, std::regex(R"('descr'\s*:\s*'([^']*)')")))
    throw Error(what + ": corrupt .npy header (no 'descr')");
  layout.descr = m[1];
  layout.fortran_order = std::regex_search(header, std::regex(R"('fortran_order'\s*:\s*True)"));
  if (!std::regex_search(header, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))")))
    throw Error(what + ": corrupt .npy header (no 'shape')");
  const std::string dims = m[1];
  static const std::regex number(R"(\d+)");
  for (std::sregex_iterator it(dims.begin(), dims.end(), number), end; it != end; ++it) {
    std::int64_t d = 0;
    const std::string text = it->str();
    auto [last, error] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (error != std::errc() || last != text.data() + text.size())
      throw Error(what + ": corrupt .npy header (dimension " + text + " is out of range)");
    layout.shape.push_back(d);
  }
  layout.data_offset = header_start + header_len;
  return layout;
}

class NpySamples : public SampleProvider {
 public:
  NpySamples(const std::filesystem::path& path, std::vector<ResolvedInput>& inputs)
      : what_(path.string()), file_(path) {
    if (inputs.size() != 1)
      throw Error(what_ + ": a .npy file feeds a single-input model, this one has " +
                  std::to_string(inputs.size()) + " inputs; give a .npz keyed by input name");
    const auto layout = read_layout(file_, what_);
    if (layout.descr != "<f4" && layout.descr != "=f4")
      throw Error(what_ + ": calibration data must be little-endian float32 ('<f4'), got '" +
                  layout.descr + "'");
    if (layout.fortran_order)
      throw Error(what_ + ": Fortran-ordered arrays are not supported; save in C order");
    auto& in = inputs.front();
    if (!in.accepts(layout.shape)) {
      throw Error(what_ + ": shape " + shape_string(layout.shape) +
                  " does not match the model input '" + in.name + "' (expected " + in.data_shape() +
                  ")");
    }
    in.adopt_data_sizes(layout.shape);
    count_ = static_cast<std::size_t>(layout.shape[0]);
    sample_bytes_ = in.sample_size() * sizeof(float);
    data_offset_ = layout.data_offset;
    const auto file_size = std::filesystem::file_size(path);
    std::uint64_t data_bytes = 0;  // a forged count must not wrap the size check around
    if (__builtin_mul_overflow(std::uint64_t{count_}, std::uint64_t{sample_bytes_}, &data_bytes) ||
        file_size < data_offset_ || file_size - data_offset_ < data_bytes)
      throw Error(what_ + ": truncated: the header promises " + shape_string(layout.shape) + " float32 but the file has " +
                  std::to_string(file_size) + " bytes");
  }

  std::size_t size() const override { return count_; }
  bool fill(std::size_t index, const std::vector<float*>& destinations) override {
    if (!file_.read_at(destinations[0], sample_bytes_, data_offset_ + index * sample_bytes_))
      throw Error(what_ + ": read failed at sample " + std::to_string(index));
    return true;
  }
  std::string what() const override { return what_; }

 private:
  std::string what_;
  FileHandle file_;
  std::size_t count_ = 0, sample_bytes_ = 0;
  std::uint64_t data_offset_ = 0;
};

}  // namespace

std::shared_ptr<SampleProvider> make_npy_samples(const std::filesystem::path& path, std::vector<ResolvedInput>& inputs) {
  return std::make_shared<NpySamples>(path, inputs);
}

}  // namespace yoloq
