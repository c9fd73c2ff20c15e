#pragma once
// Where a synthesized graph's parameters come from: generated from a seed, or copied by name
// from an existing export of the same architecture.
#include <cstdint>
#include <string>
#include <vector>

#include "synth/onnx_graph_builder.hpp"

namespace yoloq::yolo {

// Deterministic from (seed, parameter name): the same parameter gets the same values whatever
// else the graph holds. Scaled per role so that activations stay O(1) through the network.
std::vector<onnx::TensorProto> synthetic_parameters(const std::vector<ParameterSpec>& specs,
                                                    std::uint64_t seed);

// Every spec must exist in `from` as a float32 initializer of the same shape, and `from` must not
// hold convolution parameters the architecture lacks; throws Error naming `what`, the
// architecture and the first mismatch.
std::vector<onnx::TensorProto> copied_parameters(const std::vector<ParameterSpec>& specs,
                                                 const Model& from, const std::string& what,
                                                 const std::string& architecture);

}  // namespace yoloq::yolo
