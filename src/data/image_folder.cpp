#include "yoloq/data/image_folder.hpp"

#include <algorithm>
#include <set>
#include <string>

#include "yoloq/support/error.hpp"

namespace fs = std::filesystem;

namespace yoloq {

std::vector<fs::path> list_images(const fs::path& folder) {
  static const std::set<std::string> extensions{".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"};
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) throw Error(folder.string() + ": not a folder");
  std::vector<fs::path> images;
  for (auto it = fs::recursive_directory_iterator(folder, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string ext = it->path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (extensions.count(ext)) images.push_back(it->path());
  }
  if (ec) throw Error(folder.string() + ": cannot list: " + ec.message());
  std::sort(images.begin(), images.end());
  if (images.empty()) throw Error(folder.string() + ": no images (jpg, jpeg, png, bmp, tif, tiff, webp) in the folder");
  return images;
}

}  // namespace yoloq
