#pragma once
// Helpers of the synth tests: inputs, running a model in memory, comparing graphs and outputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "yoloq/onnx/model.hpp"
#include "yoloq/runtime/session.hpp"
#include "yoloq/synth/yolo_synth.hpp"
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

// The options of `name` at `imgsz` (and `num_classes`, else the architecture's default).
inline SynthOptions arch(const std::string& name, std::int64_t imgsz = 640,
                         std::optional<std::int64_t> num_classes = std::nullopt) {
  SynthOptions o;
  o.arch = name;
  o.imgsz = imgsz;
  o.num_classes = num_classes;
  return o;
}

// What the fidelity tests compare a synth graph and its reference export by.

// The reference exports of bench/exports: $YOLOQ_EXPORTS, else /work/exports (absent in CI).
inline std::filesystem::path exports_dir() {
  if (const char* env = std::getenv("YOLOQ_EXPORTS")) return env;
  return "/work/exports";
}

inline std::map<std::string, std::vector<std::int64_t>> initializer_shapes(const Model& m) {
  std::map<std::string, std::vector<std::int64_t>> shapes;
  for (const auto& t : m.graph().initializer())
    shapes[t.name()] = {t.dims().begin(), t.dims().end()};
  return shapes;
}

inline std::set<std::string> node_names(const Model& m) {
  std::set<std::string> names;
  for (const auto& n : m.graph().node()) names.insert(n.name());
  return names;
}

// Largest difference over all outputs of the two models on `image`.
inline float max_output_difference(const Model& synth, const std::filesystem::path& reference, const Tensor& image) {
  Session a(serialize_model(synth), "synth", synth_test_runtime());
  Session b(reference, synth_test_runtime());
  auto x = a.run({{"images", image}});
  auto y = b.run({{"images", image}});
  EXPECT_EQ(x.size(), y.size());
  float worst = 0.0f;
  for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
    EXPECT_EQ(x[i].shape, y[i].shape);
    if (x[i].shape == y[i].shape)
      worst = std::max(worst, max_abs_difference(x[i], y[i]));
  }
  return worst;
}

// The node indices where synth and export differ, each node compared whole (op type, name,
// inputs, outputs, attributes).
inline std::vector<int> differing_nodes(const Model& synth, const Model& real) {
  std::vector<int> differ;
  for (int i = 0; i < synth.graph().node_size() && i < real.graph().node_size(); ++i)
    if (synth.graph().node(i).SerializeAsString() != real.graph().node(i).SerializeAsString())
      differ.push_back(i);
  return differ;
}

inline SynthOptions with_weights(const std::string& arch, const std::filesystem::path& weights) {
  SynthOptions o;
  o.arch = arch;
  o.weights = weights;
  return o;
}

inline std::string metadata_value(const Model& m, const std::string& key) {
  for (const auto& p : m.proto.metadata_props())
    if (p.key() == key) return p.value();
  return "(absent)";
}

}  // namespace yoloq::testing
