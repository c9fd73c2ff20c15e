#pragma once
// Which samples a model was calibrated on, so verification can tell when it is shown them again.
// A sample's fingerprint is a hash of the float values fed to the model (after letterboxing), so
// the same image or array row matches whatever folder or file it is read from, and a different
// image with the same file name does not. quantize records the fingerprints in the written model's
// metadata; verify compares its samples with them.
#include <cstdint>
#include <span>
#include <vector>

#include "yoloq/onnx/model.hpp"

namespace yoloq {

// One sample: its values for each input, in input order.
std::uint64_t sample_fingerprint(const std::vector<std::span<const float>>& inputs);

// The model metadata key: space-separated 16-digit hex fingerprints, in calibration order.
inline constexpr const char* kCalibrationFingerprintsKey = "yoloq.calibration_fingerprints";
void record_calibration_fingerprints(Model& model, const std::vector<std::uint64_t>& fingerprints);
// Empty when the model records none (not written by yoloq, ranges from a cache) or the value is
// not a list of fingerprints.
std::vector<std::uint64_t> recorded_calibration_fingerprints(const Model& model);

}  // namespace yoloq
