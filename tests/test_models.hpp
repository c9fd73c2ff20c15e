#pragma once
// Small models that several test programs load, save and run.
#include <filesystem>
#include <string>

#include "test_support.hpp"
#include "yoloq/onnx/model.hpp"
#include "yoloq/synth/graph_builder.hpp"
#include "yoloq/tensor/npy.hpp"

namespace yoloq::testing {

// y = x + w with x: float [1, n] and w: float [n] = 0, 0.5, 1, ... ; a valid model ONNX Runtime
// runs, with a weight big enough (n * 4 bytes) to go to external data when asked.
inline Model add_model(std::int64_t n) {
  GraphBuilder g;
  g.input("x", {1, n});
  g.output("y", {1, n});
  Tensor w(DType::Float32, {n});
  for (std::int64_t i = 0; i < n; ++i) w.values<float>()[static_cast<std::size_t>(i)] = 0.5f * static_cast<float>(i);
  g.initializer("w", w);
  g.node("Add", "add", {"x", "w"}, {"y"});
  g.model().proto.set_producer_name("yoloq-test");
  return g.model();
}

// Writes add_model(300) with its weight "w" (1200 bytes) declared as external data at
// `location`, and does not write the data: the test decides what, if anything, is there.
inline void write_model_with_external_weight(const std::filesystem::path& model_path, const std::string& location) {
  Model model = add_model(300);
  auto& w = *model.graph().mutable_initializer(0);
  w.clear_raw_data();
  w.set_data_location(onnx::TensorProto::EXTERNAL);
  auto* entry = w.add_external_data();
  entry->set_key("location");
  entry->set_value(location);
  spit(model_path, model.proto.SerializeAsString());
}

// x -> c1 -> Relu -> c2 -> Relu -> c3 -> [1, 6, 64] -> Sigmoid -> x (8, 8, 8, 8, 1, 1): the
// layout of a detect output with 2 classes (boxes in 8-pixel units, scores in (0, 1)).
inline Model small_detector() {
  GraphBuilder g;
  g.input("x", {1, 3, 8, 8});
  g.conv("c1", "x", "c1_out", 8, 3, 3);
  g.node("Relu", "r1", {"c1_out"}, {"a1"});
  g.conv("c2", "a1", "c2_out", 8, 8, 3);
  g.node("Relu", "r2", {"c2_out"}, {"a2"});
  g.conv("c3", "a2", "c3_out", 6, 8, 1);
  g.initializer("flat_shape", int64_vector({1, 6, 64}));
  g.node("Reshape", "flatten", {"c3_out", "flat_shape"}, {"flat"});
  g.node("Sigmoid", "sigmoid", {"flat"}, {"probabilities"});
  g.initializer("box_scale", float_tensor({1, 6, 1}, {8, 8, 8, 8, 1, 1}));
  g.node("Mul", "scale", {"probabilities", "box_scale"}, {"output0"});
  g.output("output0", {1, 6, 64});
  Model m = std::move(g.model());
  m.path = "small_detector.onnx";
  return m;
}

// 40 samples for small_detector, a fixed pattern in [0, 1): 35 calibrate, 5 are held out.
inline void write_detector_samples(const std::filesystem::path& path) {
  Tensor t(DType::Float32, {40, 3, 8, 8});
  auto v = t.values<float>();
  std::uint32_t state = 12345;
  for (auto& x : v) {
    state = state * 1664525u + 1013904223u;
    x = static_cast<float>(state >> 8) / static_cast<float>(1u << 24);
  }
  write_npy(path, t);
}

}  // namespace yoloq::testing
