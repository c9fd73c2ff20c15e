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

}  // namespace yoloq
