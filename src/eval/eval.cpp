#include "yoloq/eval/eval.hpp"

#include <chrono>
#include <cstdio>
#include <future>
#include <iostream>
#include <sstream>

#include "yoloq/eval/dataset.hpp"
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

std::vector<EvaluatedImage> detect_dataset(Detector& detector, const std::vector<fs::path>& images,
                                           const fs::path& labels_dir, bool quiet) {
  const int height = detector.input_height(), width = detector.input_width();
  const int num_classes = static_cast<int>(detector.num_classes());
  auto prepare = [&, height, width, num_classes](const fs::path& path) {
    PreparedImage p;
    p.letterboxed = letterbox(read_image(path), height, width);
    if (!labels_dir.empty())
      p.ground_truth =
          load_ground_truth(path, labels_dir, p.letterboxed.geometry.original_width,
                            p.letterboxed.geometry.original_height, num_classes, p.has_label_file);
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

EvalResult evaluate(const fs::path& model, const EvalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  if (!fs::is_directory(options.labels, ec))
    throw Error(options.labels.string() +
                ": labels folder does not exist (expected labels/NAME.txt per image)");
  auto images = list_images(options.images);
  if (options.max_images > 0 && images.size() > options.max_images)
    images.resize(options.max_images);

  EvalResult result;
  if (auto metadata = read_yolo_metadata(load_model(model))) result.class_names = metadata->names;
  RuntimeOptions runtime;
  runtime.threads = options.threads;
  Detector detector(model, options.imgsz, runtime, options.nms);
  result.images = detect_dataset(detector, images, options.labels, options.quiet);

  std::vector<ImageDetections> scored;
  for (const auto& image : result.images) {
    if (!image.has_label_file) ++result.images_without_label_file;
    scored.push_back(image.data);
  }
  result.metrics = compute_metrics(scored, options.metric);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

nlohmann::json coco_results_json(const std::vector<EvaluatedImage>& images) {
  auto results = nlohmann::json::array();
  for (const auto& image : images)
    for (const auto& d : image.data.detections)
      results.push_back({{"image_id", image.data.image_id},
                         {"category_id", d.class_id},
                         {"bbox", {d.box.x1, d.box.y1, d.box.x2 - d.box.x1, d.box.y2 - d.box.y1}},
                         {"score", static_cast<double>(d.score)}});
  return results;
}

namespace {
std::string class_label(int id, const std::vector<std::string>& names) {
  return id >= 0 && static_cast<std::size_t>(id) < names.size()
             ? names[static_cast<std::size_t>(id)]
             : std::to_string(id);
}
}  // namespace

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
  for (const auto& c : m.per_class)
    j["per_class"].push_back({{"class_id", c.class_id},
                              {"name", class_label(c.class_id, names)},
                              {"images", c.images},
                              {"instances", c.instances},
                              {"precision", c.precision},
                              {"recall", c.recall},
                              {"ap50", c.ap50},
                              {"ap50_95", c.ap50_95}});
  return j;
}

}  // namespace yoloq
