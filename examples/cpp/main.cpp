// quantize_model MODEL.onnx OUT.onnx: INT8 Q/DQ for TensorRT, as `yoloq quantize --no_verify`
// does. No calibration data is given, so yoloq calibrates on seeded random data (placeholder
// scales: set options.source.path to a folder of images or a .npy for real ones).
#include <exception>
#include <iostream>

#include "yoloq/pipeline/quantize.hpp"
#include "yoloq/pipeline/report.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: " << argv[0] << " MODEL.onnx OUT.onnx\n";
    return 2;
  }
  yoloq::QuantizeOptions options;
  options.onnx_path = argv[1];
  options.output_path = argv[2];
  options.verify = false;  // verification runs both models on held-out data: slower
  try {
    const yoloq::QuantizeResult result = yoloq::quantize(options);
    for (const auto& warning : result.warnings) std::cerr << "warning: " << warning << '\n';
    std::cout << yoloq::summary_text(result);
  } catch (const std::exception& e) {  // yoloq::Error: one line naming the file or node
    std::cerr << "error: " << e.what() << '\n';
    return 1;
  }
}
