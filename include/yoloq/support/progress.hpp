#pragma once
// The one progress line of long runs (calibration, verification, eval): "calibrating: 40/126
// batches, 9.1 images/s, ETA 0:09" on stderr. On a terminal it is redrawn in place a few times
// per second; elsewhere (a log file, a pipe) only the final line is written, unless progress was
// asked for (--progress), which writes a plain line every few seconds instead of redrawing.
#include <chrono>
#include <cstddef>
#include <string>

namespace yoloq {

enum class ProgressDisplay { TerminalOnly, Always };
// A process-wide choice, like the terminal it depends on; the CLI sets it from --progress.
void set_progress_display(ProgressDisplay display);

class ProgressLine {
 public:
  // `steps` counts toward `total` ("batches", "images"); `items` is what the rate counts.
  ProgressLine(std::string label, std::size_t total, bool enabled, std::string steps = "batches",
               std::string items = "images");
  ~ProgressLine();  // ends the line if anything was drawn
  void update(std::size_t batches_done, std::size_t images_done);
  void finish(std::size_t batches_done, std::size_t images_done);

 private:
  void draw(std::size_t batches_done, std::size_t images_done, bool final);
  using Clock = std::chrono::steady_clock;
  std::string label_, steps_, items_;
  std::size_t total_;
  bool enabled_;
  bool interactive_;  // stderr is a terminal: redraw in place
  bool logged_;       // not a terminal, but --progress: a new line every kLogInterval
  bool drawn_ = false;  // an interactive line is open (needs its newline)
  bool drawn_once_ = false;
  Clock::time_point start_, last_draw_;
};

}  // namespace yoloq
