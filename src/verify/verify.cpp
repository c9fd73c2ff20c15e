#include "yoloq/verify/verify.hpp"

#include <algorithm>
#include <chrono>
#include <tuple>
#include <unordered_set>

#include "verify/numerics.hpp"
#include "verify/task_agreement.hpp"
#include "yoloq/data/fingerprint.hpp"
#include "yoloq/eval/dataset.hpp"
#include "yoloq/eval/detection_metrics.hpp"
#include "yoloq/eval/eval.hpp"
#include "yoloq/eval/task_outputs.hpp"
#include "yoloq/runtime/cpu_features.hpp"
#include "yoloq/runtime/session.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/interrupt.hpp"
#include "yoloq/support/progress.hpp"
#include "yoloq/yolo/letterbox.hpp"

namespace fs = std::filesystem;

namespace yoloq {

namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Milliseconds of each session's runs, timed in turns (float, INT8, float, ...) so that a change in
// the machine's load falls on both models alike rather than on whichever ran second.
std::pair<double, double> alternating_median_ms(Session& first, Session& second, const NamedTensors& inputs,
                                                int warmup, int runs) {
  for (int i = 0; i < warmup; ++i) {
    first.run(inputs);
    second.run(inputs);
  }
  std::vector<double> first_ms, second_ms;
  auto timed = [&](Session& session) {
    const auto start = std::chrono::steady_clock::now();
    session.run(inputs);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  };
  for (int i = 0; i < runs; ++i) {
    check_interrupted();
    first_ms.push_back(timed(first));
    second_ms.push_back(timed(second));
  }
  return {median(std::move(first_ms)), median(std::move(second_ms))};
}

MapPair map_pair(const DetectionMetrics& m) { return {m.map50_95, m.map50}; }

// A session over a loaded model: from its bytes, or from its file when it is too large to
// serialize and was loaded from one.
Session open_session(const Model& model, const std::string& what, const RuntimeOptions& runtime) {
  if (model.proto.ByteSizeLong() > kMaxSerializedModelBytes && !model.path.empty()) return Session(model.path, runtime);
  return Session(serialize_model(model), what, runtime);
}

std::string model_name(const Model& model, const char* fallback) {
  return model.path.empty() ? fallback : model.path.string();
}

// Where a sample's detections are mapped back to: its letterbox (images), or the input itself
// (rank-4 tensors: detections stay in input pixels, all the float-vs-INT8 agreement needs).
std::optional<LetterboxGeometry> sample_geometry(const SampleOrigin& origin, const Tensor& input) {
  if (origin.geometry) return origin.geometry;
  if (input.shape.size() != 4) return std::nullopt;
  return LetterboxGeometry{1.0, 0, 0, static_cast<int>(input.shape[3]), static_cast<int>(input.shape[2])};
}

// What the detection part accumulates, sample by sample.
struct DetectionSamples {
  std::vector<ImageDetections> float_vs_labels, quant_vs_labels, quant_vs_float;
  std::size_t images = 0;
};

void add_detections(const std::vector<Tensor>& float_out, const std::vector<Tensor>& quant_out, std::int64_t row,
                    const SampleOrigin& origin, const LetterboxGeometry& geometry, const VerifyOptions& options,
                    const BoxOutputLayout& layout, DetectionSamples& out) {
  auto float_dets = decode_detections(float_out[0], row, {}, layout.num_classes);
  auto quant_dets = decode_detections(quant_out[0], row, {}, layout.num_classes);
  map_to_original(float_dets, geometry);
  map_to_original(quant_dets, geometry);
  // Masks and keypoints for their agreement; a detect model has none.
  attach_task_outputs(float_dets, float_out, row, layout, geometry);
  attach_task_outputs(quant_dets, quant_out, row, layout, geometry);
  const auto id = static_cast<long long>(++out.images);
  out.quant_vs_float.push_back({id, agreement_reference(float_dets), quant_dets});
  if (options.labels.empty()) return;
  bool found = false;
  auto gts = load_task_ground_truth(origin.image, options.labels, geometry.original_width, geometry.original_height,
                                    layout, found);
  out.float_vs_labels.push_back({id, gts, std::move(float_dets)});
  out.quant_vs_labels.push_back({id, std::move(gts), std::move(quant_dets)});
}

DetectionReport score_detections(const DetectionSamples& samples, bool with_labels, const std::string& task) {
  DetectionReport det;
  det.evaluated = true;
  det.images = samples.images;
  det.agreement = map_pair(coco_metrics(samples.quant_vs_float));
  if (task == "segment") det.mask_agreement = map_pair(coco_metrics(samples.quant_vs_float, Similarity::Mask));
  if (task == "pose") det.keypoint_agreement = map_pair(coco_metrics(samples.quant_vs_float, Similarity::Keypoints));
  for (const auto& image : samples.quant_vs_float) det.reference_objects += image.ground_truth.size();
  det.note = "agreement: INT8 detections scored against the float model's detections with score >= 0.25, COCO-style";
  if (!with_labels) return det;
  det.with_labels = true;
  for (const auto& image : samples.float_vs_labels) det.labelled_objects += image.ground_truth.size();
  det.float_coco = map_pair(coco_metrics(samples.float_vs_labels));
  det.quant_coco = map_pair(coco_metrics(samples.quant_vs_labels));
  det.float_ultralytics = map_pair(ultralytics_metrics(samples.float_vs_labels));
  det.quant_ultralytics = map_pair(ultralytics_metrics(samples.quant_vs_labels));
  det.drop_points_coco = 100 * (det.float_coco.map50_95 - det.quant_coco.map50_95);
  det.drop_interval_coco = paired_drop_interval(samples.float_vs_labels, samples.quant_vs_labels);
  det.drop_points_ultralytics = 100 * (det.float_ultralytics.map50_95 - det.quant_ultralytics.map50_95);
  return det;
}

SpeedReport measure_speed(Session& float_session, Session& quant_session, const NamedTensors& inputs,
                          const VerifyOptions& options) {
  SpeedReport speed;
  if (options.speed_runs <= 0) {
    speed.note = options.speed_note;
    return speed;
  }
  speed.runs = options.speed_runs;
  speed.cpu = cpu_features().text();
  speed.threads = options.threads == 1   ? "1 intra-op thread"
                  : options.threads > 1 ? std::to_string(options.threads) + " intra-op threads, not pinned"
                                        : "ONNX Runtime's default threads, one per core, pinned";
  std::tie(speed.float_median_ms, speed.quant_median_ms) =
      alternating_median_ms(float_session, quant_session, inputs, options.warmup_runs, options.speed_runs);
  speed.speedup = speed.quant_median_ms > 0 ? speed.float_median_ms / speed.quant_median_ms : 0;
  return speed;
}

}  // namespace

VerifyResult verify_models(const Model& float_model, const Model& quant_model, BatchSource& held_out,
                           const VerifyOptions& options) {
  VerifyResult result;
  result.float_model = model_name(float_model, "float model");
  result.quant_model = model_name(quant_model, "quantized model");
  std::error_code ec;
  if (!options.labels.empty() && !fs::is_directory(options.labels, ec))
    throw Error(options.labels.string() + ": labels folder does not exist (expected labels/NAME.txt per image)");

  // ONNX Runtime first: when a model does not load, its message is what the user needs.
  RuntimeOptions runtime;
  runtime.threads = options.threads;
  Session float_session = open_session(float_model, result.float_model.string(), runtime);
  Session quant_session = open_session(quant_model, result.quant_model.string(), runtime);
  result.structure = compare_structure(float_model, quant_model);
  for (const auto& d : result.structure.interface_differences)
    if (d.rfind("input", 0) == 0)
      throw Error(result.quant_model.string() + ": inputs differ from " + result.float_model.string() + "'s: " + d);

  // Outputs compared: those of the float model that the quantized model has under the same name.
  const auto& quant_outputs = quant_session.output_names();
  std::vector<std::string> compared;
  for (const auto& name : float_session.output_names())
    if (std::find(quant_outputs.begin(), quant_outputs.end(), name) != quant_outputs.end()) compared.push_back(name);
  if (compared.empty())
    throw Error(result.quant_model.string() + ": no output name in common with " + result.float_model.string());

  std::vector<verify_detail::OutputComparison> comparisons;
  std::optional<std::string> skip_reason;
  BoxOutputLayout box_layout;  // of the first output, when it holds boxes
  DetectionSamples detections;
  const auto task_agreement = verify_detail::TaskAgreement::for_model(float_model);  // OBB, classify
  NamedTensors first_batch;  // the speed part times one batch
  std::size_t batches = 0;
  const auto calibrated = recorded_calibration_fingerprints(quant_model);
  const std::unordered_set<std::uint64_t> calibration_samples(calibrated.begin(), calibrated.end());
  ProgressLine progress("verifying", held_out.batch_count(), !options.quiet, "batches", "samples");
  held_out.rewind();
  while (auto batch = held_out.next()) {
    check_interrupted();
    const auto float_out = float_session.run(*batch, compared);
    const auto quant_out = quant_session.run(*batch, compared);
    const Tensor& input = batch->front().second;
    if (comparisons.empty()) {
      if (!options.labels.empty() && held_out.origins().front().image.empty())
        throw Error("verify: labels need the images they describe (--data IMAGES_DIR)");
      std::vector<std::vector<std::int64_t>> shapes;
      for (const auto& out : float_out) shapes.push_back(out.shape);
      // The per-part numerics need only the output layout; detections also need a geometry.
      const auto layout = box_output_layout(float_model, compared, shapes);
      const auto* found_layout = std::get_if<BoxOutputLayout>(&layout);
      if (!found_layout) skip_reason = std::get<std::string>(layout);
      if (!skip_reason && (batch->size() != 1 || !sample_geometry(held_out.origins().front(), input)))
        skip_reason = "held-out samples are not images (detections need a single [N, 3, H, W] input)";
      if (found_layout) box_layout = *found_layout;
      // An OBB output's boxes are not read here (task_agreement scores them), but its parts are.
      const auto parts = found_layout ? std::optional(*found_layout) : obb_parts_layout(float_model, shapes);
      for (std::size_t o = 0; o < compared.size(); ++o)
        comparisons.emplace_back(compared[o], o == 0 ? parts : std::nullopt);
      if (found_layout && found_layout->end_to_end) comparisons.front().mark_end_to_end();
      first_batch = *batch;
    }
    for (std::size_t o = 0; o < compared.size(); ++o) comparisons[o].add(float_out[o], quant_out[o]);
    const auto& origins = held_out.origins();
    result.samples += origins.size();
    for (const auto& origin : origins) result.calibration_samples_seen += calibration_samples.count(origin.fingerprint);
    if (!skip_reason)
      for (std::size_t row = 0; row < origins.size(); ++row)
        add_detections(float_out, quant_out, static_cast<std::int64_t>(row), origins[row],
                       *sample_geometry(origins[row], input), options, box_layout, detections);
    if (task_agreement)
      for (std::size_t row = 0; row < origins.size(); ++row)
        task_agreement->add(float_out[0], quant_out[0], static_cast<std::int64_t>(row));
    progress.update(++batches, result.samples);
  }
  progress.finish(batches, result.samples);
  if (comparisons.empty()) throw Error("verify: no held-out samples");
  result.data_description = held_out.description();
  for (const auto& c : comparisons) result.numerics.push_back(c.finish());
  if (skip_reason)
    result.detections.note = "detection metrics skipped: " + *skip_reason;
  else
    result.detections = score_detections(detections, !options.labels.empty(), box_layout.task);
  if (task_agreement) task_agreement->finish(result);
  result.speed = measure_speed(float_session, quant_session, first_batch, options);
  result.verdict = judge(result, options.thresholds, options.real_data, options.held_out);
  return result;
}

}  // namespace yoloq
