// The class subfolders of a classify dataset and which class each holds.
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "yoloq/data/image_folder.hpp"
#include "yoloq/eval/classify.hpp"
#include "yoloq/support/error.hpp"

namespace fs = std::filesystem;

namespace yoloq {

namespace {

// The class a subfolder name stands for: a class name first, else a class index; -1 for neither.
int class_of_folder(const std::string& name, const std::vector<std::string>& names, std::int64_t num_classes) {
  const auto it = std::find(names.begin(), names.end(), name);
  if (it != names.end()) return static_cast<int>(it - names.begin());
  if (name.empty() || !std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isdigit(c); }) ||
      name.size() > 9)
    return -1;
  const long index = std::strtol(name.c_str(), nullptr, 10);
  return index < num_classes ? static_cast<int>(index) : -1;
}

}  // namespace

std::vector<ClassFolder> list_class_folders(const fs::path& root, const std::vector<std::string>& names,
                                            std::int64_t num_classes) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw Error(root.string() + ": not a folder");
  std::vector<fs::path> subfolders;
  for (const auto& entry : fs::directory_iterator(root, fs::directory_options::skip_permission_denied, ec))
    if (entry.is_directory(ec)) subfolders.push_back(entry.path());
  if (ec) throw Error(root.string() + ": cannot list: " + ec.message());
  if (subfolders.empty())
    throw Error(root.string() +
                ": no class subfolders (a classify dataset holds one subfolder per class, named by the class "
                "name or index, with that class's images)");
  std::sort(subfolders.begin(), subfolders.end());
  std::vector<ClassFolder> classes;
  for (const auto& folder : subfolders) {
    const std::string name = folder.filename().string();
    const int id = class_of_folder(name, names, num_classes);
    if (id < 0)
      throw Error(folder.string() + ": subfolder '" + name + "' is not one of the model's " +
                  std::to_string(num_classes) + " classes (a class name from its metadata, or an index 0.." +
                  std::to_string(num_classes - 1) + ")");
    classes.push_back({folder, id, list_images(folder)});
  }
  return classes;
}

}  // namespace yoloq
