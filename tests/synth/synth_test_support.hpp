#pragma once
// Helpers of the synth tests: inputs, running a model in memory, comparing outputs.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

#include "yoloq/onnx/model.hpp"
#include "yoloq/runtime/session.hpp"
#include "yoloq/tensor/tensor.hpp"

namespace yoloq::testing {

inline RuntimeOptions synth_test_runtime() {
  RuntimeOptions options;
  options.threads = 2;  // the test machine is shared
  return options;
}

// An image-like input: uniform [0, 1], fixed by the seed.
inline Tensor random_image(std::int64_t imgsz, std::uint32_t seed) {
  Tensor t(DType::Float32, {1, 3, imgsz, imgsz});
  std::mt19937 gen(seed);
  for (auto& v : t.values<float>())
    v = static_cast<float>(gen() >> 8) / static_cast<float>(1u << 24);
  return t;
}

inline float max_abs_difference(const Tensor& a, const Tensor& b) {
  auto x = a.values<float>();
  auto y = b.values<float>();
  float worst = 0.0f;
  for (std::size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(x[i] - y[i]));
  return worst;
}

inline Tensor run_first_output(Session& session, const Tensor& image) {
  return session.run({{"images", image}})[0];
}

inline std::int64_t numel(const onnx::TensorProto& t) {
  std::int64_t n = 1;
  for (auto d : t.dims()) n *= d;
  return n;
}

}  // namespace yoloq::testing
