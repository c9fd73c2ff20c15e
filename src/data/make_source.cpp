// Picks the kind of calibration data from the path and splits it into calibration and holdout.
#include <iostream>

#include "data/source_internal.hpp"
#include "yoloq/support/error.hpp"

namespace fs = std::filesystem;

namespace yoloq {

namespace {

enum class Part { Calibration, Holdout };

std::unique_ptr<BatchSource> make_source(const Model& model, const SourceOptions& options,
                                         Part part) {
  auto inputs = resolve_inputs(model, options.shapes);
  std::shared_ptr<SampleProvider> samples;
  bool shuffle = false;
  const fs::path& path = options.path;
  std::error_code ec;
  if (path.empty()) {
    const std::size_t count = (options.max_samples ? options.max_samples : 1) + options.holdout;
    samples = make_random_samples(count, options.seed, inputs);
    // Always shown, --quiet or not: random scales are placeholders the user must know about.
    if (part == Part::Calibration)
      std::cerr << "yoloq: warning: no calibration data given: using " << count - options.holdout
                << " random sample(s), uniform [0,1), seed " << options.seed
                << "; these scales are placeholders that do not match real activations, calibrate "
                   "on real images\n";
  } else if (fs::is_directory(path, ec)) {
    samples = make_image_samples(path, inputs, options.quiet);
    shuffle = true;
  } else if (!fs::exists(path, ec)) {
    throw Error(path.string() + ": no such file or folder");
  } else if (!fs::is_regular_file(path, ec)) {
    // A FIFO or a device would block or never end.
    throw Error(path.string() + ": is not a regular file or a folder");
  } else if (path.extension() == ".npy") {
    samples = make_npy_samples(path, inputs);
  } else if (path.extension() == ".npz") {
    samples = make_npz_samples(path, inputs);
  } else {
    throw Error(
        path.string() +
        ": unknown calibration data (expected a .npy file, a .npz file or a folder of images)");
  }
  auto split = split_samples(samples->size(), options.max_samples, options.holdout, shuffle,
                             options.seed, samples->what());
  auto& indices = part == Part::Calibration ? split.calibration : split.holdout;
  const std::string description = std::to_string(indices.size()) + " " + samples->kind() +
                                  " from " + samples->what() +
                                  (part == Part::Holdout ? " (held out)" : "");
  if (indices.size() < static_cast<std::size_t>(inputs.front().shape[0]) &&
      !inputs.front().dynamic_batch)
    throw Error(samples->what() + ": " + std::to_string(indices.size()) +
                " sample(s) do not fill one batch of " + std::to_string(inputs.front().shape[0]));
  return make_batched_source(std::move(samples), std::move(inputs), std::move(indices),
                             description);
}

}  // namespace

std::unique_ptr<BatchSource> make_calibration_source(const Model& model,
                                                     const SourceOptions& options) {
  return make_source(model, options, Part::Calibration);
}

std::unique_ptr<BatchSource> make_holdout_source(const Model& model, const SourceOptions& options) {
  if (options.holdout == 0)
    throw Error("make_holdout_source: no holdout samples requested (holdout = 0)");
  return make_source(model, options, Part::Holdout);
}

}  // namespace yoloq
