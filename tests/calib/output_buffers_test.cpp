// The calibration output buffers: one per output always, second ones only within the byte cap,
// and an acquire beyond the cap waits for that output's release.
#include "calib/output_buffers.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace yoloq {
namespace {

TEST(OutputBufferPool, SecondBuffersStayWithinTheCap) {
  // Outputs of 100, 50 and 10 floats (400, 200, 40 bytes); 250 bytes of second buffers.
  OutputBufferPool pool({100, 50, 10}, 250);
  const auto a0 = pool.acquire(0), a1 = pool.acquire(1), a2 = pool.acquire(2);
  EXPECT_EQ(a0.size(), 100u);
  EXPECT_EQ(a1.size(), 50u);
  EXPECT_EQ(pool.allocated_bytes(), 640u);
  EXPECT_EQ(pool.spare_bytes(), 0u);
  // The next batch while the first is unread: 1 and 2 fit the cap (240 bytes), 0 would not.
  const auto b1 = pool.acquire(1), b2 = pool.acquire(2);
  EXPECT_NE(b1.data(), a1.data());
  EXPECT_NE(b2.data(), a2.data());
  EXPECT_EQ(pool.spare_bytes(), 240u);
  EXPECT_EQ(pool.waits(), 0u);

  std::atomic<bool> released{false};
  std::thread collector([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    released = true;
    pool.release(0, a0);
  });
  const auto b0 = pool.acquire(0);  // waits for output 0's own buffer
  EXPECT_TRUE(released.load());
  EXPECT_EQ(b0.data(), a0.data());
  collector.join();
  EXPECT_EQ(pool.waits(), 1u);
  EXPECT_EQ(pool.spare_bytes(), 240u);
  EXPECT_EQ(pool.allocated_bytes(), 880u);  // one set plus the spares, never more

  // Released buffers are reused, nothing new allocated.
  pool.release(1, a1);
  pool.release(1, b1);
  const auto c1 = pool.acquire(1), d1 = pool.acquire(1);
  EXPECT_TRUE((c1.data() == a1.data() && d1.data() == b1.data()) ||
              (c1.data() == b1.data() && d1.data() == a1.data()));
  EXPECT_EQ(pool.allocated_bytes(), 880u);
}

TEST(OutputBufferPool, NoCapMeansOneBufferPerOutput) {
  OutputBufferPool pool({4, 4}, 0);
  const auto a = pool.acquire(0);
  pool.acquire(1);
  std::thread collector([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    pool.release(0, a);
  });
  EXPECT_EQ(pool.acquire(0).data(), a.data());
  collector.join();
  EXPECT_EQ(pool.spare_bytes(), 0u);
  EXPECT_EQ(pool.allocated_bytes(), 32u);
}

}  // namespace
}  // namespace yoloq
