#pragma once
// A way to run independent pieces of work, passed to code that can split its work but should not
// own threads: calibration's collectors split a tensor into chunks and run them on ONNX Runtime's
// intra-op threads (runtime/tensor_observer.hpp), or serially.
#include <cstddef>
#include <functional>

namespace yoloq {

// Runs work(0) .. work(count - 1), possibly in parallel; returns when all are done. `work` must not
// throw.
using ParallelFor = std::function<void(std::size_t count, const std::function<void(std::size_t)>& work)>;

inline void run_serially(std::size_t count, const std::function<void(std::size_t)>& work) {
  for (std::size_t i = 0; i < count; ++i) work(i);
}

}  // namespace yoloq
