#include "yoloq/eval/task_eval.hpp"

#include <cstdio>
#include <sstream>

#include "yoloq/eval/classify.hpp"
#include "yoloq/eval/eval.hpp"
#include "yoloq/eval/obb.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/yolo/metadata.hpp"

namespace yoloq {

namespace {

std::string seconds_line(double seconds) {
  char line[64];
  std::snprintf(line, sizeof line, "evaluated in %.1f s\n", seconds);
  return line;
}

TaskEvalReport obb_report(const std::filesystem::path& model, const EvalOptions& options, bool per_class) {
  if (options.metric != ApMetric::Ultralytics)
    throw UsageError("eval: an OBB model is scored Ultralytics-style only (--metric ultralytics)");
  const auto result = evaluate_obb(model, options);
  TaskEvalReport report;
  report.json = to_json(result.metrics, result.class_names);
  report.json["images_without_label_file"] = result.images_without_label_file;
  report.json["seconds"] = result.seconds;
  std::ostringstream text;
  text << "task: obb, metric: ultralytics AP with exact rotated-box IoU (" << result.metrics.images << " images, "
       << result.metrics.instances << " labels";
  if (result.images_without_label_file > 0)
    text << "; " << result.images_without_label_file << " images without a label file, counted as no objects";
  text << ")\n" << obb_metrics_text(result.metrics, per_class, result.class_names) << seconds_line(result.seconds);
  report.text = text.str();
  return report;
}

TaskEvalReport classify_report(const std::filesystem::path& model, const EvalOptions& options) {
  const auto result = evaluate_classify(model, options);
  TaskEvalReport report;
  report.json = to_json(result.metrics);
  report.json["classes_with_images"] = result.classes_with_images;
  report.json["seconds"] = result.seconds;
  char line[160];
  std::snprintf(line, sizeof line, "task: classify (%zu images in %zu class folders)\ntop1 %.4f  top5 %.4f\n",
                result.metrics.images, result.classes_with_images, result.metrics.top1, result.metrics.top5);
  report.text = std::string(line) + seconds_line(result.seconds);
  return report;
}

}  // namespace

std::optional<TaskEvalReport> evaluate_obb_or_classify(const std::filesystem::path& model, const EvalOptions& options,
                                                       bool per_class, bool coco_results_requested) {
  const Model loaded = load_model(model);
  const auto metadata = read_yolo_metadata(loaded);
  if (!metadata || (metadata->task != "obb" && metadata->task != "classify")) return std::nullopt;
  check_task(model, loaded, metadata->task, options.task);
  if (coco_results_requested)
    throw UsageError("eval: --save_json writes COCO detections, which a " + metadata->task + " model does not give");
  if (metadata->task == "obb") return obb_report(model, options, per_class);
  if (metadata->task == "classify") return classify_report(model, options);
  return std::nullopt;
}

}  // namespace yoloq
