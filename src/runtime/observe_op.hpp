#pragma once
// The Observe op (tensor_observer.hpp) as an ONNX Runtime custom op, registered per session.
#include <onnxruntime_cxx_api.h>

#include <memory>

#include "yoloq/runtime/tensor_observer.hpp"

namespace yoloq {

struct ObserveOp;

// The custom-op domain a session with an observer adds to its options; it must outlive the
// session (ONNX Runtime keeps pointers to it).
class ObserveDomain {
 public:
  explicit ObserveDomain(TensorObserver& observer);
  ~ObserveDomain();
  ObserveDomain(const ObserveDomain&) = delete;
  ObserveDomain& operator=(const ObserveDomain&) = delete;

  void add_to(Ort::SessionOptions& options) const { options.Add(domain_); }

 private:
  std::unique_ptr<ObserveOp> op_;
  Ort::CustomOpDomain domain_;
};

}  // namespace yoloq
