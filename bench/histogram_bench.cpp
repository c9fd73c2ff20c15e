// Histogram update throughput: ns per element for activation-like data (a Laplacian with most
// values near zero, the shape of SiLU outputs), the inner loop of calibration.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <vector>

#include "calib/collectors.hpp"

int main() {
  std::mt19937_64 rng(1);
  std::exponential_distribution<float> exponential(2.0f);
  std::vector<float> values(1 << 24);
  for (std::size_t i = 0; i < values.size(); ++i)
    values[i] = (i % 3 ? 1.0f : -0.2f) * exponential(rng);
  yoloq::HistogramCollector histogram(2048);
  histogram.update(values);  // sets the range, so the timed passes take the one-pass path
  const int repeats = 8;
  // CPU time, not wall time: on a shared machine the wall clock mostly measures the neighbours.
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  for (int r = 0; r < repeats; ++r) histogram.update(values);
  const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double elements = static_cast<double>(values.size()) * repeats;
  std::printf("histogram update: %.3f ns/element CPU, %.3f ns/element wall (%zu elements x %d)\n",
              cpu * 1e9 / elements, wall * 1e9 / elements, values.size(), repeats);
  return 0;
}
