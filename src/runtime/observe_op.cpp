#include "runtime/observe_op.hpp"

#include <exception>
#include <string>
#include <vector>

#include "runtime/element_types.hpp"

namespace yoloq {

namespace {

// Hands the node's input to the observer; its output is an empty tensor. Errors go back to ONNX
// Runtime as a status: no exception may cross its C API.
struct ObserveKernel {
  TensorObserver* observer;
  std::size_t id;

  OrtStatusPtr ComputeV2(OrtKernelContext* raw) const {
    try {
      Ort::KernelContext context(raw);
      const auto input = context.GetInput(0);
      const auto info = input.GetTensorTypeAndShapeInfo();
      const ParallelFor parallel_for = [&](std::size_t count, const std::function<void(std::size_t)>& work) {
        if (count <= 1) return run_serially(count, work);
        context.ParallelFor([](void* w, std::size_t i) { (*static_cast<const std::function<void(std::size_t)>*>(w))(i); },
                            count, 0, const_cast<std::function<void(std::size_t)>*>(&work));
      };
      if (info.GetElementType() == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) {
        observer->observe(id, "float32", {input.GetTensorData<float>(), info.GetElementCount()}, parallel_for);
      } else {
        std::string type = "of an element type yoloq does not read";
        try {
          type = dtype_name(from_ort_type(info.GetElementType(), ""));
        } catch (const Error&) {
        }
        observer->observe(id, type, {}, parallel_for);
      }
      const std::vector<std::int64_t> empty{0};
      context.GetOutput(0, empty);
      return nullptr;
    } catch (const std::exception& e) {
      return Ort::Status(e.what(), ORT_FAIL).release();
    }
  }
};

}  // namespace

struct ObserveOp : Ort::CustomOpBase<ObserveOp, ObserveKernel, /*WithStatus=*/true> {
  explicit ObserveOp(TensorObserver& o) : observer(&o) {}
  TensorObserver* observer;

  OrtStatusPtr CreateKernelV2(const OrtApi&, const OrtKernelInfo* info, void** kernel) const {
    try {
      const auto id = Ort::ConstKernelInfo(info).GetAttribute<std::int64_t>("id");
      *kernel = new ObserveKernel{observer, static_cast<std::size_t>(id)};
      return nullptr;
    } catch (const std::exception& e) {
      return Ort::Status(e.what(), ORT_FAIL).release();
    }
  }
  const char* GetName() const { return kObserveOpType; }
  std::size_t GetInputTypeCount() const { return 1; }
  // Any element type: the observer names a tensor that is not float32 in its own words.
  ONNXTensorElementDataType GetInputType(std::size_t) const { return ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED; }
  std::size_t GetOutputTypeCount() const { return 1; }
  ONNXTensorElementDataType GetOutputType(std::size_t) const { return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT; }
};

ObserveDomain::ObserveDomain(TensorObserver& observer)
    : op_(std::make_unique<ObserveOp>(observer)), domain_(kObserveDomain) {
  domain_.Add(op_.get());
}

ObserveDomain::~ObserveDomain() = default;

}  // namespace yoloq
