// NPZ files: a zip archive of NPY files, one per array, named "<key>.npy" (numpy.savez).
#include <zip.h>

#include <memory>

#include "yoloq/support/error.hpp"
#include "yoloq/support/file_io.hpp"
#include "yoloq/tensor/npy.hpp"

namespace fs = std::filesystem;

namespace yoloq {

namespace {

constexpr std::string_view kNpySuffix = ".npy";

struct ZipDiscard {
  void operator()(zip_t* zip) const { zip_discard(zip); }
};
using ZipHandle = std::unique_ptr<zip_t, ZipDiscard>;

struct ZipFileClose {
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};

std::string zip_error_message(zip_error_t& error) {
  std::string message = zip_error_strerror(&error);
  zip_error_fini(&error);
  return message;
}

// The archive is read from memory, so that a damaged file can only make libzip fail, never
// make it read past what the file holds.
ZipHandle open_archive(const std::string& bytes, const std::string& what) {
  if (bytes.empty()) throw Error(what + ": empty file, expected an NPZ archive");
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (!source) throw Error(what + ": cannot read: " + zip_error_message(error));
  zip_t* zip = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
  if (!zip) {
    zip_source_free(source);
    throw Error(what + ": not a valid NPZ (zip) archive: " + zip_error_message(error));
  }
  zip_error_fini(&error);
  return ZipHandle(zip);
}

// Reads in chunks rather than trusting the size the archive declares, so a forged size cannot
// make us allocate more than the member really decompresses to.
std::string read_member(zip_t* zip, zip_uint64_t index, const std::string& what) {
  std::unique_ptr<zip_file_t, ZipFileClose> file(zip_fopen_index(zip, index, 0));
  if (!file) throw Error(what + ": cannot open: " + zip_strerror(zip));
  std::string data;
  char chunk[1 << 16];
  zip_int64_t got;
  while ((got = zip_fread(file.get(), chunk, sizeof chunk)) > 0) data.append(chunk, static_cast<std::size_t>(got));
  if (got < 0) throw Error(what + ": cannot decompress: " + zip_file_strerror(file.get()));
  return data;
}

}  // namespace

std::map<std::string, Tensor> read_npz(const fs::path& path) {
  std::string what = path.string();
  std::string bytes = read_file(path);
  ZipHandle zip = open_archive(bytes, what);
  std::map<std::string, Tensor> arrays;
  zip_int64_t entries = zip_get_num_entries(zip.get(), 0);
  for (zip_int64_t i = 0; i < entries; ++i) {
    const char* raw_name = zip_get_name(zip.get(), static_cast<zip_uint64_t>(i), 0);
    if (!raw_name) throw Error(what + ": cannot read member " + std::to_string(i) + ": " + zip_strerror(zip.get()));
    std::string name = raw_name;
    if (name.size() <= kNpySuffix.size() || !name.ends_with(kNpySuffix)) continue;
    std::string key = name.substr(0, name.size() - kNpySuffix.size());
    std::string member = what + ": " + name;
    std::string data = read_member(zip.get(), static_cast<zip_uint64_t>(i), member);
    if (arrays.count(key)) throw Error(member + ": the archive holds two arrays named '" + key + "'");
    arrays.emplace(key, parse_npy(data.data(), data.size(), member));
  }
  return arrays;
}

void write_npz(const fs::path& path, const std::map<std::string, Tensor>& arrays) {
  std::string what = path.string();
  // Serialize everything first: libzip only reads the buffers when the archive is closed.
  std::vector<std::pair<std::string, std::string>> members;
  for (const auto& [key, tensor] : arrays) {
    if (key.empty()) throw Error(what + ": an array name is empty");
    try {
      members.emplace_back(key + std::string(kNpySuffix), serialize_npy(tensor));
    } catch (const Error& e) {
      throw Error(what + ": array '" + key + "': " + e.what());
    }
  }
  if (members.empty()) {
    // libzip writes no file at all for an empty archive; this is the 22-byte empty zip.
    write_file_atomically(path, std::string("PK\x05\x06", 4) + std::string(18, '\0'));
    return;
  }
  write_atomically(path, [&](const fs::path& tmp) {
    int code = 0;
    ZipHandle zip(zip_open(tmp.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code));
    if (!zip) {
      zip_error_t error;
      zip_error_init_with_code(&error, code);
      throw Error(what + ": cannot create: " + zip_error_message(error));
    }
    for (const auto& [name, bytes] : members) {
      zip_source_t* source = zip_source_buffer(zip.get(), bytes.data(), bytes.size(), 0);
      if (!source) throw Error(what + ": " + zip_strerror(zip.get()));
      zip_int64_t index = zip_file_add(zip.get(), name.c_str(), source, ZIP_FL_ENC_UTF_8);
      if (index < 0) {
        zip_source_free(source);
        throw Error(what + ": cannot add " + name + ": " + zip_strerror(zip.get()));
      }
      // Stored like numpy.savez, with a fixed time (1980-01-01 00:00) so that the same arrays
      // always give the same bytes.
      auto at = static_cast<zip_uint64_t>(index);
      if (zip_set_file_compression(zip.get(), at, ZIP_CM_STORE, 0) != 0 ||
          zip_file_set_dostime(zip.get(), at, 0, (0 << 9) | (1 << 5) | 1, 0) != 0)
        throw Error(what + ": cannot set up " + name + ": " + zip_strerror(zip.get()));
    }
    if (zip_close(zip.get()) != 0) throw Error(what + ": cannot write: " + zip_strerror(zip.get()));
    zip.release();  // zip_close freed it
  });
}

}  // namespace yoloq
