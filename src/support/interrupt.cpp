// The handler only touches lock-free atomics and calls unlink() and _exit(), which are
// async-signal-safe; everything else (messages, cleanup through exceptions) happens in normal
// code at the next check_interrupted().
#include "yoloq/support/interrupt.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>

namespace yoloq {

namespace {

constexpr int kSlots = 16;
constexpr std::size_t kPathMax = 4096;

std::atomic<int> g_signal{0};
// A slot is free (0), being filled (1) or holds a path the handler may unlink (2).
std::atomic<int> g_slot_state[kSlots];
char g_slot_path[kSlots][kPathMax];

extern "C" void on_signal(int sig) {
  int expected = 0;
  if (g_signal.compare_exchange_strong(expected, sig)) return;  // first signal: stop at the next check
  for (int i = 0; i < kSlots; ++i)
    if (g_slot_state[i].load() == 2) ::unlink(g_slot_path[i]);
  ::_exit(128 + sig);
}

std::string signal_name(int sig) {
  switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "signal " + std::to_string(sig);
  }
}

}  // namespace

static_assert(std::atomic<int>::is_always_lock_free);

Interrupted::Interrupted(int signal)
    : Error("interrupted by " + signal_name(signal) + "; no output was written"), signal_(signal) {}

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  // Past a file size limit (ulimit -f) a write must fail with EFBIG, which write_atomically
  // reports and cleans up, rather than kill the process and leave the temporary file behind.
  std::signal(SIGXFSZ, SIG_IGN);
}

int interrupt_signal() { return g_signal.load(); }

InterruptScope::InterruptScope() {
  g_signal.store(0);
  sigaction(SIGINT, nullptr, &previous_int_);
  sigaction(SIGTERM, nullptr, &previous_term_);
  install_interrupt_handlers();
}

InterruptScope::~InterruptScope() {
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
  g_signal.store(0);
}

void check_interrupted() {
  if (int sig = g_signal.load()) throw Interrupted(sig);
}

TempFileGuard::TempFileGuard(const std::filesystem::path& path) {
  const std::string& text = path.native();
  if (text.size() >= kPathMax) return;
  for (int i = 0; i < kSlots; ++i) {
    int expected = 0;
    if (!g_slot_state[i].compare_exchange_strong(expected, 1)) continue;
    std::memcpy(g_slot_path[i], text.c_str(), text.size() + 1);
    g_slot_state[i].store(2);
    slot_ = i;
    return;
  }
}

TempFileGuard::~TempFileGuard() {
  if (slot_ >= 0) g_slot_state[slot_].store(0);
}

}  // namespace yoloq
