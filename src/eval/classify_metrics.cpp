// Top-1 / top-5 accuracy against labels, and agreement between two models' class scores.
#include <algorithm>
#include <numeric>

#include "yoloq/eval/classify.hpp"

namespace yoloq {

namespace {
constexpr std::size_t kTopK = 5;
}

std::vector<int> top_classes(std::span<const float> scores, std::size_t k) {
  std::vector<int> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  k = std::min(k, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(), [&](int a, int b) {
    const float sa = scores[static_cast<std::size_t>(a)], sb = scores[static_cast<std::size_t>(b)];
    return sa > sb || (sa == sb && a < b);
  });
  order.resize(k);
  return order;
}

void ClassifyScorer::add(std::span<const float> scores, int label) {
  const auto best = top_classes(scores, kTopK);
  ++images_;
  top1_ += !best.empty() && best.front() == label;
  top5_ += std::find(best.begin(), best.end(), label) != best.end();
}

ClassifyMetrics ClassifyScorer::metrics() const {
  ClassifyMetrics m;
  m.images = images_;
  if (images_ == 0) return m;
  m.top1 = static_cast<double>(top1_) / static_cast<double>(images_);
  m.top5 = static_cast<double>(top5_) / static_cast<double>(images_);
  return m;
}

void ClassifyAgreementScorer::add(std::span<const float> float_scores, std::span<const float> quant_scores) {
  const auto f = top_classes(float_scores, kTopK), q = top_classes(quant_scores, kTopK);
  ++images_;
  same_top1_ += !f.empty() && !q.empty() && f.front() == q.front();
  std::size_t shared = 0;
  for (int c : f) shared += std::find(q.begin(), q.end(), c) != q.end();
  overlap_sum_ += f.empty() ? 1.0 : static_cast<double>(shared) / static_cast<double>(f.size());
}

ClassifyAgreement ClassifyAgreementScorer::agreement() const {
  ClassifyAgreement a;
  a.images = images_;
  if (images_ == 0) return a;
  a.top1 = static_cast<double>(same_top1_) / static_cast<double>(images_);
  a.top5_overlap = overlap_sum_ / static_cast<double>(images_);
  return a;
}

nlohmann::json to_json(const ClassifyMetrics& m) {
  return {{"task", "classify"}, {"top1", m.top1}, {"top5", m.top5}, {"images", m.images}};
}

}  // namespace yoloq
