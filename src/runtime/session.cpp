#include <onnxruntime_cxx_api.h>

#include <algorithm>
#include <cstring>
#include <cctype>
#include <map>
#include <mutex>

#include "runtime/element_types.hpp"
#include "runtime/observe_op.hpp"
#include "yoloq/runtime/session.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq {

namespace {

Ort::Env& env() {
  static Ort::Env instance(ORT_LOGGING_LEVEL_ERROR, "yoloq");
  return instance;
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

Ort::SessionOptions make_options(const RuntimeOptions& options, const ObserveDomain* observe) {
  env();  // ONNX Runtime logs through the environment's logger: it must exist before any provider call
  Ort::SessionOptions so;
  if (options.threads > 0) so.SetIntraOpNumThreads(options.threads);
  so.SetInterOpNumThreads(1);
  if (!options.allow_spinning) so.AddConfigEntry("session.intra_op.allow_spinning", "0");
  so.SetGraphOptimizationLevel(options.fuse_qdq ? GraphOptimizationLevel::ORT_ENABLE_ALL : GraphOptimizationLevel::ORT_ENABLE_BASIC);
  add_providers(so, options);
  if (observe) observe->add_to(so);
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
  std::unique_ptr<ObserveDomain> observe;  // before the session: destroyed after it
  Ort::Session session{nullptr};
  std::vector<std::string> inputs, outputs;
  std::vector<std::vector<std::int64_t>> input_shapes;

  void describe() {
    Ort::AllocatorWithDefaultOptions alloc;
    for (std::size_t i = 0; i < session.GetInputCount(); ++i) {
      inputs.emplace_back(session.GetInputNameAllocated(i, alloc).get());
      input_shapes.push_back(session.GetInputTypeInfo(i).GetTensorTypeAndShapeInfo().GetShape());
    }
    for (std::size_t i = 0; i < session.GetOutputCount(); ++i)
      outputs.emplace_back(session.GetOutputNameAllocated(i, alloc).get());
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
Ort::Session open_session(const std::string& what, const RuntimeOptions& options, const ObserveDomain* observe,
                          Make make) {
  try {
    try {
      return make(make_options(options, observe));
    } catch (const Ort::Exception& e) {
      if (!options.fuse_qdq || !fusion_refused_fp16(e)) throw;
      RuntimeOptions unfused = options;
      unfused.fuse_qdq = false;
      return make(make_options(unfused, observe));
    }
  } catch (const Ort::Exception& e) {
    throw Error(what + ": ONNX Runtime cannot load the model: " + e.what());
  }
}

}  // namespace

Session::Session(const std::filesystem::path& model_path, const RuntimeOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->what = model_path.string();
  if (options.observer) impl_->observe = std::make_unique<ObserveDomain>(*options.observer);
  impl_->session = open_session(impl_->what, options, impl_->observe.get(), [&](const Ort::SessionOptions& so) { return Ort::Session(env(), model_path.c_str(), so); });
  impl_->describe();
}

Session::Session(const std::string& model_bytes, const std::string& what, const RuntimeOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->what = what;
  if (options.observer) impl_->observe = std::make_unique<ObserveDomain>(*options.observer);
  impl_->session = open_session(what, options, impl_->observe.get(), [&](const Ort::SessionOptions& so) {
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
    // An empty output (the Observe nodes' outputs) may have no data pointer at all.
    if (!t.bytes.empty()) std::memcpy(t.bytes.data(), results[i].GetTensorRawData(), t.bytes.size());
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace yoloq
