#pragma once
// SIGINT and SIGTERM: the first one sets a flag that long work checks at safe points (between
// calibration batches, before an output file is renamed into place), so yoloq stops with a
// message and removes what it was writing. A second signal removes the registered temporary
// files from the handler itself and exits at once.
#include <signal.h>

#include <filesystem>

#include "yoloq/support/error.hpp"

namespace yoloq {

// Thrown by check_interrupted(); the CLI exits with 128 + signal.
class Interrupted : public Error {
 public:
  explicit Interrupted(int signal);
  int signal() const { return signal_; }

 private:
  int signal_;
};

void install_interrupt_handlers();  // idempotent; the CLI calls it first thing
int interrupt_signal();             // 0 when no signal arrived
void check_interrupted();           // throws Interrupted when a signal arrived

// For a process with handlers of its own (the Python interpreter): yoloq's handlers, with no signal
// pending, for the lifetime of the scope; the previous handlers come back at its end, and a signal
// that arrived meanwhile is left for the caller to report (interrupt_signal() inside the scope).
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  struct sigaction previous_int_ {}, previous_term_ {};
};

// A temporary file the second signal's handler unlinks; unregister when it is renamed or removed.
class TempFileGuard {
 public:
  explicit TempFileGuard(const std::filesystem::path& path);
  ~TempFileGuard();
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;

 private:
  int slot_ = -1;
};

}  // namespace yoloq
