#pragma once
// `yoloq eval`: a detect, segment or pose model over a YOLO-format dataset, scored with COCO-style
// metrics: boxes for every task, masks (segment) and keypoints (pose) beside them. The task comes
// from the model's Ultralytics metadata, checked against its output shapes.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "yoloq/eval/detection_metrics.hpp"
#include "yoloq/eval/detector.hpp"

namespace yoloq {

struct EvalOptions {
  std::filesystem::path images, labels;
  // "" takes the model's own task; else detect|segment|pose|obb|classify, which must be the
  // model's (a mismatch is an Error naming both and the output shapes).
  std::string task;
  int imgsz = 0;  // 0: the model's input size
  ApMetric metric = ApMetric::Ultralytics;
  NmsOptions nms;              // conf 0.001, IoU 0.7, 300 detections
  int threads = 0;             // ONNX Runtime intra-op threads; 0 lets it choose
  std::size_t max_images = 0;  // 0 = all
  bool quiet = false;          // no progress line
};

struct EvaluatedImage {
  std::filesystem::path path;
  int width = 0, height = 0;
  bool has_label_file = false;
  ImageDetections data;  // image_id, labels and detections in original image pixels
};

struct EvalResult {
  std::string task = "detect";
  DetectionMetrics metrics;  // boxes
  // Segment: mask AP; pose: keypoint AP (OKS). Empty when the task has none, or when the labels
  // carry no polygons / keypoints (task_note says so).
  std::optional<DetectionMetrics> mask_metrics, keypoint_metrics;
  std::string task_note;
  std::vector<EvaluatedImage> images;
  std::size_t images_without_label_file = 0;  // counted as images with no objects
  std::vector<std::string> class_names;       // from the model's metadata; may be empty
  double seconds = 0;                         // wall time of the whole evaluation
};

// Labels of one image in pixels; a missing file gives no objects and found = false.
std::vector<GroundTruth> load_ground_truth(const std::filesystem::path& image,
                                           const std::filesystem::path& labels_dir, int width,
                                           int height, int num_classes, bool& found);

// Labels of one image in pixels for `layout`'s task: boxes (detect), boxes and polygon masks
// (segment), boxes and keypoints (pose). A missing file gives no objects and found = false.
std::vector<GroundTruth> load_task_ground_truth(const std::filesystem::path& image,
                                                const std::filesystem::path& labels_dir, int width, int height,
                                                const BoxOutputLayout& layout, bool& found);

// The tasks `yoloq eval --task` names.
bool is_known_task(const std::string& task);
// Throws Error naming the model's task and output shapes when `wanted` (--task; empty: any) is
// not `model_task`, the task its metadata says.
void check_task(const std::filesystem::path& path, const Model& model, const std::string& model_task,
                const std::string& wanted);

// Runs the model over the images (letterbox, ONNX Runtime, decode, NMS, map back) and scores it.
EvalResult evaluate(const std::filesystem::path& model, const EvalOptions& options);
// Same, with a detector already built (verify reuses its sessions).
std::vector<EvaluatedImage> detect_dataset(Detector& detector,
                                           const std::vector<std::filesystem::path>& images,
                                           const std::filesystem::path& labels_dir, bool quiet);

// COCO results format: [{image_id, category_id (the model's class index), bbox [x, y, w, h],
// score}, plus segmentation (COCO compressed RLE {size [h, w], counts}) for segment models and
// keypoints [x1, y1, v1, ...] (v the model's visibility) for pose models], every detection kept (up to max_det per image), full double precision so that
// pycocotools sees exactly the boxes yoloq scored.
nlohmann::json coco_results_json(const std::vector<EvaluatedImage>& images);

std::string metrics_text(const DetectionMetrics& metrics, bool per_class,
                         const std::vector<std::string>& class_names);
nlohmann::json to_json(const DetectionMetrics& metrics,
                       const std::vector<std::string>& class_names);

}  // namespace yoloq
