// Plan JSON reader (`quantize --plan`), then printing the plan back.
#include "fuzz_input.hpp"
#include "yoloq/plan/quant_plan.hpp"
#include "yoloq/support/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto plan = yoloq::load_plan(yoloq::fuzz::write_input("plan.json", data, size));
    (void)yoloq::to_json(plan).dump();
  } catch (const yoloq::Error&) {
  }
  return 0;
}
