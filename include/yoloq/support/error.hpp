#pragma once
// The one exception type of the library. Its message names the file, node or tensor and what
// was expected; the CLI prints it as one line "yoloq: error: <message>" and exits non-zero.
#include <stdexcept>
#include <string>

namespace yoloq {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// A command line that cannot mean anything (an unknown choice, contradictory or unsupported
// flags): the CLI exits 2, as for the parser's own errors, instead of 1.
class UsageError : public Error {
 public:
  using Error::Error;
};

}  // namespace yoloq
