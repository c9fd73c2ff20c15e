// Picks the kind of calibration data from the path and splits it into calibration and held-out
// samples, from one provider: the split is decided once, so the two parts never overlap.
#include <algorithm>

#include "data/source_internal.hpp"
#include "yoloq/support/error.hpp"

namespace fs = std::filesystem;

namespace yoloq {

std::size_t holdout_count(std::size_t samples) {
  if (samples < 16) return 0;
  return std::clamp<std::size_t>(samples / 8, 4, 32);
}

std::shared_ptr<SampleProvider> make_sample_provider(std::vector<ResolvedInput>& inputs,
                                                     const SourceOptions& options, std::size_t random_count,
                                                     ImagePreprocessing preprocessing) {
  const fs::path& path = options.path;
  std::error_code ec;
  if (!options.arrays.empty()) {
    if (!path.empty()) throw UsageError("calibration data: give a path or arrays, not both");
    return make_array_samples(options.arrays, inputs);
  }
  if (path.empty()) {
    check_sized(inputs, "random data");
    return make_random_samples(random_count, options.seed, inputs);
  }
  if (fs::is_directory(path, ec)) {
    check_sized(inputs, path.string());
    return make_image_samples(path, inputs, options.quiet, preprocessing);
  }
  if (!fs::exists(path, ec)) throw Error(path.string() + ": no such file or folder");
  // A FIFO or a device would block or never end.
  if (!fs::is_regular_file(path, ec)) throw Error(path.string() + ": is not a regular file or a folder");
  if (path.extension() == ".npy") return make_npy_samples(path, inputs);
  if (path.extension() == ".npz") return make_npz_samples(path, inputs);
  throw Error(path.string() + ": unknown calibration data (expected a .npy file, a .npz file or a folder of images)");
}

namespace {

// Samples a batched source over `count` of them serves: whole batches only, unless the model
// takes a smaller last batch.
std::size_t served_samples(const ResolvedInput& input, std::size_t count) {
  const auto batch = static_cast<std::size_t>(input.shape[0]);
  return input.dynamic_batch ? count : count / batch * batch;
}

std::unique_ptr<BatchSource> batched(const std::shared_ptr<SampleProvider>& samples,
                                     const std::vector<ResolvedInput>& inputs, std::vector<std::size_t> indices,
                                     const std::string& suffix) {
  const std::string description =
      std::to_string(indices.size()) + " " + samples->kind() + " from " + samples->what() + suffix;
  if (indices.size() < static_cast<std::size_t>(inputs.front().shape[0]) && !inputs.front().dynamic_batch)
    throw Error(samples->what() + ": " + std::to_string(indices.size()) + " sample(s) do not fill one batch of " +
                std::to_string(inputs.front().shape[0]));
  return make_batched_source(samples, inputs, std::move(indices), description);
}

}  // namespace

CalibrationData make_calibration_data(const Model& model, const SourceOptions& options, bool hold_out) {
  auto inputs = resolve_inputs(model, options.shapes);
  // A classify model sees images resized and centre-cropped, as Ultralytics feeds it; the rest letterboxed.
  const auto preprocessing = image_preprocessing_for(model);
  const bool random = options.random();
  CalibrationData data;
  std::size_t holdout = 0;
  std::shared_ptr<SampleProvider> samples;
  if (random) {
    holdout = hold_out ? kRandomHoldout : 0;
    const std::size_t count = options.max_samples ? options.max_samples : 1;
    samples = make_sample_provider(inputs, options, count + holdout);
    data.warnings.push_back("no calibration data given: using " + std::to_string(count) +
                            " random sample(s), uniform [0,1), seed " + std::to_string(options.seed) +
                            "; these scales are placeholders that do not match real activations, calibrate on "
                            "real images");
  } else {
    samples = make_sample_provider(inputs, options, 0, preprocessing);
    // --calibration_size N calibrates on N samples whatever the source, and holds out only what is
    // left beyond them; without it, the held-out eighth comes off the whole set.
    const std::size_t total = samples->size();
    const std::size_t calibrate = options.max_samples ? std::min(options.max_samples, total) : total;
    if (hold_out) holdout = holdout_count(served_samples(inputs.front(), calibrate));
    if (options.max_samples) holdout = std::min(holdout, total - calibrate);
  }
  // Image folders are shuffled (a folder is often sorted by class or scene); arrays keep their order.
  std::error_code ec;
  const bool shuffle = !random && fs::is_directory(options.path, ec);
  auto split = split_samples(samples->size(), options.max_samples, holdout, shuffle, options.seed, samples->what());
  data.calibration = batched(samples, inputs, std::move(split.calibration), "");
  if (holdout > 0) data.held_out = batched(samples, inputs, std::move(split.holdout), " (held out)");
  return data;
}

std::unique_ptr<BatchSource> make_calibration_source(const Model& model, const SourceOptions& options) {
  return std::move(make_calibration_data(model, options, false).calibration);
}

}  // namespace yoloq
