// The AP integrals and the numpy behaviour they rely on. The reference implementations are
// numpy code, so the sampling points and interpolation follow numpy's arithmetic exactly:
// linspace is i * step + start with the last point set to stop.
#include <algorithm>

#include "yoloq/eval/detection_metrics.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq {

namespace {

std::vector<double> numpy_linspace(double start, double stop, int num) {
  std::vector<double> points(static_cast<std::size_t>(num));
  const double step = (stop - start) / (num - 1);
  for (int i = 0; i < num; ++i) points[static_cast<std::size_t>(i)] = i * step + start;
  points.back() = stop;
  return points;
}

// Running maximum from the end: precision at recall r becomes the best precision at any recall
// >= r.
void precision_envelope(std::vector<double>& precision) {
  for (std::size_t i = precision.size(); i-- > 1;)
    precision[i - 1] = std::max(precision[i - 1], precision[i]);
}

}  // namespace

ApMetric parse_ap_metric(const std::string& name) {
  if (name == "ultralytics") return ApMetric::Ultralytics;
  if (name == "coco") return ApMetric::Coco;
  throw Error("unknown metric '" + name + "' (expected ultralytics or coco)");
}

std::string metric_name(ApMetric metric) {
  return metric == ApMetric::Coco ? "coco" : "ultralytics";
}

std::string similarity_name(Similarity similarity) {
  switch (similarity) {
    case Similarity::Mask: return "mask";
    case Similarity::Keypoints: return "keypoints";
    case Similarity::Box: break;
  }
  return "box";
}

std::vector<GroundTruth> agreement_reference(const std::vector<Detection>& float_detections) {
  std::vector<GroundTruth> reference;
  for (const auto& d : float_detections) {
    if (d.score < kAgreementReferenceScore) continue;
    GroundTruth gt{d.box, d.class_id, d.mask, d.keypoints};
    for (auto& k : gt.keypoints) k.v = k.v >= kAgreementKeypointVisibility ? 2 : 0;
    reference.push_back(std::move(gt));
  }
  return reference;
}

std::vector<double> iou_thresholds() { return numpy_linspace(0.5, 0.95, 10); }

double numpy_interp(double x, const std::vector<double>& xp, const std::vector<double>& fp,
                    double left, double right) {
  if (xp.empty() || xp.size() != fp.size())
    throw Error("numpy_interp: xp and fp must be non-empty and equally long");
  const std::size_t n = xp.size();
  if (x < xp.front()) return left;
  if (x > xp.back()) return right;
  // The last index whose xp is <= x (numpy's binary search lands there among duplicates).
  const std::size_t j =
      static_cast<std::size_t>(std::upper_bound(xp.begin(), xp.end(), x) - xp.begin()) - 1;
  if (j == n - 1 || xp[j] == x) return fp[j];
  const double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
  return slope * (x - xp[j]) + fp[j];
}

double ultralytics_ap(const std::vector<double>& recall, const std::vector<double>& precision) {
  std::vector<double> mrec{0.0}, mpre{1.0};
  mrec.insert(mrec.end(), recall.begin(), recall.end());
  mpre.insert(mpre.end(), precision.begin(), precision.end());
  mrec.push_back(1.0);
  mpre.push_back(0.0);
  precision_envelope(mpre);
  const auto x = numpy_linspace(0.0, 1.0, 101);
  std::vector<double> y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    y[i] = numpy_interp(x[i], mrec, mpre, mpre.front(), mpre.back());
  double area = 0;
  for (std::size_t i = 0; i + 1 < x.size(); ++i)
    area += (x[i + 1] - x[i]) * (y[i] + y[i + 1]) / 2.0;
  return area;
}

double coco_ap(const std::vector<double>& recall, const std::vector<double>& precision) {
  std::vector<double> envelope = precision;
  precision_envelope(envelope);
  const auto thresholds = numpy_linspace(0.0, 1.0, 101);
  double sum = 0;
  for (double t : thresholds) {
    // First point whose recall reaches t (searchsorted, side left); none: precision 0.
    const auto it = std::lower_bound(recall.begin(), recall.end(), t);
    if (it != recall.end()) sum += envelope[static_cast<std::size_t>(it - recall.begin())];
  }
  return sum / static_cast<double>(thresholds.size());
}

}  // namespace yoloq
