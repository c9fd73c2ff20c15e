#pragma once
// The one progress line of long runs (calibration, verification, eval): "calibrating: 40/126
// batches, 9.1 images/s, ETA 0:09" on stderr, redrawn in place at most a few times per second
// on a terminal; elsewhere (a log file) only the final line is written.
#include <chrono>
#include <cstddef>
#include <string>

namespace yoloq {

class ProgressLine {
 public:
  // `steps` counts toward `total` ("batches", "images"); `items` is what the rate counts.
  ProgressLine(std::string label, std::size_t total, bool enabled, std::string steps = "batches",
               std::string items = "images");
  ~ProgressLine();  // ends the line if anything was drawn
  void update(std::size_t batches_done, std::size_t images_done);
  void finish(std::size_t batches_done, std::size_t images_done);

 private:
  void draw(std::size_t batches_done, std::size_t images_done);
  using Clock = std::chrono::steady_clock;
  std::string label_, steps_, items_;
  std::size_t total_;
  bool enabled_;
  bool interactive_;  // stderr is a terminal
  bool drawn_ = false;
  Clock::time_point start_, last_draw_;
};

}  // namespace yoloq
