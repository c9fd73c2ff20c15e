#pragma once
// Finds an Ultralytics Detect head by graph structure, never by node names: the DFL (Reshape ->
// Transpose -> Softmax -> a 1x1 Conv with 16 inputs and 1 output), the output convolutions that
// feed it and the class scores, and everything downstream of them (box decoding, Sigmoid, the
// final Concat).
#include <cstddef>
#include <optional>
#include <set>

#include "yoloq/onnx/model.hpp"

namespace yoloq {

struct DetectHead {
  std::size_t dfl_softmax = 0;  // node indices into the graph
  std::size_t dfl_conv = 0;
  std::set<std::size_t> output_convs;  // the convolutions producing raw box and class channels
  // Every node downstream of the output convolutions, excluding the output convolutions
  // themselves: the per-level Concats and Reshapes, the DFL, the anchor/stride arithmetic, the
  // Sigmoid of the class scores, the final Concat.
  std::set<std::size_t> tail;
};

std::optional<DetectHead> find_detect_head(const GraphIndex& index);

}  // namespace yoloq
