// `yoloq eval` on a classify model: every image of every class subfolder, preprocessed as
// Ultralytics' classify validator does, run, and scored top-1 / top-5.
#include <algorithm>
#include <chrono>

#include "yoloq/eval/classify.hpp"
#include "yoloq/eval/eval.hpp"
#include "yoloq/eval/image_model_input.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/progress.hpp"
#include "yoloq/yolo/classify_crop.hpp"
#include "yoloq/yolo/letterbox.hpp"
#include "yoloq/yolo/metadata.hpp"

namespace fs = std::filesystem;

namespace yoloq {

ClassifyEvalResult evaluate_classify(const fs::path& model, const EvalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> names;
  if (auto metadata = read_yolo_metadata(load_model(model))) names = metadata->names;
  RuntimeOptions runtime;
  runtime.threads = options.threads;
  Session session(model, runtime);
  const auto input = image_model_input(session, model, options.imgsz);
  const std::string output = session.output_names().front();
  // The class count from the output itself, checked against the metadata's names.
  NamedTensors probe;
  probe.emplace_back(input.name, Tensor(DType::Float32, {1, 3, input.height, input.width}));
  const auto shape = session.run(probe, {output}).front().shape;
  if (shape.size() != 2 || shape[1] < 1 || (!names.empty() && shape[1] != static_cast<std::int64_t>(names.size())))
    throw Error(model.string() + ": a classify model's output is [batch, " +
                (names.empty() ? std::string("classes") : std::to_string(names.size())) + "], '" + output +
                "' is [" + shape_string(shape) + "]");

  const auto classes = list_class_folders(options.images, names, shape[1]);
  std::size_t total = 0;
  for (const auto& c : classes) total += c.images.size();
  if (options.max_images > 0) total = std::min(total, options.max_images);
  ClassifyEvalResult result;
  result.classes_with_images = classes.size();
  ClassifyScorer scorer;
  ProgressLine progress("evaluating", total, !options.quiet, "images");
  std::size_t done = 0;
  for (const auto& c : classes)
    for (std::size_t i = 0; i < c.images.size() && done < total; ++i) {
      const auto& image = c.images[i];
      NamedTensors inputs;
      inputs.emplace_back(input.name, classify_crop(read_image(image), input.height, input.width));
      const auto scores = session.run(inputs, {output}).front();
      scorer.add(scores.values<float>(), c.class_id);
      ++done;
      progress.update(done, done);
    }
  progress.finish(done, done);
  result.metrics = scorer.metrics();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace yoloq
