#include "yoloq/data/prefetch_source.hpp"

namespace yoloq {

PrefetchSource::PrefetchSource(BatchSource& inner) : inner_(inner) { start(); }

PrefetchSource::~PrefetchSource() { stop(); }

void PrefetchSource::start() {
  stopping_ = finished_ = false;
  ready_.reset();
  reader_ = std::thread([this] { read_ahead(); });
}

void PrefetchSource::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (reader_.joinable()) reader_.join();
}

void PrefetchSource::read_ahead() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || !ready_; });  // one batch ahead at most
      if (stopping_) return;
    }
    Slot slot;
    try {
      std::lock_guard inner_lock(inner_mutex_);
      slot.batch = inner_.next();
      if (slot.batch) slot.origins = inner_.origins();
    } catch (...) {
      slot.error = std::current_exception();
    }
    const bool last = !slot.batch;  // the end or an error: nothing more to read
    {
      std::lock_guard lock(mutex_);
      ready_ = std::move(slot);
    }
    changed_.notify_all();
    if (last) return;
  }
}

std::optional<NamedTensors> PrefetchSource::next() {
  std::unique_lock lock(mutex_);
  if (finished_) return std::nullopt;
  changed_.wait(lock, [&] { return ready_.has_value(); });
  Slot slot = std::move(*ready_);
  ready_.reset();
  lock.unlock();
  changed_.notify_all();
  if (slot.error) {
    finished_ = true;
    std::rethrow_exception(slot.error);
  }
  if (!slot.batch) finished_ = true;
  origins_ = std::move(slot.origins);
  return std::move(slot.batch);
}

void PrefetchSource::rewind() {
  stop();
  inner_.rewind();
  origins_.clear();
  start();
}

std::vector<std::string> PrefetchSource::take_warnings() {
  std::lock_guard inner_lock(inner_mutex_);  // not while the reader is in the inner source
  return inner_.take_warnings();
}

}  // namespace yoloq
