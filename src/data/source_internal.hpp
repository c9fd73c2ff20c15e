#pragma once
// Internals shared by the calibration sources: every kind of data is a SampleProvider (it fills
// one sample of one input on request), and one BatchedSource turns a list of sample indices into
// batches, checks values and handles skipped samples. Only the current batch is held in memory.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "yoloq/data/batch_source.hpp"
#include "yoloq/yolo/classify_crop.hpp"

namespace yoloq {

struct ResolvedInput {
  std::string name;
  std::vector<std::int64_t> shape;  // batch first; -1 where only tensor data can say (see below)
  bool dynamic_batch = false;       // the model accepts a smaller last batch
  // Dimensions after the batch that are dynamic in the model and not set by
  // --calibration_shapes: tensor data (.npy, .npz, arrays) gives them its own size; images and
  // random data take the Ultralytics metadata's imgsz, and without it they stay -1 and the source
  // refuses them (check_sized).
  std::vector<bool> data_sized;
  std::size_t sample_size() const {
    std::size_t n = 1;
    for (std::size_t d = 1; d < shape.size(); ++d) n *= static_cast<std::size_t>(shape[d]);
    return n;
  }
  // "Nx3x640x640": the shape a data array for this input must have ("Nx3xHxW" where data_sized).
  std::string data_shape() const;
  // Takes the data's size for the data-sized dimensions of an array of `shape` (rank and fixed
  // dimensions are checked by the caller).
  void adopt_data_sizes(const std::vector<std::int64_t>& shape);
  // True when an array of `shape` [N, ...] can feed this input: same rank, the fixed dimensions
  // equal, any positive size where data_sized.
  bool accepts(const std::vector<std::int64_t>& shape) const;
};

// Throws Error when an input still has a dimension only tensor data could have set.
void check_sized(const std::vector<ResolvedInput>& inputs, const std::string& what);

std::vector<ResolvedInput> resolve_inputs(const Model& model, const std::string& shapes);

class SampleProvider {
 public:
  virtual ~SampleProvider() = default;
  virtual std::size_t size() const = 0;
  // Writes sample `index` of every input (destinations[i] holds inputs[i].sample_size() floats).
  // Returns false when the sample is unusable and must be skipped (with a warning in
  // take_warnings(), unless the provider was made quiet).
  virtual bool fill(std::size_t index, const std::vector<float*>& destinations) = 0;
  // Where sample `index` came from, once filled (images: the file and its letterbox).
  virtual SampleOrigin origin(std::size_t /*index*/) const { return {}; }
  virtual std::vector<std::string> take_warnings() { return {}; }
  // Names sample `index` in messages: "sample 12" (rows of an array) or the image file.
  virtual std::string sample_name(std::size_t index) const { return "sample " + std::to_string(index); }
  virtual std::string what() const = 0;  // the file or folder, for messages
  virtual std::string kind() const { return "samples"; }  // or "images", "random samples"
};

// The checks .npz archives and in-memory arrays share: one float32 array [N, ...] per model input,
// found by name, all with the same N (stored in `sample_count`). Returns, per input, the index of
// its array; throws Error (prefixed with `what`) on an unknown or missing name, another dtype, a
// shape that does not fit, or differing counts.
struct ArrayDescription {
  std::string name;
  std::string dtype;  // numpy-style name
  std::vector<std::int64_t> shape;
};
// Also sizes the inputs' data-sized dimensions from the arrays.
std::vector<std::size_t> match_input_arrays(const std::string& what, const std::vector<ArrayDescription>& arrays,
                                            std::vector<ResolvedInput>& inputs, std::size_t& sample_count);

// The tensor sources size the inputs' data-sized dimensions from their arrays.
std::shared_ptr<SampleProvider> make_npy_samples(const std::filesystem::path& path, std::vector<ResolvedInput>& inputs);
std::shared_ptr<SampleProvider> make_npz_samples(const std::filesystem::path& path, std::vector<ResolvedInput>& inputs);
std::shared_ptr<SampleProvider> make_array_samples(const std::vector<ArrayView>& arrays,
                                                   std::vector<ResolvedInput>& inputs);
// Images letterboxed, or resized and centre-cropped for a classify model (yolo/classify_crop.hpp).
std::shared_ptr<SampleProvider> make_image_samples(const std::filesystem::path& folder,
                                                   const std::vector<ResolvedInput>& inputs,
                                                   bool quiet,
                                                   ImagePreprocessing preprocessing = ImagePreprocessing::Letterbox);
std::shared_ptr<SampleProvider> make_random_samples(std::size_t count, std::uint64_t seed,
                                                    const std::vector<ResolvedInput>& inputs);

// Sample indices split into calibration and holdout: the last `holdout` (after a seeded shuffle
// when `shuffle`) are held out; at most `max_samples` (0 = all) of the rest calibrate.
struct SampleSplit {
  std::vector<std::size_t> calibration, holdout;
};
SampleSplit split_samples(std::size_t count, std::size_t max_samples, std::size_t holdout,
                          bool shuffle, std::uint64_t seed, const std::string& what);

// Portable seeded randomness: the same numbers with every standard library.
std::uint64_t splitmix64(std::uint64_t& state);
std::size_t uniform_index(std::uint64_t& state, std::size_t bound);  // in [0, bound)

std::unique_ptr<BatchSource> make_batched_source(std::shared_ptr<SampleProvider> samples,
                                                 std::vector<ResolvedInput> inputs,
                                                 std::vector<std::size_t> indices,
                                                 std::string description);
// The provider for `options.path` (random data: `random_count` samples); image folders are
// prepared with `preprocessing`.
std::shared_ptr<SampleProvider> make_sample_provider(std::vector<ResolvedInput>& inputs,
                                                     const SourceOptions& options, std::size_t random_count,
                                                     ImagePreprocessing preprocessing = ImagePreprocessing::Letterbox);

}  // namespace yoloq
