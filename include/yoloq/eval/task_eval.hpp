#pragma once
// `yoloq eval` for the tasks that are not scored as boxes (OBB, classify), chosen by the model's
// Ultralytics metadata task: what the command prints and its JSON, so that the command only
// dispatches.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace yoloq {

struct EvalOptions;

struct TaskEvalReport {
  std::string text;   // the lines eval prints
  nlohmann::json json;  // what --json writes
};

// nullopt when the model's task is neither "obb" nor "classify" (detect, segment, pose: the box
// evaluation). Throws UsageError, before evaluating, for what those tasks do not take: --metric
// coco, COCO detections (`coco_results_requested`, --save_json).
std::optional<TaskEvalReport> evaluate_obb_or_classify(const std::filesystem::path& model, const EvalOptions& options,
                                                       bool per_class, bool coco_results_requested);

}  // namespace yoloq
