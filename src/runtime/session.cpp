#include <onnxruntime_cxx_api.h>

#include <algorithm>
#include <cstring>
#include <cctype>
#include <map>
#include <mutex>

#include "yoloq/runtime/session.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq {

namespace {

Ort::Env& env() {
  static Ort::Env instance(ORT_LOGGING_LEVEL_ERROR, "yoloq");
  return instance;
}

ONNXTensorElementDataType ort_type(DType d) {
  switch (d) {
    case DType::Float32: return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT;
    case DType::Float16: return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16;
    case DType::UInt8: return ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8;
    case DType::Int8: return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8;
    case DType::Int32: return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32;
    case DType::Int64: return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64;
  }
  throw Error("unknown dtype");
}

DType from_ort_type(ONNXTensorElementDataType t, const std::string& name) {
  switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: return DType::Float32;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16: return DType::Float16;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8: return DType::UInt8;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8: return DType::Int8;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: return DType::Int32;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: return DType::Int64;
    default: throw Error("output '" + name + "' has an element type yoloq does not read");
  }
}

struct ProviderRequest {
  std::string ort_name;  // "" for cpu
  int device = 0;
};

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

ProviderRequest provider_request(const std::string& ep) {
  const auto colon = ep.find(':');
  std::string name = ep.substr(0, colon);
  std::transform(name.begin(), name.end(), name.begin(), ::tolower);
  ProviderRequest r;
  if (colon != std::string::npos) {
    const std::string digits = ep.substr(colon + 1);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 4)
      throw Error("execution provider '" + ep + "': the device after ':' must be a number (cuda:0)");
    r.device = std::stoi(digits);
  }
  if (name == "cpu") return r;
  if (name == "cuda") r.ort_name = "CUDAExecutionProvider";
  if (name == "trt" || name == "tensorrt") r.ort_name = "TensorrtExecutionProvider";
  if (r.ort_name.empty()) throw Error("unknown execution provider '" + ep + "' (expected cpu, cuda:N or trt)");
  return r;
}

// Appends one provider; ONNX Runtime throws when one compiled into the library cannot be used at
// run time (its shared library, CUDA, or the device is missing).
void append_provider(Ort::SessionOptions& so, const ProviderRequest& r) {
  if (r.ort_name == "CUDAExecutionProvider") {
    OrtCUDAProviderOptions cuda{};
    cuda.device_id = r.device;
    so.AppendExecutionProvider_CUDA(cuda);
  } else {
    OrtTensorRTProviderOptions trt{};
    trt.device_id = r.device;
    so.AppendExecutionProvider_TensorRT(trt);
  }
}

bool is_available(const std::string& ort_name) {
  const auto available = available_providers();
  return std::find(available.begin(), available.end(), ort_name) != available.end();
}

// Whether a provider can be used here: "" when it can, else why not. Probed once per provider
// and device, with ONNX Runtime's own log silenced: its multi-line error about a missing shared
// library is what the one warning line of provider_warnings replaces.
std::string unusable_reason(const ProviderRequest& r) {
  static std::mutex mutex;
  static std::map<std::pair<std::string, int>, std::string> reasons;
  std::lock_guard lock(mutex);
  const auto key = std::make_pair(r.ort_name, r.device);
  if (auto it = reasons.find(key); it != reasons.end()) return it->second;
  std::string reason;
  if (!is_available(r.ort_name)) {
    std::string list;
    for (const auto& a : available_providers()) list += (list.empty() ? "" : ", ") + a;
    reason = "is not in this ONNX Runtime (available: " + list + ")";
  } else {
    env().UpdateEnvWithCustomLogLevel(ORT_LOGGING_LEVEL_FATAL);
    try {
      Ort::SessionOptions probe;
      append_provider(probe, r);
    } catch (const Ort::Exception& e) {
      reason = "cannot be used (" + first_line(e.what()) + ")";
    }
    env().UpdateEnvWithCustomLogLevel(ORT_LOGGING_LEVEL_ERROR);
  }
  return reasons[key] = reason;
}

void add_providers(Ort::SessionOptions& so, const RuntimeOptions& options) {
  for (const auto& ep : options.execution_providers) {
    const ProviderRequest r = provider_request(ep);
    // CPU is always last; an unusable provider is skipped (provider_warnings told the user).
    if (r.ort_name.empty() || !unusable_reason(r).empty()) continue;
    append_provider(so, r);
  }
}

Ort::SessionOptions make_options(const RuntimeOptions& options) {
  env();  // ONNX Runtime logs through the environment's logger: it must exist before any provider call
  Ort::SessionOptions so;
  if (options.threads > 0) so.SetIntraOpNumThreads(options.threads);
  so.SetInterOpNumThreads(1);
  if (!options.allow_spinning) so.AddConfigEntry("session.intra_op.allow_spinning", "0");
  so.SetGraphOptimizationLevel(options.fuse_qdq ? GraphOptimizationLevel::ORT_ENABLE_ALL : GraphOptimizationLevel::ORT_ENABLE_BASIC);
  add_providers(so, options);
  return so;
}

}  // namespace

std::vector<std::string> available_providers() { return Ort::GetAvailableProviders(); }

std::string onnxruntime_version() { return Ort::GetVersionString(); }

std::vector<std::string> parse_execution_providers(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& value : values) {
    std::string word;
    for (char c : value + " ") {
      if (c == ' ' || c == ',' || c == '\t') {
        if (!word.empty()) {
          provider_request(word);  // throws for a name that is not a provider
          out.push_back(word);
        }
        word.clear();
      } else {
        word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
    }
  }
  if (out.empty()) throw Error("--calibration_eps names no execution provider (expected cpu, cuda:N or trt)");
  return out;
}

std::vector<std::string> provider_warnings(const std::vector<std::string>& execution_providers) {
  std::vector<std::string> warnings;
  for (const auto& ep : execution_providers) {
    const ProviderRequest r = provider_request(ep);
    if (r.ort_name.empty()) continue;
    if (const std::string reason = unusable_reason(r); !reason.empty())
      warnings.push_back("execution provider '" + ep + "' " + reason + "; skipped, running on the CPU");
  }
  return warnings;
}

namespace {
// ORT values that borrow the inputs' bytes, in order, with their names; errors name the input.
std::vector<Ort::Value> input_values(const std::string& what, const NamedTensors& inputs,
                                     std::vector<const char*>& names) {
  auto memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  std::vector<Ort::Value> values;
  for (const auto& [name, t] : inputs) {
    names.push_back(name.c_str());
    try {
      values.push_back(Ort::Value::CreateTensor(memory, const_cast<std::byte*>(t.bytes.data()), t.bytes.size(),
                                                t.shape.data(), t.shape.size(), ort_type(t.dtype)));
    } catch (const Ort::Exception& e) {
      throw Error(what + ": input '" + name + "' (" + dtype_name(t.dtype) + " " + shape_string(t.shape) + ", " +
                  std::to_string(t.bytes.size()) + " bytes) is not a valid tensor: " + e.what());
    }
  }
  return values;
}

}  // namespace

struct Session::Impl {
  std::string what;
  Ort::Session session{nullptr};
  std::vector<std::string> inputs, outputs;
  std::vector<std::vector<std::int64_t>> input_shapes, output_shapes;

  void describe() {
    Ort::AllocatorWithDefaultOptions alloc;
    for (std::size_t i = 0; i < session.GetInputCount(); ++i) {
      inputs.emplace_back(session.GetInputNameAllocated(i, alloc).get());
      input_shapes.push_back(session.GetInputTypeInfo(i).GetTensorTypeAndShapeInfo().GetShape());
    }
    for (std::size_t i = 0; i < session.GetOutputCount(); ++i) {
      outputs.emplace_back(session.GetOutputNameAllocated(i, alloc).get());
      const auto type = session.GetOutputTypeInfo(i);
      output_shapes.push_back(type.GetONNXType() == ONNX_TYPE_TENSOR ? type.GetTensorTypeAndShapeInfo().GetShape()
                                                                   : std::vector<std::int64_t>{});
    }
  }
};

namespace {

// ONNX Runtime's QDQ fusion turns DequantizeLinear -> Concat -> QuantizeLinear with FP16 scales
// (--high_precision_dtype fp16) into a QLinearConcat, which takes FP32 scales only, and then
// refuses the model it made. Such a model runs with the basic optimizations: its Q/DQ arithmetic
// as written, which is also what TensorRT computes.
bool fusion_refused_fp16(const Ort::Exception& e) {
  const std::string m = e.what();
  return m.find("tensor(float16)") != std::string::npos && m.find("QLinear") != std::string::npos;
}

template <typename Make>
Ort::Session open_session(const std::string& what, const RuntimeOptions& options, Make make) {
  try {
    try {
      return make(make_options(options));
    } catch (const Ort::Exception& e) {
      if (!options.fuse_qdq || !fusion_refused_fp16(e)) throw;
      RuntimeOptions unfused = options;
      unfused.fuse_qdq = false;
      return make(make_options(unfused));
    }
  } catch (const Ort::Exception& e) {
    throw Error(what + ": ONNX Runtime cannot load the model: " + e.what());
  }
}

}  // namespace

Session::Session(const std::filesystem::path& model_path, const RuntimeOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->what = model_path.string();
  impl_->session = open_session(impl_->what, options, [&](const Ort::SessionOptions& so) { return Ort::Session(env(), model_path.c_str(), so); });
  impl_->describe();
}

Session::Session(const std::string& model_bytes, const std::string& what, const RuntimeOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->what = what;
  impl_->session = open_session(what, options, [&](const Ort::SessionOptions& so) {
    return Ort::Session(env(), model_bytes.data(), model_bytes.size(), so);
  });
  impl_->describe();
}

Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

const std::vector<std::string>& Session::input_names() const { return impl_->inputs; }
const std::vector<std::string>& Session::output_names() const { return impl_->outputs; }
std::vector<std::vector<std::int64_t>> Session::input_shapes() const { return impl_->input_shapes; }
std::vector<std::vector<std::int64_t>> Session::output_shapes() const { return impl_->output_shapes; }

std::vector<Tensor> Session::run(const NamedTensors& inputs, const std::vector<std::string>& outputs) {
  std::vector<const char*> in_names, out_names;
  std::vector<Ort::Value> values = input_values(impl_->what, inputs, in_names);
  const auto& wanted = outputs.empty() ? impl_->outputs : outputs;
  for (const auto& name : wanted) out_names.push_back(name.c_str());
  std::vector<Ort::Value> results;
  try {
    results = impl_->session.Run(Ort::RunOptions{nullptr}, in_names.data(), values.data(), values.size(),
                                 out_names.data(), out_names.size());
  } catch (const Ort::Exception& e) {
    throw Error(impl_->what + ": ONNX Runtime run failed: " + e.what());
  }
  std::vector<Tensor> out;
  out.reserve(results.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    auto info = results[i].GetTensorTypeAndShapeInfo();
    Tensor t(from_ort_type(info.GetElementType(), wanted[i]), info.GetShape());
    std::memcpy(t.bytes.data(), results[i].GetTensorRawData(), t.bytes.size());
    out.push_back(std::move(t));
  }
  return out;
}

struct BorrowedOutputs::Impl {
  std::vector<Ort::Value> values;
  std::vector<std::string> names;
  std::vector<DType> dtypes;
  std::vector<std::vector<std::int64_t>> shapes;
  std::vector<std::size_t> numels;
};

BorrowedOutputs::BorrowedOutputs() : impl_(std::make_unique<Impl>()) {}
BorrowedOutputs::~BorrowedOutputs() = default;
BorrowedOutputs::BorrowedOutputs(BorrowedOutputs&&) noexcept = default;
BorrowedOutputs& BorrowedOutputs::operator=(BorrowedOutputs&&) noexcept = default;
std::size_t BorrowedOutputs::size() const { return impl_->values.size(); }
const std::string& BorrowedOutputs::name(std::size_t i) const { return impl_->names.at(i); }
DType BorrowedOutputs::dtype(std::size_t i) const { return impl_->dtypes.at(i); }
const std::vector<std::int64_t>& BorrowedOutputs::shape(std::size_t i) const { return impl_->shapes.at(i); }
std::size_t BorrowedOutputs::numel(std::size_t i) const { return impl_->numels.at(i); }
std::span<const float> BorrowedOutputs::floats(std::size_t i) const {
  if (dtype(i) != DType::Float32)
    throw Error("output '" + name(i) + "' is " + dtype_name(dtype(i)) + ", expected float32");
  return {impl_->values[i].GetTensorData<float>(), impl_->numels[i]};
}

BorrowedOutputs Session::run_borrowed(const NamedTensors& inputs, const std::vector<std::string>& outputs) {
  std::vector<const char*> in_names, out_names;
  std::vector<Ort::Value> values = input_values(impl_->what, inputs, in_names);
  for (const auto& name : outputs) out_names.push_back(name.c_str());
  BorrowedOutputs out;
  try {
    out.impl_->values = impl_->session.Run(Ort::RunOptions{nullptr}, in_names.data(), values.data(), values.size(),
                                           out_names.data(), out_names.size());
  } catch (const Ort::Exception& e) {
    throw Error(impl_->what + ": ONNX Runtime run failed: " + e.what());
  }
  for (std::size_t i = 0; i < out.impl_->values.size(); ++i) {
    auto info = out.impl_->values[i].GetTensorTypeAndShapeInfo();
    out.impl_->names.push_back(outputs[i]);
    out.impl_->dtypes.push_back(from_ort_type(info.GetElementType(), outputs[i]));
    out.impl_->shapes.push_back(info.GetShape());
    out.impl_->numels.push_back(info.GetElementCount());
  }
  return out;
}

void Session::run_into(const NamedTensors& inputs, const std::vector<OutputTarget>& outputs, bool shrink_arena) {
  std::vector<const char*> in_names;
  std::vector<Ort::Value> values = input_values(impl_->what, inputs, in_names);
  auto memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  try {
    Ort::IoBinding binding(impl_->session);
    for (std::size_t i = 0; i < values.size(); ++i) binding.BindInput(in_names[i], values[i]);
    // The values only describe the caller's memory; the binding keeps its own references to them.
    for (const auto& out : outputs) {
      const std::size_t numel = shape_numel(out.shape);
      if (numel != out.values.size())
        throw Error(impl_->what + ": output '" + out.name + "' has room for " + std::to_string(out.values.size()) +
                    " values, its shape " + shape_string(out.shape) + " holds " + std::to_string(numel));
      binding.BindOutput(out.name.c_str(),
                         Ort::Value::CreateTensor<float>(memory, out.values.data(), out.values.size(),
                                                         out.shape.data(), out.shape.size()));
    }
    Ort::RunOptions run_options;
    if (shrink_arena) run_options.AddConfigEntry("memory.enable_memory_arena_shrinkage", "cpu:0");
    impl_->session.Run(run_options, binding);
  } catch (const Ort::Exception& e) {
    throw Error(impl_->what + ": ONNX Runtime run failed: " + e.what());
  }
}

}  // namespace yoloq
