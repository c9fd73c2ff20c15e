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
#include "yoloq/yolo/letterbox.hpp"

namespace yoloq {

// Where one sample came from: the image file and how it was letterboxed (image folders), or
// nothing (tensors from .npy/.npz, random data). Verification maps detections back with it. The
// fingerprint (fingerprint.hpp) identifies the sample's values, whatever their source.
struct SampleOrigin {
  std::filesystem::path image;
  std::optional<LetterboxGeometry> geometry;
  std::uint64_t fingerprint = 0;
};

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual std::optional<NamedTensors> next() = 0;  // nullopt when exhausted
  virtual std::size_t batch_count() const = 0;
  virtual std::size_t sample_count() const = 0;     // images / rows in all batches
  virtual std::string description() const = 0;      // "126 images from DIR", "random uniform [0,1), seed 0"
  virtual void rewind() = 0;                        // start over (verify reuses a source)
  // One per sample of the batch next() returned last, in batch order.
  virtual const std::vector<SampleOrigin>& origins() const = 0;
  // Warnings since the last call (skipped images, an unfilled last batch); the library does not
  // print, its caller does.
  virtual std::vector<std::string> take_warnings() = 0;
};

// A caller's array used as calibration data in place, without a copy: how the Python module passes
// numpy arrays. The caller keeps the memory alive and unchanged until the source is destroyed.
struct ArrayView {
  std::string name;   // the model input it feeds; "" = the model's only input
  std::string dtype;  // numpy's name ("float32", "float64", "uint8", ...); only float32 is accepted
  std::vector<std::int64_t> shape;  // [N, ...], C order
  const void* data = nullptr;
};

struct SourceOptions {
  // "" = random data (unless `arrays` holds data). A .npy file, a .npz file, or a folder of images.
  std::filesystem::path path;
  // In-memory data instead of a path (one array per model input, or one for a single-input model):
  // split and read as a .npz file would be.
  std::vector<ArrayView> arrays;
  // --calibration_shapes "images:1x3x640x640,other:..."; overrides the model's input shapes.
  std::string shapes;
  std::size_t max_samples = 0;  // --calibration_size; 0 = all (random data: 1 sample, like ModelOpt)
  std::uint64_t seed = 0;       // image selection shuffle and random data
  bool quiet = false;           // suppresses warnings about skipped images

  bool random() const { return path.empty() && arrays.empty(); }  // no data given: random samples
};

// Input shapes of `model` resolved with `options.shapes` (batch and dynamic dims filled in).
std::vector<std::pair<std::string, std::vector<std::int64_t>>> resolve_input_shapes(const Model& model,
                                                                                    const std::string& shapes);

std::unique_ptr<BatchSource> make_calibration_source(const Model& model, const SourceOptions& options);

// How many samples verification holds out of `samples` calibration samples: an eighth, 4 to 32,
// when there are at least 16; with fewer, none (verification then reuses calibration samples).
// Random data always holds out 4 more samples of its own.
std::size_t holdout_count(std::size_t samples);
constexpr std::size_t kRandomHoldout = 4;

// The calibration samples and, disjoint from them, the held-out samples verification checks the
// written model on (the last holdout_count() after the seeded shuffle; null when none). With
// max_samples (--calibration_size N) exactly N samples calibrate, for every source, and only
// samples beyond them are held out; without it, holdout_count(all) come off the whole set. Built
// from one reading of the data's description; `warnings` holds what the caller should print
// (random data stands in for real images).
struct CalibrationData {
  std::unique_ptr<BatchSource> calibration, held_out;
  std::vector<std::string> warnings;
};
CalibrationData make_calibration_data(const Model& model, const SourceOptions& options, bool hold_out);

// `yoloq calib-data`: letterboxes the images of `folder` (all, or `max_samples` chosen by a
// seeded shuffle) into one [N, 3, height, width] float32 tensor, in path order, the array
// ModelOpt's --calibration_data_path takes. Undecodable images are skipped, each with a warning
// added to `warnings`. `classify_crop`: resized and centre-cropped as a classify model takes them
// (yolo/classify_crop.hpp) instead of letterboxed.
Tensor letterbox_image_folder(const std::filesystem::path& folder, int height, int width, std::size_t max_samples,
                              std::uint64_t seed, bool quiet, std::vector<std::string>& warnings,
                              bool classify_crop = false);

}  // namespace yoloq
