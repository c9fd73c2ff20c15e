// `yoloq eval` on an OBB model: each image letterboxed as for detect, the model run, its rotated
// detections mapped back to the image and scored against the DOTA-style labels.
#include <chrono>

#include "yoloq/eval/dataset.hpp"
#include "yoloq/eval/eval.hpp"
#include "yoloq/eval/image_model_input.hpp"
#include "yoloq/eval/obb.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/progress.hpp"
#include "yoloq/yolo/metadata.hpp"

namespace fs = std::filesystem;

namespace yoloq {

ObbEvalResult evaluate_obb(const fs::path& model, const EvalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  if (!fs::is_directory(options.labels, ec))
    throw Error(options.labels.string() +
                ": labels folder does not exist (expected labels/NAME.txt per image, 'class x1 y1 x2 y2 x3 y3 x4 y4')");
  auto images = list_images(options.images);
  if (options.max_images > 0 && images.size() > options.max_images) images.resize(options.max_images);

  ObbEvalResult result;
  if (auto metadata = read_yolo_metadata(load_model(model))) result.class_names = metadata->names;
  RuntimeOptions runtime;
  runtime.threads = options.threads;
  Session session(model, runtime);
  const auto input = image_model_input(session, model, options.imgsz);
  const auto num_classes = static_cast<std::int64_t>(result.class_names.size());
  const std::string output = session.output_names().front();

  std::vector<ObbImage> scored;
  ProgressLine progress("evaluating", images.size(), !options.quiet, "images");
  for (std::size_t i = 0; i < images.size(); ++i) {
    auto boxed = letterbox(read_image(images[i]), input.height, input.width);
    const auto& g = boxed.geometry;
    ObbImage image;
    const fs::path label_file = label_path_for(images[i], options.labels);
    if (fs::exists(label_file, ec)) {
      for (const auto& label : read_obb_label_file(label_file, static_cast<int>(num_classes))) {
        ObbGroundTruth gt{label.corners, label.class_id};
        for (auto& p : gt.corners) p = {p.x * g.original_width, p.y * g.original_height};
        image.ground_truth.push_back(gt);
      }
    } else {
      ++result.images_without_label_file;
    }
    NamedTensors inputs;
    inputs.emplace_back(input.name, std::move(boxed.tensor));
    const auto outputs = session.run(inputs, {output});
    image.detections = decode_obb_detections(outputs.front(), 0, options.nms, num_classes);
    map_to_original(image.detections, g);
    scored.push_back(std::move(image));
    progress.update(i + 1, i + 1);
  }
  progress.finish(images.size(), images.size());
  result.metrics = obb_metrics(scored);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace yoloq
