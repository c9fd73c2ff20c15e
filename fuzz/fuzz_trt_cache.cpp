// Calibration caches: TensorRT's text format, and yoloq's JSON (load_ranges picks by content).
#include "fuzz_input.hpp"
#include "yoloq/calib/ranges.hpp"
#include "yoloq/scales/scales.hpp"
#include "yoloq/support/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto ranges = yoloq::load_ranges(yoloq::fuzz::write_input("cache", data, size));
    for (const auto& [name, r] : ranges.tensors) (void)yoloq::symmetric_scale(r.amax);
  } catch (const yoloq::Error&) {
  }
  return 0;
}
