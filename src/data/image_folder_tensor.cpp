// The whole letterboxed (or, for a classify model, centre-cropped) image set as one tensor, for `yoloq calib-data`. Only the final array is
// held: each image is decoded straight into its row.
#include "data/source_internal.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq {

Tensor letterbox_image_folder(const std::filesystem::path& folder, int height, int width,
                              std::size_t max_samples, std::uint64_t seed, bool quiet,
                              std::vector<std::string>& warnings, bool classify_crop) {
  if (height <= 0 || width <= 0)
    throw Error("image size " + std::to_string(height) + "x" + std::to_string(width) +
                " must be positive");
  ResolvedInput input{"images", {1, 3, height, width}, false, {}};
  auto samples = make_image_samples(folder, {input}, quiet,
                                    classify_crop ? ImagePreprocessing::ClassifyCrop : ImagePreprocessing::Letterbox);
  const auto split = split_samples(samples->size(), max_samples, 0, true, seed, samples->what());
  const std::size_t per_sample = input.sample_size();
  Tensor out(DType::Float32,
             {static_cast<std::int64_t>(split.calibration.size()), 3, height, width});
  float* data = out.values<float>().data();
  std::size_t kept = 0;
  for (std::size_t index : split.calibration)
    if (samples->fill(index, {data + kept * per_sample})) ++kept;
  if (kept == 0)
    throw Error(samples->what() + ": none of the " + std::to_string(split.calibration.size()) +
                " images could be decoded");
  for (auto& w : samples->take_warnings()) warnings.push_back(std::move(w));
  out.shape[0] = static_cast<std::int64_t>(kept);
  out.bytes.resize(kept * per_sample * sizeof(float));
  return out;
}

}  // namespace yoloq
