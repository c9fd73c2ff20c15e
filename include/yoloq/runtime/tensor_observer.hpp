#pragma once
// Reading intermediate tensors inside an ONNX Runtime run, where they are computed, instead of
// returning them as graph outputs. A graph output lives until the end of the run, so a session
// returning every calibrated activation holds all of them at once (790 MB per YOLO11x image for
// trt's set); an observed tensor is read by a node right after it is computed, and ONNX Runtime
// reuses its memory as soon as its last consumer is done, as in plain inference.
#include <cstddef>
#include <span>
#include <string_view>

#include "yoloq/support/parallel_for.hpp"

namespace yoloq {

// Receives observed tensors. A model marks a tensor for observation with a node of type
// kObserveOpType in domain kObserveDomain (one float32 input, the tensor; an int attribute "id";
// one output, an empty float32 tensor the graph must output so that runs fetching it run the
// node), and a session created with RuntimeOptions::observer calls observe() when the node runs.
class TensorObserver {
 public:
  virtual ~TensorObserver() = default;
  // Called on ONNX Runtime's thread during Session::run, once per observed tensor per run, one
  // tensor at a time; `element_type` is dtype_name()'s ("float32"), and `values` are empty unless
  // it is float32. `parallel_for` runs work on ONNX Runtime's intra-op threads, which are idle
  // while the node runs. It should not throw: an observer keeps its errors for its owner to
  // report after the run (a throw fails the run under ONNX Runtime's wording).
  virtual void observe(std::size_t id, std::string_view element_type, std::span<const float> values,
                       const ParallelFor& parallel_for) = 0;
};

inline constexpr const char* kObserveDomain = "ai.yoloq";
inline constexpr const char* kObserveOpType = "Observe";

}  // namespace yoloq
