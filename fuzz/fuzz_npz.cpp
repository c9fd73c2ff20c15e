// NPZ reader (libzip from memory, then the NPY parser per member).
#include "fuzz_input.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/tensor/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    (void)yoloq::read_npz(yoloq::fuzz::write_input("input.npz", data, size));
  } catch (const yoloq::Error&) {
  }
  return 0;
}
