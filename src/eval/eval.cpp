#include "yoloq/eval/eval.hpp"

#include <chrono>
#include <cstdio>
#include <future>
#include <iostream>
#include <sstream>

#include "eval/class_report.hpp"
#include "yoloq/eval/dataset.hpp"
#include "yoloq/eval/task_labels.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/progress.hpp"
#include "yoloq/yolo/metadata.hpp"

namespace fs = std::filesystem;

namespace yoloq {

namespace {

struct PreparedImage {
  LetterboxedImage letterboxed;
  std::vector<GroundTruth> ground_truth;
  bool has_label_file = false;
};

}  // namespace

std::vector<GroundTruth> load_ground_truth(const fs::path& image, const fs::path& labels_dir,
                                           int width, int height, int num_classes, bool& found) {
  const fs::path label_file = label_path_for(image, labels_dir);
  std::error_code ec;
  found = fs::exists(label_file, ec);
  std::vector<GroundTruth> gts;
  if (!found) return gts;
  for (const auto& label : read_label_file(label_file, num_classes))
    gts.push_back({label_to_pixels(label, width, height), label.class_id, {}, {}});
  return gts;
}

std::vector<GroundTruth> load_task_ground_truth(const fs::path& image, const fs::path& labels_dir, int width,
                                                int height, const BoxOutputLayout& layout, bool& found) {
  const int num_classes = static_cast<int>(layout.num_classes);
  if (layout.task != "segment" && layout.task != "pose")
    return load_ground_truth(image, labels_dir, width, height, num_classes, found);
  const fs::path label_file = label_path_for(image, labels_dir);
  std::error_code ec;
  found = fs::exists(label_file, ec);
  std::vector<GroundTruth> gts;
  if (!found) return gts;
  const std::int64_t per_keypoint = layout.keypoint_values;
  const auto labels = layout.task == "segment"
                          ? read_segment_label_file(label_file, num_classes)
                          : read_pose_label_file(label_file, num_classes, layout.task_channels / per_keypoint, per_keypoint);
  for (const auto& label : labels) gts.push_back(task_label_to_pixels(label, width, height, per_keypoint));
  return gts;
}

bool is_known_task(const std::string& task) {
  return task == "detect" || task == "segment" || task == "pose" || task == "obb" || task == "classify";
}

std::vector<EvaluatedImage> detect_dataset(Detector& detector, const std::vector<fs::path>& images,
                                           const fs::path& labels_dir, bool quiet) {
  const int height = detector.input_height(), width = detector.input_width();
  const BoxOutputLayout layout = detector.layout();
  auto prepare = [&, height, width, layout](const fs::path& path) {
    PreparedImage p;
    p.letterboxed = letterbox(read_image(path), height, width);
    if (!labels_dir.empty())
      p.ground_truth =
          load_task_ground_truth(path, labels_dir, p.letterboxed.geometry.original_width,
                                 p.letterboxed.geometry.original_height, layout, p.has_label_file);
    return p;
  };
  const auto ids = coco_image_ids(images);
  std::vector<EvaluatedImage> results;
  results.reserve(images.size());
  ProgressLine progress("evaluating", images.size(), !quiet, "images");
  // Decoding and letterboxing the next image overlaps with inference on the current one.
  auto next = std::async(std::launch::async, prepare, images.front());
  for (std::size_t i = 0; i < images.size(); ++i) {
    PreparedImage current = next.get();
    if (i + 1 < images.size()) next = std::async(std::launch::async, prepare, images[i + 1]);
    EvaluatedImage out;
    out.path = images[i];
    out.width = current.letterboxed.geometry.original_width;
    out.height = current.letterboxed.geometry.original_height;
    out.has_label_file = current.has_label_file;
    out.data.image_id = ids[i];
    out.data.ground_truth = std::move(current.ground_truth);
    out.data.detections = detector.detect(current.letterboxed);
    results.push_back(std::move(out));
    progress.update(i + 1, i + 1);
  }
  progress.finish(images.size(), images.size());
  return results;
}

namespace {

std::string declared_shape(const onnx::ValueInfoProto& value) {
  std::vector<std::int64_t> dims;
  for (const auto& d : value.type().tensor_type().shape().dim()) dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
  return value.name() + " [" + shape_string(dims) + "]";
}

// "a segment model (output0 [1,116,2100], output1 [1,32,80,80])": what --task is checked against.
std::string task_and_outputs(const Model& model, const std::string& task) {
  std::string outputs;
  for (const auto& out : model.graph().output()) outputs += (outputs.empty() ? "" : ", ") + declared_shape(out);
  return "a" + std::string(task == "obb" ? "n " : " ") + task + " model (" + outputs + ")";
}

}  // namespace

void check_task(const fs::path& path, const Model& model, const std::string& model_task, const std::string& wanted) {
  if (!wanted.empty() && wanted != model_task)
    throw Error(path.string() + " is " + task_and_outputs(model, model_task) + "; --task " + wanted + " does not fit");
}

namespace {

// The task's own AP (masks, keypoints) needs that part on every labelled object; labels with
// none of them give box AP alone and a note, a mix is an error (the AP would be wrong).
std::optional<DetectionMetrics> task_metrics(const std::vector<ImageDetections>& images, ApMetric metric,
                                             Similarity similarity, const std::string& labels,
                                             std::string& note) {
  std::size_t objects = 0, with_part = 0;
  for (const auto& image : images)
    for (const auto& gt : image.ground_truth) {
      ++objects;
      with_part += similarity == Similarity::Mask ? !gt.mask.empty() : !gt.keypoints.empty();
    }
  const std::string part = similarity == Similarity::Mask ? "polygon" : "keypoints";
  if (objects > 0 && with_part == 0) {
    note = "no " + similarity_name(similarity) + " mAP: the labels in " + labels + " are boxes without " + part;
    return std::nullopt;
  }
  if (with_part < objects)
    throw Error(labels + ": " + std::to_string(objects - with_part) + " of " + std::to_string(objects) +
                " labelled objects are boxes without " + part + "; " + similarity_name(similarity) +
                " mAP needs them on every line");
  return compute_metrics(images, metric, similarity);
}

}  // namespace

EvalResult evaluate(const fs::path& model, const EvalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  if (!options.task.empty() && !is_known_task(options.task))
    throw Error("--task '" + options.task + "' is not one of detect, segment, pose, obb, classify");
  if (!fs::is_directory(options.labels, ec))
    throw Error(options.labels.string() +
                ": labels folder does not exist (expected labels/NAME.txt per image)");
  auto images = list_images(options.images);
  if (options.max_images > 0 && images.size() > options.max_images)
    images.resize(options.max_images);

  EvalResult result;
  const Model loaded = load_model(model);
  const auto metadata = read_yolo_metadata(loaded);
  if (metadata) result.class_names = metadata->names;
  const std::string model_task = metadata && !metadata->task.empty() ? metadata->task : "detect";
  check_task(model, loaded, model_task, options.task);
  // Oriented boxes and classification are scored by evaluations of their own.
  if (model_task == "obb" || model_task == "classify")
    throw Error(model.string() + " is " + task_and_outputs(loaded, model_task) +
                "; evaluate() scores detect, segment and pose models (evaluate_obb_or_classify the others)");
  RuntimeOptions runtime;
  runtime.threads = options.threads;
  Detector detector(model, options.imgsz, runtime, options.nms);
  result.task = detector.layout().task;
  result.images = detect_dataset(detector, images, options.labels, options.quiet);

  // Moved out and back: a segment model's masks are the bulk of the memory, kept once.
  std::vector<ImageDetections> scored;
  for (auto& image : result.images) {
    if (!image.has_label_file) ++result.images_without_label_file;
    scored.push_back(std::move(image.data));
  }
  result.metrics = compute_metrics(scored, options.metric);
  if (result.task == "segment")
    result.mask_metrics = task_metrics(scored, options.metric, Similarity::Mask, options.labels.string(), result.task_note);
  if (result.task == "pose")
    result.keypoint_metrics =
        task_metrics(scored, options.metric, Similarity::Keypoints, options.labels.string(), result.task_note);
  for (std::size_t i = 0; i < scored.size(); ++i) result.images[i].data = std::move(scored[i]);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

nlohmann::json coco_results_json(const std::vector<EvaluatedImage>& images) {
  auto results = nlohmann::json::array();
  for (const auto& image : images)
    for (const auto& d : image.data.detections) {
      nlohmann::json r{{"image_id", image.data.image_id},
                       {"category_id", d.class_id},
                       {"bbox", {d.box.x1, d.box.y1, d.box.x2 - d.box.x1, d.box.y2 - d.box.y1}},
                       {"score", static_cast<double>(d.score)}};
      if (!d.mask.empty())
        r["segmentation"] = {{"size", {d.mask.height, d.mask.width}}, {"counts", coco_rle_string(d.mask)}};
      if (!d.keypoints.empty()) {
        auto& k = r["keypoints"] = nlohmann::json::array();
        for (const auto& p : d.keypoints) k.insert(k.end(), {p.x, p.y, p.v});
      }
      results.push_back(std::move(r));
    }
  return results;
}

std::string metrics_text(const DetectionMetrics& m, bool per_class,
                         const std::vector<std::string>& names) {
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "%-16s %7s %9s %9s %9s %9s %9s\n", "class", "images",
                "instances", "P", "R", "mAP50", "mAP50-95");
  out << line;
  std::snprintf(line, sizeof line, "%-16s %7zu %9zu %9.3f %9.3f %9.3f %9.3f\n", "all", m.images,
                m.instances, m.precision, m.recall, m.map50, m.map50_95);
  out << line;
  if (per_class)
    for (const auto& c : m.per_class) {
      std::snprintf(line, sizeof line, "%-16.16s %7zu %9zu %9.3f %9.3f %9.3f %9.3f\n",
                    class_label(c.class_id, names).c_str(), c.images, c.instances, c.precision,
                    c.recall, c.ap50, c.ap50_95);
      out << line;
    }
  return out.str();
}

nlohmann::json to_json(const DetectionMetrics& m, const std::vector<std::string>& names) {
  nlohmann::json j{
      {"metric", metric_name(m.metric)}, {"map50_95", m.map50_95}, {"map50", m.map50},
      {"precision", m.precision},        {"recall", m.recall},     {"images", m.images},
      {"instances", m.instances}};
  if (m.metric == ApMetric::Coco) {
    j["ar100"] = m.coco_ar100;
    j["map50_95_small"] = m.coco_ap_small;
    j["map50_95_medium"] = m.coco_ap_medium;
    j["map50_95_large"] = m.coco_ap_large;
  }
  j["per_class"] = nlohmann::json::array();
  for (const auto& c : m.per_class) {
    auto class_entry = class_json(c.class_id, names, c.images, c.instances, c.ap50, c.ap50_95);
    class_entry["precision"] = c.precision;
    class_entry["recall"] = c.recall;
    j["per_class"].push_back(std::move(class_entry));
  }
  return j;
}

}  // namespace yoloq
