#pragma once
// Stage 3 input: where calibration batches come from. Every source yields batches of named input
// tensors, one at a time, so memory never grows with the size of the calibration set.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "yoloq/onnx/model.hpp"
#include "yoloq/runtime/session.hpp"

namespace yoloq {

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual std::optional<NamedTensors> next() = 0;  // nullopt when exhausted
  virtual std::size_t batch_count() const = 0;
  virtual std::size_t sample_count() const = 0;     // images / rows in all batches
  virtual std::string description() const = 0;      // "126 images from DIR", "random uniform [0,1), seed 0"
  virtual void rewind() = 0;                        // start over (verify reuses a source)
};

struct SourceOptions {
  // "" = random data. A .npy file, a .npz file, or a folder of images.
  std::filesystem::path path;
  // --calibration_shapes "images:1x3x640x640,other:..."; overrides the model's input shapes.
  std::string shapes;
  std::size_t max_samples = 0;  // --calibration_size; 0 = all (random data: 1 sample, like ModelOpt)
  std::uint64_t seed = 0;       // image selection shuffle and random data
  bool quiet = false;           // suppresses warnings about skipped images
  // Samples to hold out of the calibration set for verification: the last `holdout` samples
  // (after shuffling) are served by make_holdout_source instead.
  std::size_t holdout = 0;
};

// Input shapes of `model` resolved with `options.shapes` (batch and dynamic dims filled in).
std::vector<std::pair<std::string, std::vector<std::int64_t>>> resolve_input_shapes(const Model& model,
                                                                                    const std::string& shapes);

std::unique_ptr<BatchSource> make_calibration_source(const Model& model, const SourceOptions& options);
// The held-out part (options.holdout samples) for verification; same data kind as calibration.
std::unique_ptr<BatchSource> make_holdout_source(const Model& model, const SourceOptions& options);

// `yoloq calib-data`: letterboxes the images of `folder` (all, or `max_samples` chosen by a
// seeded shuffle) into one [N, 3, height, width] float32 tensor, in path order, the array
// ModelOpt's --calibration_data_path takes. Undecodable images are skipped with a warning.
Tensor letterbox_image_folder(const std::filesystem::path& folder, int height, int width, std::size_t max_samples,
                              std::uint64_t seed, bool quiet = false);

}  // namespace yoloq
