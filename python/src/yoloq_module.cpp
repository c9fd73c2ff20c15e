// yoloq._yoloq: the command line, run in-process. Python's API (yoloq/_api.py) turns keywords into
// the CLI's flags, so flag names, defaults, checks and error messages have one source: the
// subcommands of src/cli. What only an in-process run can do is added here: numpy arrays as
// calibration data without a copy, the result handed back as JSON instead of a file, the GIL
// released while the run computes, and Ctrl-C reported to Python as KeyboardInterrupt.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <iostream>
#include <sstream>

#include "cli/run.hpp"
#include "yoloq/support/interrupt.hpp"
#include "yoloq/support/version.hpp"

namespace nb = nanobind;

namespace {

using Array = nb::ndarray<nb::ro, nb::c_contig, nb::device::cpu>;

// numpy's name of an array's element type, for the data layer's "is float64, expected float32".
std::string numpy_dtype_name(const nb::dlpack::dtype& dtype) {
  const char* kind = "unknown";
  switch (static_cast<nb::dlpack::dtype_code>(dtype.code)) {
    case nb::dlpack::dtype_code::Int: kind = "int"; break;
    case nb::dlpack::dtype_code::UInt: kind = "uint"; break;
    case nb::dlpack::dtype_code::Float: kind = "float"; break;
    case nb::dlpack::dtype_code::Bool: return "bool";
    case nb::dlpack::dtype_code::Complex: kind = "complex"; break;
    default: return "an unsupported type";
  }
  return std::string(kind) + std::to_string(dtype.bits);
}

// Redirects std::cout into a string for the scope (the API returns what the CLI would print).
class CapturedStdout {
 public:
  explicit CapturedStdout(bool active) : previous_(active ? std::cout.rdbuf(buffer_.rdbuf()) : nullptr) {}
  ~CapturedStdout() {
    if (previous_) std::cout.rdbuf(previous_);
  }
  std::string text() const { return buffer_.str(); }

 private:
  std::ostringstream buffer_;
  std::streambuf* previous_;
};

// run(args, arrays, capture_stdout) -> (exit_code, error, stdout, result_json, interrupted_by)
// `args` starts with the program name; `arrays` are (input name or "", array) pairs.
nb::tuple run(const std::vector<std::string>& args, const std::vector<std::pair<std::string, Array>>& arrays,
              bool capture_stdout) {
  yoloq::cli::Invocation invocation;
  for (const auto& [name, array] : arrays) {
    yoloq::ArrayView view;
    view.name = name;
    view.dtype = numpy_dtype_name(array.dtype());
    for (std::size_t d = 0; d < array.ndim(); ++d) view.shape.push_back(static_cast<std::int64_t>(array.shape(d)));
    view.data = array.data();
    invocation.arrays.push_back(std::move(view));
  }
  yoloq::cli::RunOutcome outcome;
  std::string printed;
  {
    // The arrays stay referenced by the caller's frame while the GIL is released.
    nb::gil_scoped_release release;
    yoloq::InterruptScope interrupts;
    CapturedStdout captured(capture_stdout);
    outcome = yoloq::cli::run_command_line(args, invocation);
    std::cout.flush();
    printed = captured.text();
  }
  std::string result = invocation.result.is_null() ? "" : invocation.result.dump();
  return nb::make_tuple(outcome.exit_code, outcome.error, printed, result, outcome.interrupted_by);
}

}  // namespace

NB_MODULE(_yoloq, m) {
  m.doc() = "yoloq's command line, run in-process (use the functions of the yoloq package)";
  m.def("run", &run, nb::arg("args"), nb::arg("arrays"), nb::arg("capture_stdout"));
  m.def("version", [] { return std::string(yoloq::version()); });
}
