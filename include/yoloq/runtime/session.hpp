#pragma once
// A thin RAII layer over ONNX Runtime's C++ API: sessions from a file or from bytes in memory,
// execution providers in priority order, and runs on named yoloq::Tensor inputs.
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "yoloq/runtime/tensor_observer.hpp"
#include "yoloq/tensor/tensor.hpp"

namespace yoloq {

struct RuntimeOptions {
  // In priority order, ModelOpt's spelling: "cpu", "cuda:0", "trt". CPU is always appended; a
  // provider this ONNX Runtime cannot use is skipped (provider_warnings says which).
  std::vector<std::string> execution_providers{"cpu"};
  int threads = 0;  // intra-op threads; 0 lets ONNX Runtime choose
  // ONNX Runtime's idle worker threads spin for work by default, which is fastest when nothing else
  // runs; a caller that does its own work on other threads between and during runs (calibration)
  // turns it off so the spinning does not take their cores.
  bool allow_spinning = true;
  // ONNX Runtime's extended graph optimizations, which fuse Q/DQ pairs into integer kernels. Off:
  // the basic ones only, so the Q/DQ arithmetic runs as written.
  bool fuse_qdq = true;
  // Receives the tensors of the model's Observe nodes during runs (tensor_observer.hpp); must
  // outlive the session. Without one, a model with Observe nodes does not load.
  TensorObserver* observer = nullptr;
};

// Providers this ONNX Runtime library was built with, ONNX Runtime's names.
std::vector<std::string> available_providers();
// The ONNX Runtime library's own version ("1.30.0"): speed figures depend on it.
std::string onnxruntime_version();

// --calibration_eps as every subcommand reads it: values split on spaces and commas (ModelOpt's
// users write "cuda:0 cpu" as one argument), lower-cased; throws Error for a name that is not
// cpu, cuda, cuda:N, trt or tensorrt(:N).
std::vector<std::string> parse_execution_providers(const std::vector<std::string>& values);
// One line per requested provider this ONNX Runtime cannot use, for the caller to print.
std::vector<std::string> provider_warnings(const std::vector<std::string>& execution_providers);

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Session {
 public:
  Session(const std::filesystem::path& model_path, const RuntimeOptions& options = {});
  Session(const std::string& model_bytes, const std::string& what, const RuntimeOptions& options = {});
  ~Session();
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;

  const std::vector<std::string>& input_names() const;
  const std::vector<std::string>& output_names() const;
  std::vector<std::vector<std::int64_t>> input_shapes() const;  // -1 for dynamic dims

  // Runs on named inputs and returns the requested outputs (all when empty), in request order.
  std::vector<Tensor> run(const NamedTensors& inputs, const std::vector<std::string>& outputs = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace yoloq
