// Collectors and range methods against known answers.
#include "calib/collectors.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "calib/range_methods.hpp"
#include "yoloq/calib/calibrate.hpp"
#include "yoloq/scales/scales.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq {
namespace {

std::vector<float> gaussian(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

HistogramCollector histogram_of(const std::vector<float>& values, int bins = 2048) {
  HistogramCollector h(bins);
  h.update(values);
  return h;
}

TEST(MinMaxCollector, TracksExtremesOverBatches) {
  MinMaxCollector c;
  EXPECT_TRUE(c.empty());
  std::vector<float> a{3.0f, -7.0f, 2.5f}, b{10.0f, 0.0f};
  c.update(a);
  EXPECT_EQ(c.min(), -7.0f);
  EXPECT_EQ(c.max(), 3.0f);
  EXPECT_EQ(c.abs_max(), 7.0f);
  c.update(b);
  EXPECT_EQ(c.min(), -7.0f);
  EXPECT_EQ(c.max(), 10.0f);
  EXPECT_EQ(c.abs_max(), 10.0f);
  EXPECT_EQ(c.count(), 5u);
}

TEST(MinMaxCollector, AllNegativeData) {
  MinMaxCollector c;
  std::vector<float> a{-2.0f, -0.5f};
  c.update(a);
  EXPECT_EQ(c.min(), -2.0f);
  EXPECT_EQ(c.max(), -0.5f);
  EXPECT_EQ(c.abs_max(), 2.0f);
}

TEST(HistogramCollector, BinsAbsoluteValues) {
  HistogramCollector h(128);
  // The first batch's |max| = 128 sets the range: bin width 1.
  std::vector<float> values{0.5f, 1.5f, -3.2f, 127.9f, -128.0f};
  h.update(values);
  EXPECT_EQ(h.range(), 128.0);
  EXPECT_EQ(h.counts()[0], 1u);
  EXPECT_EQ(h.counts()[1], 1u);
  EXPECT_EQ(h.counts()[3], 1u);
  EXPECT_EQ(h.counts()[127], 2u);  // 127.9 and |-128| (the upper edge belongs to the last bin)
  EXPECT_EQ(h.total(), 5u);
  EXPECT_EQ(h.minmax().min(), -128.0f);
  EXPECT_EQ(h.minmax().max(), 127.9f);
}

TEST(HistogramCollector, ZerosBeforeAnyRangeStayInBinZero) {
  HistogramCollector h(128);
  std::vector<float> zeros(10, 0.0f), later{4.0f};
  h.update(zeros);
  EXPECT_EQ(h.range(), 0.0);
  h.update(later);
  EXPECT_EQ(h.range(), 4.0);
  EXPECT_EQ(h.counts()[0], 10u);
  EXPECT_EQ(h.counts()[127], 1u);
  EXPECT_EQ(h.total(), 11u);
}

TEST(HistogramCollector, GrowthKeepsTotalAndMassBelowOldEdges) {
  HistogramCollector h(128);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> first(10000);
  for (auto& x : first) x = uniform(rng);
  h.update(first);
  const double old_range = h.range();
  const auto old_counts = h.counts();
  ASSERT_GT(old_range, 0.99);
  ASSERT_LE(old_range, 1.0);

  std::vector<float> outlier{-5.0f};  // needs three doublings: range * 8 > 5
  h.update(outlier);
  EXPECT_EQ(h.range(), old_range * 8);
  EXPECT_EQ(h.total(), 10001u);
  std::uint64_t sum = 0;
  for (auto c : h.counts()) sum += c;
  EXPECT_EQ(sum, 10001u);
  // Every old edge that is still an edge (each 8th) has exactly the same mass below it.
  std::uint64_t old_below = 0, new_below = 0;
  for (int k = 0; k < 128; ++k) {
    old_below += old_counts[k];
    if ((k + 1) % 8 == 0) {
      new_below += h.counts()[k / 8];
      EXPECT_EQ(new_below, old_below) << "old edge " << k + 1;
    }
  }
  // The outlier itself: 5 / (8 * old_range / 128) = bin 80 (old_range is just below 1).
  const int outlier_bin = static_cast<int>(5.0 / h.bin_width());
  EXPECT_EQ(h.counts()[outlier_bin], 1u);
}

TEST(HistogramCollector, BatchesGiveTheSameCountsAsOneBatchWhenTheRangeIsSet) {
  auto v = gaussian(100001, 10);  // odd size: exercises the unpaired last element
  v[0] = 6.0f;                    // the first batch holds the maximum, so no later growth
  HistogramCollector whole(256), parts(256);
  whole.update(v);
  const std::span<const float> all(v);
  parts.update(all.subspan(0, 50000));
  parts.update(all.subspan(50000, 33333));
  parts.update(all.subspan(83333));
  EXPECT_EQ(parts.counts(), whole.counts());
  EXPECT_EQ(parts.range(), 6.0);
  EXPECT_EQ(parts.minmax().min(), whole.minmax().min());
  EXPECT_EQ(parts.minmax().max(), whole.minmax().max());
}

TEST(HistogramCollector, NanAndInfAreErrors) {
  HistogramCollector h(128);
  std::vector<float> ok{1.0f, -2.0f}, nan{0.5f, std::nanf(""), 0.25f}, inf{0.5f, INFINITY};
  EXPECT_THROW(h.update(nan), Error);  // before any range is set
  h.update(ok);
  EXPECT_THROW(h.update(nan), Error);  // in the one-pass path
  EXPECT_THROW(h.update(inf), Error);
  EXPECT_EQ(h.total(), 2u);  // a rejected batch leaves no trace
}

TEST(HistogramCollector, DenormalFirstValuesKeepAFiniteBinWidth) {
  HistogramCollector h(128);
  std::vector<float> tiny{0.0f, 1e-40f, -1e-41f, 0.0f};
  h.update(tiny);
  EXPECT_GE(h.range(), 1e-40);
  EXPECT_EQ(h.counts()[0], 4u);  // all four are far below one bin width of the floored range
  std::vector<float> normal{3.0f};
  h.update(normal);
  EXPECT_EQ(h.total(), 5u);
  EXPECT_EQ(h.counts()[0], 4u);
  EXPECT_EQ(h.minmax().max(), 3.0f);
}

TEST(HistogramCollector, SummaryMergesWholeBinsUpToTheLargestValue) {
  HistogramCollector h(128);
  std::vector<float> first{1.0f, 3.0f}, later{-5.0f};
  h.update(first);  // range 3: 1.0 in bin 42, 3.0 in bin 127
  h.update(later);  // range doubles to 6: bins 21 and 63, and 5.0 in bin 106
  ASSERT_EQ(h.range(), 6.0);
  // Bins 0..106 are used: 8 bins of 14 fine bins each, ending at 112 x 6 / 128, not at 6.
  const auto summary = h.summary(8);
  EXPECT_EQ(summary.upper, 5.25);
  EXPECT_EQ(summary.counts, (std::vector<std::uint64_t>{0, 1, 0, 0, 1, 0, 0, 1}));

  HistogramCollector zeros(128);
  std::vector<float> all_zero(5, 0.0f);
  zeros.update(all_zero);
  EXPECT_EQ(zeros.summary(4), (ValueHistogram{0.0, {5, 0, 0, 0}}));
  EXPECT_EQ(HistogramCollector(128).summary(4), (ValueHistogram{0.0, {0, 0, 0, 0}}));
}

TEST(HistogramCollector, RejectsBadBinCount) {
  EXPECT_THROW(HistogramCollector(100), Error);
  EXPECT_THROW(HistogramCollector(129), Error);
}

TEST(Percentile, UniformMatchesAnalytic) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> v(1000000);
  for (auto& x : v) x = uniform(rng);
  auto h = histogram_of(v);
  EXPECT_NEAR(percentile_amax(h, 99.0), 0.99, 0.003);
  EXPECT_NEAR(percentile_amax(h, 50.0), 0.50, 0.003);
  EXPECT_NEAR(percentile_amax(h, 100.0), 1.0, 0.001);
}

TEST(Percentile, GaussianMatchesAnalytic) {
  auto h = histogram_of(gaussian(1000000, 2));
  // Two-sided: P(|x| < z) = p  =>  z = Phi^-1((1 + p) / 2).
  EXPECT_NEAR(percentile_amax(h, 99.0), 2.5758, 0.015);
  EXPECT_NEAR(percentile_amax(h, 99.99), 3.8906, 0.08);
}

TEST(Percentile, RejectsOutOfRange) {
  auto h = histogram_of(gaussian(1000, 3));
  EXPECT_THROW(percentile_amax(h, 0.0), Error);
  EXPECT_THROW(percentile_amax(h, -1.0), Error);
  EXPECT_THROW(percentile_amax(h, 100.5), Error);
  EXPECT_THROW(percentile_amax(h, std::nan("")), Error);
  EXPECT_NO_THROW(percentile_amax(h, 100.0));
}

TEST(Entropy, GaussianWithFarOutliersClipsWellBelowMax) {
  auto v = gaussian(1000000, 4);
  for (int i = 0; i < 10; ++i) v.push_back(i % 2 ? 100.0f : -100.0f);
  auto h = histogram_of(v);
  ASSERT_EQ(h.minmax().abs_max(), 100.0f);
  ASSERT_EQ(h.range(), 100.0);
  // The 2048 bins are searched as 512 (width 100 / 512 = 0.1953125). The Gaussian body (|x| < ~5
  // for 1e6 samples) fits in 26 of them. Keeping 128 to 255 bins maps each bin to its own level,
  // so the body is exact and the outliers cost the same wherever they are clipped: a tie, which
  // goes to the wider range, 255 bins = 49.8046875. From 256 bins on, the body's bins are merged in
  // pairs, which costs more. (TensorRT's search on all 2048 bins went down to 128 x 100 / 2048.)
  EXPECT_DOUBLE_EQ(entropy_amax(h), 255 * 100.0 / 512);
}

TEST(Entropy, MergeBinsSumsNeighbours) {
  const std::vector<std::uint64_t> bins{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(merge_bins(bins, 1), bins);
  EXPECT_EQ(merge_bins(bins, 4), (std::vector<std::uint64_t>{10, 26, 19}));  // the last group is short
  EXPECT_EQ(merge_bins(bins, 10), (std::vector<std::uint64_t>{55}));
  EXPECT_THROW(merge_bins(bins, 0), Error);
}

TEST(Entropy, SearchesAtMost512Bins) {
  // The same data in 2048 and in 512 bins over the same range (128): every value lies inside a
  // bin of both (width 1/16 and 1/4), so the 2048 bins merged by 4 are the 512 ones, and the
  // threshold is the one the definition gives on the 512 bins.
  std::vector<float> v(10000, 0.5f);
  v.push_back(128.0f);
  v.push_back(1.3f);
  const auto fine = histogram_of(v, 2048), coarse = histogram_of(v, 512);
  ASSERT_EQ(fine.range(), 128.0);
  ASSERT_EQ(coarse.range(), 128.0);
  EXPECT_EQ(merge_bins(fine.counts(), 4), coarse.counts());
  int best_kept = 0;
  double best = INFINITY;
  for (int kept = 128; kept <= 512; ++kept) {
    const double kl = kl_divergence_at(coarse, kept);
    if (kl <= best) {
      best = kl;
      best_kept = kept;
    }
  }
  EXPECT_DOUBLE_EQ(entropy_amax(coarse), best_kept * 0.25);
  EXPECT_DOUBLE_EQ(entropy_amax(fine), best_kept * 0.25);
  EXPECT_LT(entropy_amax(fine), 128.0);  // the far value is clipped
}

TEST(Entropy, FastSearchMatchesDefinition) {
  auto v = gaussian(200000, 5);
  v.push_back(30.0f);
  auto h = histogram_of(v, 512);
  int best_kept = 0;
  double best = INFINITY;
  for (int kept = 128; kept <= 512; ++kept) {
    const double kl = kl_divergence_at(h, kept);
    if (kl <= best) {
      best = kl;
      best_kept = kept;
    }
  }
  EXPECT_NEAR(entropy_amax(h), best_kept * h.bin_width(), 1e-9);
}

TEST(Entropy, WithoutOutliersKeepsNearlyEverything) {
  std::mt19937_64 rng(6);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> v(1000000);
  for (auto& x : v) x = uniform(rng);
  // A flat distribution loses the most by clipping: the threshold stays near the max.
  EXPECT_GT(entropy_amax(histogram_of(v)), 0.9);
}

TEST(Mse, LaplacianBetweenPercentileAndMax) {
  std::mt19937_64 rng(8);
  std::exponential_distribution<float> exponential(1.0f);
  std::bernoulli_distribution sign(0.5);
  std::vector<float> v(1000000);
  for (auto& x : v) x = sign(rng) ? exponential(rng) : -exponential(rng);
  auto h = histogram_of(v);
  const double p9999 = percentile_amax(h, 99.99);
  const double mse = mse_amax(h);
  EXPECT_NEAR(p9999, std::log(1e4), 0.3);  // |x| ~ Exp(1): quantile -ln(1e-4)
  EXPECT_GT(mse, p9999);
  EXPECT_LT(mse, h.minmax().abs_max());
}

TEST(Mse, UniformKeepsTheWholeRange) {
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> v(100000);
  for (auto& x : v) x = uniform(rng);
  EXPECT_GT(mse_amax(histogram_of(v)), 0.98);
}

TEST(Methods, EmptyAndAllZeroHistogramsGiveZero) {
  HistogramCollector h(128);
  EXPECT_EQ(entropy_amax(h), 0.0);
  EXPECT_EQ(mse_amax(h), 0.0);
  std::vector<float> zeros(5, 0.0f);
  h.update(zeros);
  EXPECT_EQ(entropy_amax(h), 0.0);
  EXPECT_EQ(percentile_amax(h, 99.0), 0.0);
}

}  // namespace
}  // namespace yoloq

namespace yoloq {
namespace {

Tensor weight(std::vector<std::int64_t> shape, std::vector<float> values) {
  Tensor t(DType::Float32, std::move(shape));
  std::copy(values.begin(), values.end(), t.values<float>().begin());
  return t;
}

TEST(WeightChannelAmax, PerOutputChannelAlongTheAxis) {
  // Conv weight [out 2, in 1, 2, 2]: channel 0 holds -3 at most, channel 1 holds 0.5.
  const auto conv = weight({2, 1, 2, 2}, {1, -3, 2, 0, 0.5f, -0.25f, 0, 0.125f});
  EXPECT_EQ(channel_amax(conv, 0, "w"), (std::vector<float>{3.0f, 0.5f}));
  // ConvTranspose weight [in 2, out 3, 1, 1]: channels along axis 1.
  const auto transposed = weight({2, 3, 1, 1}, {1, -2, 3, -4, 0.5f, 1});
  EXPECT_EQ(channel_amax(transposed, 1, "w"), (std::vector<float>{4.0f, 2.0f, 3.0f}));
}

TEST(WeightChannelAmax, RejectsBadAxisTypeAndValues) {
  const auto w = weight({2, 2}, {1, 2, 3, 4});
  EXPECT_THROW(channel_amax(w, 2, "conv.weight"), Error);
  EXPECT_THROW(channel_amax(Tensor(DType::Int8, {2, 2}), 0, "conv.weight"), Error);
  EXPECT_THROW(channel_amax(weight({2}, {1, std::nanf("")}), 0, "conv.weight"), Error);
}

}  // namespace
}  // namespace yoloq
