// ONNX loader and `yoloq inspect`: parse, external data (confined to the scratch folder), the
// structure checks, then the summary as text and JSON.
#include "fuzz_input.hpp"
#include "yoloq/onnx/model.hpp"
#include "yoloq/onnx/model_summary.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/yolo/metadata.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // An external data file beside the model, so locations, offsets and lengths get exercised.
  static const bool data_file = [] {
    std::uint8_t bytes[256];
    for (int i = 0; i < 256; ++i) bytes[i] = static_cast<std::uint8_t>(i);
    yoloq::fuzz::write_input("model.onnx.data", bytes, sizeof bytes);
    return true;
  }();
  (void)data_file;
  try {
    auto model = yoloq::load_model(yoloq::fuzz::write_input("model.onnx", data, size));
    auto summary = yoloq::summarize(model);
    (void)yoloq::to_text(summary);
    (void)yoloq::to_json(summary).dump();
    if (auto metadata = yoloq::read_yolo_metadata(model)) (void)yoloq::metadata_text(*metadata);
  } catch (const yoloq::Error&) {
  }
  return 0;
}
