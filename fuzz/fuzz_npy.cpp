// NPY parser: any bytes give a Tensor or a yoloq::Error.
#include <cstdint>

#include "yoloq/support/error.hpp"
#include "yoloq/tensor/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto t = yoloq::parse_npy(data, size, "fuzz.npy");
    (void)yoloq::serialize_npy(t);
  } catch (const yoloq::Error&) {
  }
  return 0;
}
