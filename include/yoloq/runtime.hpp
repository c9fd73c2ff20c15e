#pragma once
// A thin RAII layer over ONNX Runtime's C++ API: sessions from a file or from bytes in memory,
// execution providers in priority order, and runs on named yoloq::Tensor inputs.
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "yoloq/tensor.hpp"

namespace yoloq {

struct RuntimeOptions {
  // In priority order, ModelOpt's spelling: "cpu", "cuda:0", "trt". CPU is always appended.
  std::vector<std::string> execution_providers{"cpu"};
  int threads = 0;  // intra-op threads; 0 lets ONNX Runtime choose
  bool warn_on_missing_providers = true;
};

// Providers this ONNX Runtime library was built with, ONNX Runtime's names.
std::vector<std::string> available_providers();

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
