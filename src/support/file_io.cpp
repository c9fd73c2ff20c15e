#include "yoloq/support/file_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "yoloq/support/error.hpp"
#include "yoloq/support/interrupt.hpp"

namespace fs = std::filesystem;

namespace yoloq {

std::string read_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(path.string() + ": no such file");
  if (fs::is_directory(path, ec)) throw Error(path.string() + ": is a directory, expected a file");
  // A device or a pipe could block or never end (/dev/zero); only regular files are read.
  if (!fs::is_regular_file(path, ec)) throw Error(path.string() + ": is not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error(path.string() + ": read failed");
  return std::move(ss).str();
}

void check_writable_output(const fs::path& path) {
  std::error_code ec;
  fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  if (!fs::is_directory(dir, ec)) throw Error(path.string() + ": output folder " + dir.string() + " does not exist");
  if (fs::is_directory(path, ec)) throw Error(path.string() + ": output path is a directory");
  // Renaming over /dev/full or a FIFO would replace the device or pipe with a regular file.
  if (fs::exists(fs::symlink_status(path, ec)) && !fs::is_regular_file(fs::symlink_status(path, ec)))
    throw Error(path.string() + ": output path exists and is not a regular file; yoloq writes regular files only");
  if (::access(dir.c_str(), W_OK) != 0) throw Error(path.string() + ": output folder " + dir.string() + " is not writable");
  // access() says yes to root everywhere, also on /proc or a read-only mount: create and remove
  // a probe file, so that the failure comes now and not after calibration.
  const fs::path probe = dir / (".yoloq-probe-" + std::to_string(::getpid()));
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno != EEXIST)
    throw Error(path.string() + ": output folder " + dir.string() + " is not writable: " + std::strerror(errno));
  if (fd >= 0) {
    ::close(fd);
    ::unlink(probe.c_str());
  }
}

void write_atomically(const fs::path& path, const std::function<void(const fs::path&)>& write) {
  check_writable_output(path);
  fs::path tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid());
  TempFileGuard guard(tmp);  // a second Ctrl-C unlinks it from the signal handler
  try {
    check_interrupted();
    write(tmp);
    check_interrupted();  // a signal during the write: the finished file is not renamed into place
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) throw Error(path.string() + ": cannot rename the finished file into place: " + ec.message());
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
}

void write_file_atomically(const fs::path& path, const std::string& bytes) {
  write_atomically(path, [&](const fs::path& tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(path.string() + ": cannot create: " + std::strerror(errno));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) throw Error(path.string() + ": write failed (disk full?)");
    out.close();
    if (!out) throw Error(path.string() + ": write failed (disk full?)");
  });
}

}  // namespace yoloq
