#pragma once
// What detect/segment/pose (eval.cpp) and OBB (obb_metrics.cpp) report about one class, shared so
// that a class reads the same in every task's table and JSON.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace yoloq {

// The class's name from the model's names, or its id when the model names fewer classes.
std::string class_label(int id, const std::vector<std::string>& names);

// {"class_id", "name", "images", "instances", "ap50", "ap50_95"}; a task adds what else it
// measures (nlohmann::json orders the keys, so the order they are added in does not show).
nlohmann::json class_json(int class_id, const std::vector<std::string>& names, std::size_t images,
                          std::size_t instances, double ap50, double ap50_95);

}  // namespace yoloq
