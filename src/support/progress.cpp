#include "yoloq/support/progress.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>

namespace yoloq {

namespace {
constexpr auto kRedrawInterval = std::chrono::milliseconds(250);
// Often enough to show a CI log is alive, rarely enough not to flood it.
constexpr auto kLogInterval = std::chrono::seconds(5);

std::atomic<ProgressDisplay> g_display{ProgressDisplay::TerminalOnly};

std::string minutes_seconds(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%ld:%02ld", s / 60, s % 60);
  return buffer;
}
}  // namespace

void set_progress_display(ProgressDisplay display) { g_display = display; }

ProgressLine::ProgressLine(std::string label, std::size_t total, bool enabled, std::string steps,
                           std::string items)
    : label_(std::move(label)),
      steps_(std::move(steps)),
      items_(std::move(items)),
      total_(total),
      enabled_(enabled),
      interactive_(::isatty(::fileno(stderr)) == 1),
      logged_(!interactive_ && g_display == ProgressDisplay::Always),
      start_(Clock::now()) {}

ProgressLine::~ProgressLine() {
  if (drawn_) std::fputc('\n', stderr);
}

void ProgressLine::update(std::size_t batches_done, std::size_t images_done) {
  if (!enabled_ || !(interactive_ || logged_)) return;
  const auto interval = interactive_ ? std::chrono::duration_cast<Clock::duration>(kRedrawInterval)
                                     : std::chrono::duration_cast<Clock::duration>(kLogInterval);
  if (drawn_once_ && Clock::now() - last_draw_ < interval) return;
  draw(batches_done, images_done, false);
}

void ProgressLine::finish(std::size_t batches_done, std::size_t images_done) {
  if (!enabled_) return;
  draw(batches_done, images_done, true);
}

void ProgressLine::draw(std::size_t batches_done, std::size_t images_done, bool final) {
  last_draw_ = Clock::now();
  const double elapsed = std::chrono::duration<double>(last_draw_ - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(images_done) / elapsed : 0;
  std::string eta = "?";
  if (batches_done > 0 && total_ >= batches_done)
    eta = minutes_seconds(elapsed / static_cast<double>(batches_done) *
                          static_cast<double>(total_ - batches_done));
  // On a terminal the line is redrawn in place (padded over a longer previous text) and ended
  // once; elsewhere every line is whole.
  const bool in_place = interactive_ && !final;
  const char* end = interactive_ ? (final ? "  \n" : "  ") : "\n";
  std::fprintf(stderr, "%s%s: %zu/%zu %s, %.1f %s/s, ETA %s%s", interactive_ ? "\r" : "", label_.c_str(),
               batches_done, total_, steps_.c_str(), rate, items_.c_str(), eta.c_str(), end);
  std::fflush(stderr);
  drawn_ = in_place;
  drawn_once_ = true;
}

}  // namespace yoloq
