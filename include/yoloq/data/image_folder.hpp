#pragma once
// The image files of a folder, for calibration, eval and verify alike.
#include <filesystem>
#include <vector>

namespace yoloq {

// Image files (jpg, jpeg, png, bmp, tif, tiff, webp, any case) in `folder` and its subfolders,
// sorted by path. Throws Error when the folder is missing or holds no image.
std::vector<std::filesystem::path> list_images(const std::filesystem::path& folder);

}  // namespace yoloq
