#include "yoloq/support/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace yoloq {

namespace {
constexpr auto kRedrawInterval = std::chrono::milliseconds(250);

std::string minutes_seconds(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%ld:%02ld", s / 60, s % 60);
  return buffer;
}
}  // namespace

ProgressLine::ProgressLine(std::string label, std::size_t total, bool enabled, std::string steps,
                           std::string items)
    : label_(std::move(label)),
      steps_(std::move(steps)),
      items_(std::move(items)),
      total_(total),
      enabled_(enabled),
      interactive_(::isatty(::fileno(stderr)) == 1),
      start_(Clock::now()) {}

ProgressLine::~ProgressLine() {
  if (drawn_) std::fputc('\n', stderr);
}

void ProgressLine::update(std::size_t batches_done, std::size_t images_done) {
  // Redrawing in place only makes sense on a terminal; a log file gets the final line alone.
  if (!enabled_ || !interactive_) return;
  const auto now = Clock::now();
  if (drawn_ && now - last_draw_ < kRedrawInterval) return;
  draw(batches_done, images_done);
}

void ProgressLine::finish(std::size_t batches_done, std::size_t images_done) {
  if (!enabled_) return;
  draw(batches_done, images_done);
  std::fputc('\n', stderr);
  drawn_ = false;
}

void ProgressLine::draw(std::size_t batches_done, std::size_t images_done) {
  last_draw_ = Clock::now();
  const double elapsed = std::chrono::duration<double>(last_draw_ - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(images_done) / elapsed : 0;
  std::string eta = "?";
  if (batches_done > 0 && total_ >= batches_done)
    eta = minutes_seconds(elapsed / static_cast<double>(batches_done) *
                          static_cast<double>(total_ - batches_done));
  // On a terminal the line is redrawn in place; elsewhere it is written once, plainly.
  std::fprintf(stderr, interactive_ ? "\r%s: %zu/%zu %s, %.1f %s/s, ETA %s  " : "%s: %zu/%zu %s, %.1f %s/s, ETA %s",
               label_.c_str(), batches_done, total_, steps_.c_str(), rate, items_.c_str(), eta.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace yoloq
