#pragma once
// Small models that several test programs load, save and run.
#include <filesystem>
#include <string>

#include "test_support.hpp"
#include "yoloq/onnx/model.hpp"
#include "yoloq/synth/graph_builder.hpp"

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

}  // namespace yoloq::testing
