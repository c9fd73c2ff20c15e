#include "eval/class_report.hpp"

namespace yoloq {

std::string class_label(int id, const std::vector<std::string>& names) {
  return id >= 0 && static_cast<std::size_t>(id) < names.size() ? names[static_cast<std::size_t>(id)]
                                                                  : std::to_string(id);
}

nlohmann::json class_json(int class_id, const std::vector<std::string>& names, std::size_t images,
                          std::size_t instances, double ap50, double ap50_95) {
  return {{"class_id", class_id},   {"name", class_label(class_id, names)},
          {"images", images},       {"instances", instances},
          {"ap50", ap50},           {"ap50_95", ap50_95}};
}

}  // namespace yoloq
