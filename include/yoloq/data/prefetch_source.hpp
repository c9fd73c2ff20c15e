#pragma once
// A BatchSource read one batch ahead on a thread of its own: image decoding and letterboxing of
// batch k+1 run while the caller works on batch k (calibration: inference and histograms), so the
// inference thread never waits on a decoder. The batches, their order, their origins and the
// warnings are the inner source's; at most one batch waits beyond the one handed out.
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "yoloq/data/batch_source.hpp"

namespace yoloq {

class PrefetchSource : public BatchSource {
 public:
  // `inner` must outlive this object and must not be used by anyone else until it is destroyed
  // (its warnings are safe to take through this object, or from it afterwards).
  explicit PrefetchSource(BatchSource& inner);
  ~PrefetchSource() override;  // stops and joins the reader
  PrefetchSource(const PrefetchSource&) = delete;
  PrefetchSource& operator=(const PrefetchSource&) = delete;

  // The next batch of the inner source, in order; an error the inner source threw for it is
  // rethrown here, at the same batch.
  std::optional<NamedTensors> next() override;
  std::size_t batch_count() const override { return inner_.batch_count(); }
  std::size_t sample_count() const override { return inner_.sample_count(); }
  std::string description() const override { return inner_.description(); }
  void rewind() override;
  const std::vector<SampleOrigin>& origins() const override { return origins_; }
  std::vector<std::string> take_warnings() override;

 private:
  // What the reader produced for one call of the inner next(): the batch (or the end, or the
  // error) with the origins the inner source reported for it.
  struct Slot {
    std::optional<NamedTensors> batch;
    std::vector<SampleOrigin> origins;
    std::exception_ptr error;
  };
  void start();
  void stop();
  void read_ahead();

  BatchSource& inner_;
  std::vector<SampleOrigin> origins_;
  std::mutex mutex_;        // the hand-over below
  std::mutex inner_mutex_;  // calls into the inner source, from the reader or take_warnings()
  std::condition_variable changed_;
  std::optional<Slot> ready_;  // read, not yet handed out
  bool stopping_ = false, finished_ = false;
  std::thread reader_;
};

}  // namespace yoloq
