#pragma once
// Classify models (Ultralytics' -cls exports: one output [B, nc] of class probabilities) on an
// image folder with one subfolder per class, as Ultralytics' ClassificationDataset reads it.
//
// Which class a subfolder holds: its name is looked up among the model's class names (metadata
// `names`); a name that is not there but is a whole number in [0, nc) is that class index (for
// models without names, or folders named 0, 1, ...). Any other subfolder name is an error, as is a
// folder without subfolders. Images directly in the top folder belong to no class and are not read.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

namespace yoloq {

struct ClassFolder {
  std::filesystem::path folder;
  int class_id = 0;
  std::vector<std::filesystem::path> images;
};

// The class subfolders of `root`, sorted by name, each with its images (list_images). Throws
// Error naming the folder: no subfolder, a subfolder that is no class, a subfolder without images.
std::vector<ClassFolder> list_class_folders(const std::filesystem::path& root, const std::vector<std::string>& names,
                                            std::int64_t num_classes);

// The k best classes of one image's scores, best first; equal scores keep the lower index first.
std::vector<int> top_classes(std::span<const float> scores, std::size_t k);

struct ClassifyMetrics {
  double top1 = 0, top5 = 0;  // fractions of images
  std::size_t images = 0;
};

// Adds images one at a time: top-1 is the best class, top-5 the label among the 5 best (all
// classes when there are fewer than 5).
class ClassifyScorer {
 public:
  void add(std::span<const float> scores, int label);
  ClassifyMetrics metrics() const;

 private:
  std::size_t images_ = 0, top1_ = 0, top5_ = 0;
};

// The agreement of two models' scores on the same images (verify): the fraction of images whose
// best class is the same, and the mean share of the float model's 5 best classes that are also
// among the INT8 model's 5 best.
struct ClassifyAgreement {
  double top1 = 0, top5_overlap = 0;
  std::size_t images = 0;
};
class ClassifyAgreementScorer {
 public:
  void add(std::span<const float> float_scores, std::span<const float> quant_scores);
  ClassifyAgreement agreement() const;

 private:
  std::size_t images_ = 0, same_top1_ = 0;
  double overlap_sum_ = 0;
};

struct EvalOptions;
struct ClassifyEvalResult {
  ClassifyMetrics metrics;
  std::size_t classes_with_images = 0;
  double seconds = 0;
};

// `yoloq eval` on a classify model: each image resized and centre-cropped (yolo/classify_crop.hpp),
// run, scored. `options.images` is the folder of class subfolders; labels are not used.
ClassifyEvalResult evaluate_classify(const std::filesystem::path& model, const EvalOptions& options);

nlohmann::json to_json(const ClassifyMetrics& metrics);

}  // namespace yoloq
