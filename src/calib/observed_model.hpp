#pragma once
// The model calibration runs: the float model with an Observe node on each calibrated tensor, so
// that its values are collected inside the run where they are computed (runtime/tensor_observer.hpp)
// and ONNX Runtime frees or reuses their memory as it does in plain inference.
#include <string>
#include <vector>

#include "yoloq/onnx/model.hpp"

namespace yoloq {

// Adds to `model` one Observe node per tensor of `tensors`, with id = its index there, and makes
// each node's (empty) output a graph output. Returns those outputs' names, in the same order: a run
// fetching them runs every Observe node.
std::vector<std::string> add_observers(Model& model, const std::vector<std::string>& tensors);

}  // namespace yoloq
