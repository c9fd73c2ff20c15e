#include "yoloq/verify/verify.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include "verify/numerics.hpp"
#include "yoloq/eval/detection_metrics.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/interrupt.hpp"
#include "yoloq/eval/eval.hpp"
#include "yoloq/yolo/letterbox.hpp"
#include "yoloq/runtime/session.hpp"
#include "yoloq/eval/dataset.hpp"
#include "yoloq/yolo/metadata.hpp"

namespace fs = std::filesystem;

namespace yoloq {

namespace {

// Float detections at or above this score stand in for ground truth in the agreement mAP: the
// confidence Ultralytics' predict uses, so that low-score noise is not treated as objects.
constexpr float kAgreementGroundTruthScore = 0.25f;

struct Sample {
  NamedTensors inputs;
  std::optional<LetterboxGeometry> geometry;  // image samples only
  fs::path image;
};

std::vector<std::int64_t> fixed_input_shape(const Session& session, std::size_t i, const fs::path& model,
                                            const VerifyOptions& options) {
  auto shape = session.input_shapes()[i];
  if (auto it = options.input_shapes.find(session.input_names()[i]);
      it != options.input_shapes.end() && it->second.size() == shape.size())
    return it->second;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] > 0) continue;
    if (d == 0) {
      shape[d] = 1;  // batch
      continue;
    }
    throw Error(model.string() + ": input '" + session.input_names()[i] +
                "' has a dynamic dimension " + std::to_string(d) +
                "; give held-out data (--data) instead of random inputs");
  }
  return shape;
}

std::vector<Sample> image_samples(const Session& session, const VerifyOptions& options,
                                  const fs::path& model) {
  if (session.input_names().size() != 1)
    throw Error(model.string() + ": image data needs a single-input model, this one has " +
                std::to_string(session.input_names().size()) + " inputs");
  const auto shape = fixed_input_shape(session, 0, model, options);
  if (shape.size() != 4 || shape[1] != 3)
    throw Error(model.string() + ": input '" + session.input_names()[0] + "' has shape [" +
                shape_string(shape) + "], an image folder needs [1, 3, H, W]");
  auto images = list_images(options.images);
  if (images.size() > options.samples) images.resize(options.samples);
  std::vector<Sample> samples;
  for (const auto& path : images) {
    auto lb = letterbox(read_image(path), static_cast<int>(shape[2]), static_cast<int>(shape[3]));
    Sample s;
    s.inputs.emplace_back(session.input_names()[0], std::move(lb.tensor));
    s.geometry = lb.geometry;
    s.image = path;
    samples.push_back(std::move(s));
  }
  return samples;
}

// Splits [N, ...] tensors into [1, ...] samples.
std::vector<Sample> tensor_samples(const Session& session, const VerifyOptions& options,
                                   const fs::path& model) {
  if (session.input_names().size() != 1)
    throw Error(model.string() + ": held-out tensors need a single-input model");
  std::vector<Sample> samples;
  for (const auto& t : options.inputs) {
    if (t.shape.empty() || t.shape[0] <= 0)
      throw Error("verify: a held-out input tensor has no batch dimension");
    const std::size_t rows = static_cast<std::size_t>(t.shape[0]);
    const std::size_t row_bytes = t.bytes.size() / rows;
    for (std::size_t r = 0; r < rows && samples.size() < options.samples; ++r) {
      auto shape = t.shape;
      shape[0] = 1;
      Tensor row(t.dtype, shape);
      std::copy_n(t.bytes.begin() + static_cast<std::ptrdiff_t>(r * row_bytes), row_bytes,
                  row.bytes.begin());
      Sample s;
      // Already preprocessed: detections stay in input pixels, which is all the float-vs-INT8
      // agreement needs (labels need the original images, so they require --data).
      if (shape.size() == 4)
        s.geometry = LetterboxGeometry{1.0, 0, 0, static_cast<int>(shape[3]), static_cast<int>(shape[2])};
      s.inputs.emplace_back(session.input_names()[0], std::move(row));
      samples.push_back(std::move(s));
    }
  }
  return samples;
}

std::vector<Sample> random_samples(const Session& session, const VerifyOptions& options,
                                   const fs::path& model) {
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::vector<Sample> samples(std::max<std::size_t>(1, std::min<std::size_t>(options.samples, 8)));
  for (auto& s : samples)
    for (std::size_t i = 0; i < session.input_names().size(); ++i) {
      Tensor t(DType::Float32, fixed_input_shape(session, i, model, options));
      for (auto& v : t.values<float>()) v = uniform(rng);
      s.inputs.emplace_back(session.input_names()[i], std::move(t));
    }
  return samples;
}

double median_ms(Session& session, const NamedTensors& inputs, int warmup, int runs) {
  for (int i = 0; i < warmup; ++i) session.run(inputs);
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    check_interrupted();
    const auto start = std::chrono::steady_clock::now();
    session.run(inputs);
    times.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(times.begin(), times.end());
  const std::size_t n = times.size();
  return n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
}

MapPair map_pair(const DetectionMetrics& m) { return {m.map50_95, m.map50}; }

// A detect model: one output shaped [B, 4+nc, A], and Ultralytics metadata (when present) saying
// task detect with nc names. Segment and pose outputs also have [B, C, A] shapes, hence the task.
std::optional<std::string> detect_skip_reason(const Model& model, const Session& session,
                                              const std::vector<std::int64_t>& first_output_shape) {
  const auto metadata = read_yolo_metadata(model);
  if (metadata && !metadata->task.empty() && metadata->task != "detect")
    return "the model's task is '" + metadata->task +
           "', detection metrics apply to detect models only";
  if (session.output_names().size() != 1)
    return "the model has " + std::to_string(session.output_names().size()) +
           " outputs; a detect model has one [batch, 4 + classes, anchors]";
  const std::int64_t classes = metadata ? static_cast<std::int64_t>(metadata->names.size()) : 0;
  if (!is_detect_output(first_output_shape, classes))
    return "output '" + session.output_names()[0] + "' [" + shape_string(first_output_shape) +
           "] is not a detect head's [batch, 4 + classes, anchors]";
  return std::nullopt;
}

}  // namespace

VerifyResult verify_models(const fs::path& float_path, const fs::path& quant_path,
                           const VerifyOptions& options) {
  VerifyResult result;
  result.float_model = float_path;
  result.quant_model = quant_path;
  std::error_code ec;
  if (!options.labels.empty() && !fs::is_directory(options.labels, ec))
    throw Error(options.labels.string() +
                ": labels folder does not exist (expected labels/NAME.txt per image)");
  if (!options.labels.empty() && options.images.empty())
    throw Error("verify: labels need the images they describe (--data IMAGES_DIR)");

  // ONNX Runtime first: when a model does not load, its message is what the user needs.
  RuntimeOptions runtime;
  runtime.threads = options.threads;
  Session float_session(float_path, runtime);
  Session quant_session(quant_path, runtime);
  const Model float_model = load_model(float_path), quant_model = load_model(quant_path);
  result.structure = compare_structure(float_model, quant_model);
  for (const auto& d : result.structure.interface_differences)
    if (d.rfind("input", 0) == 0)
      throw Error(quant_path.string() + ": inputs differ from " + float_path.string() + "'s: " + d);

  std::vector<Sample> samples;
  if (!options.images.empty()) {
    samples = image_samples(float_session, options, float_path);
    result.data_description =
        std::to_string(samples.size()) + " images from " + options.images.string();
  } else if (!options.inputs.empty()) {
    samples = tensor_samples(float_session, options, float_path);
    result.data_description = std::to_string(samples.size()) + " held-out input tensors";
  } else {
    samples = random_samples(float_session, options, float_path);
    result.data_description =
        std::to_string(samples.size()) + " random uniform [0, 1) inputs (seed 0)";
  }
  if (samples.empty()) throw Error("verify: no held-out samples");
  result.samples = samples.size();

  // Outputs compared: those of the float model that the quantized model has under the same name.
  const auto& quant_outputs = quant_session.output_names();
  std::vector<std::string> compared;
  for (const auto& name : float_session.output_names())
    if (std::find(quant_outputs.begin(), quant_outputs.end(), name) != quant_outputs.end())
      compared.push_back(name);
  if (compared.empty())
    throw Error(quant_path.string() + ": no output name in common with " + float_path.string());

  std::vector<verify_detail::OutputComparison> comparisons;
  std::optional<std::string> skip_reason;
  std::vector<ImageDetections> float_vs_labels, quant_vs_labels, quant_vs_float;
  std::size_t num_classes = 0;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < samples.size(); ++i) {
    check_interrupted();
    const auto float_out = float_session.run(samples[i].inputs, compared);
    const auto quant_out = quant_session.run(samples[i].inputs, compared);
    if (i == 0) {
      skip_reason = detect_skip_reason(float_model, float_session, float_out[0].shape);
      // The class-score numerics need only the detect layout; detections also need images.
      const bool detect_model = !skip_reason;
      if (!skip_reason && !samples[0].geometry)
        skip_reason = "held-out data are not images (detections need --data IMAGES_DIR)";
      if (!skip_reason) num_classes = static_cast<std::size_t>(float_out[0].shape[1] - 4);
      for (std::size_t o = 0; o < compared.size(); ++o)
        comparisons.emplace_back(compared[o], o == 0 && detect_model);
    }
    for (std::size_t o = 0; o < compared.size(); ++o)
      comparisons[o].add(float_out[o], quant_out[o]);
    if (!skip_reason) {
      auto float_dets = decode_detections(float_out[0], 0, {});
      auto quant_dets = decode_detections(quant_out[0], 0, {});
      map_to_original(float_dets, *samples[i].geometry);
      map_to_original(quant_dets, *samples[i].geometry);
      const auto id = static_cast<long long>(i + 1);
      ImageDetections agreement{id, {}, quant_dets};
      for (const auto& d : float_dets)
        if (d.score >= kAgreementGroundTruthScore)
          agreement.ground_truth.push_back({d.box, d.class_id});
      quant_vs_float.push_back(std::move(agreement));
      if (!options.labels.empty()) {
        bool found = false;
        auto gts = load_ground_truth(
            samples[i].image, options.labels, samples[i].geometry->original_width,
            samples[i].geometry->original_height, static_cast<int>(num_classes), found);
        float_vs_labels.push_back({id, gts, std::move(float_dets)});
        quant_vs_labels.push_back({id, std::move(gts), std::move(quant_dets)});
      }
    }
    if (!options.quiet) {
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "\r  verify: %zu/%zu samples, %.1f samples/s   %s", i + 1,
                   samples.size(), static_cast<double>(i + 1) / s,
                   i + 1 == samples.size() ? "\n" : "");
    }
  }
  for (const auto& c : comparisons) result.numerics.push_back(c.finish());

  auto& det = result.detections;
  if (skip_reason) {
    det.note = "detection metrics skipped: " + *skip_reason;
  } else {
    det.evaluated = true;
    det.images = samples.size();
    det.agreement = map_pair(coco_metrics(quant_vs_float));
    for (const auto& image : quant_vs_float) det.reference_objects += image.ground_truth.size();
    det.note =
        "agreement: INT8 detections scored against the float model's detections with score >= "
        "0.25, "
        "COCO-style";
    if (!options.labels.empty()) {
      det.with_labels = true;
      for (const auto& image : float_vs_labels) det.labelled_objects += image.ground_truth.size();
      det.float_coco = map_pair(coco_metrics(float_vs_labels));
      det.quant_coco = map_pair(coco_metrics(quant_vs_labels));
      det.float_ultralytics = map_pair(ultralytics_metrics(float_vs_labels));
      det.quant_ultralytics = map_pair(ultralytics_metrics(quant_vs_labels));
      det.drop_points_coco = 100 * (det.float_coco.map50_95 - det.quant_coco.map50_95);
      det.drop_points_ultralytics =
          100 * (det.float_ultralytics.map50_95 - det.quant_ultralytics.map50_95);
    }
  }

  if (options.speed_runs > 0) {
    result.speed.runs = options.speed_runs;
    result.speed.float_median_ms =
        median_ms(float_session, samples[0].inputs, options.warmup_runs, options.speed_runs);
    result.speed.quant_median_ms =
        median_ms(quant_session, samples[0].inputs, options.warmup_runs, options.speed_runs);
    result.speed.speedup = result.speed.quant_median_ms > 0
                               ? result.speed.float_median_ms / result.speed.quant_median_ms
                               : 0;
  } else {
    result.speed.note = options.speed_note;
  }
  return result;
}

}  // namespace yoloq
