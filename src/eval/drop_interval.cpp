#include "yoloq/eval/drop_interval.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "yoloq/support/error.hpp"

namespace yoloq {

DropInterval paired_drop_interval(const std::vector<ImageDetections>& reference,
                                  const std::vector<ImageDetections>& other, int resamples, double level,
                                  std::uint64_t seed) {
  if (reference.size() != other.size())
    throw Error("paired_drop_interval: " + std::to_string(reference.size()) + " and " + std::to_string(other.size()) +
                " images; the two models must be scored on the same ones");
  if (resamples < 1 || !(level > 0 && level < 1)) throw Error("paired_drop_interval: resamples >= 1, 0 < level < 1");
  DropInterval interval;
  interval.level = level;
  if (reference.empty()) return interval;
  std::mt19937_64 rng(seed);
  std::vector<std::vector<std::size_t>> draws(static_cast<std::size_t>(resamples));
  for (auto& draw : draws)
    for (std::size_t i = 0; i < reference.size(); ++i) draw.push_back(static_cast<std::size_t>(rng() % reference.size()));
  const auto a = coco_map50_95_of_draws(reference, draws), b = coco_map50_95_of_draws(other, draws);
  std::vector<double> drops;
  for (std::size_t r = 0; r < draws.size(); ++r) drops.push_back(100 * (a[r] - b[r]));
  std::sort(drops.begin(), drops.end());
  auto quantile = [&](double q) {
    const auto index = static_cast<std::size_t>(std::lround(q * static_cast<double>(drops.size() - 1)));
    return drops[index];
  };
  interval.low = quantile((1 - level) / 2);
  interval.high = quantile((1 + level) / 2);
  interval.resamples = resamples;
  return interval;
}

}  // namespace yoloq
