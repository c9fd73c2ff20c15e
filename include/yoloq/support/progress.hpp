#pragma once
// The progress line of long runs: "calibrating: 40/126 batches, 9.1 images/s, ETA 0:09" on
// stderr, redrawn in place at most a few times per second so that printing never costs time.
#include <chrono>
#include <cstddef>
#include <string>

namespace yoloq {

class ProgressLine {
 public:
  ProgressLine(std::string label, std::size_t total_batches, bool enabled);
  ~ProgressLine();  // ends the line if anything was drawn
  void update(std::size_t batches_done, std::size_t images_done);
  void finish(std::size_t batches_done, std::size_t images_done);

 private:
  void draw(std::size_t batches_done, std::size_t images_done);
  using Clock = std::chrono::steady_clock;
  std::string label_;
  std::size_t total_;
  bool enabled_;
  bool interactive_;  // stderr is a terminal
  bool drawn_ = false;
  Clock::time_point start_, last_draw_;
};

}  // namespace yoloq
