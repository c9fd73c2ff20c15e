#pragma once
// The buffers ONNX Runtime writes the exposed activations into during calibration (IOBinding),
// reused from batch to batch. Each output owns one buffer; while the collectors still read batch k,
// batch k+1 needs a second buffer for every output they have not finished, and those second
// buffers together may hold at most `spare_bytes_cap` bytes. So memory stays one set of
// activations plus the cap, not two sets, and an output's buffer comes back as soon as its own
// collector is done with it, not when the whole batch is.
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

namespace yoloq {

class OutputBufferPool {
 public:
  // `sizes`: values per output (float32); `spare_bytes_cap`: bytes of second buffers, 0 = none
  // (then batch k+1 waits for each output until batch k's collector released it).
  OutputBufferPool(std::vector<std::size_t> sizes, std::size_t spare_bytes_cap);

  // A free buffer for output i: its own when released, else a new second one when the cap allows,
  // else waits for a release. Buffers are never freed before the pool is destroyed.
  std::span<float> acquire(std::size_t i);
  // Hands output i's buffer back (the collector has read it), waking a waiting acquire().
  void release(std::size_t i, std::span<float> buffer);

  std::size_t size(std::size_t i) const { return sizes_.at(i); }  // values of output i
  std::size_t spare_bytes() const;       // second buffers allocated so far
  std::size_t allocated_bytes() const;   // all buffers allocated so far
  std::size_t waits() const;             // acquire() calls that had to wait

 private:
  struct Slot {
    std::vector<std::unique_ptr<float[]>> owned;  // one or two
    std::vector<float*> free;
  };
  std::vector<std::size_t> sizes_;
  std::vector<Slot> slots_;
  std::size_t cap_, spare_ = 0, allocated_ = 0, waits_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable released_;
};

}  // namespace yoloq
