#include "calib/output_buffers.hpp"


namespace yoloq {

OutputBufferPool::OutputBufferPool(std::vector<std::size_t> sizes, std::size_t spare_bytes_cap)
    : sizes_(std::move(sizes)), slots_(sizes_.size()), cap_(spare_bytes_cap) {}

std::span<float> OutputBufferPool::acquire(std::size_t i) {
  std::unique_lock lock(mutex_);
  Slot& slot = slots_.at(i);
  const std::size_t bytes = sizes_[i] * sizeof(float);
  if (slot.free.empty()) {
    // The first buffer of an output is part of the one set and always allocated; a second only
    // within the cap. (new float[] leaves the pages untouched until ONNX Runtime writes them.)
    const bool first = slot.owned.empty();
    if (first || (slot.owned.size() < 2 && spare_ + bytes <= cap_)) {
      slot.owned.emplace_back(new float[sizes_[i]]);
      slot.free.push_back(slot.owned.back().get());
      allocated_ += bytes;
      if (!first) spare_ += bytes;
    } else {
      ++waits_;
      released_.wait(lock, [&] { return !slot.free.empty(); });
    }
  }
  float* data = slot.free.back();
  slot.free.pop_back();
  return {data, sizes_[i]};
}

void OutputBufferPool::release(std::size_t i, std::span<float> buffer) {
  {
    std::lock_guard lock(mutex_);
    slots_.at(i).free.push_back(buffer.data());
  }
  released_.notify_all();
}

std::size_t OutputBufferPool::spare_bytes() const {
  std::lock_guard lock(mutex_);
  return spare_;
}

std::size_t OutputBufferPool::allocated_bytes() const {
  std::lock_guard lock(mutex_);
  return allocated_;
}

std::size_t OutputBufferPool::waits() const {
  std::lock_guard lock(mutex_);
  return waits_;
}

}  // namespace yoloq
