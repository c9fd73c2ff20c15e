// Object keypoint similarity, from pycocotools' computeOks and Ultralytics' kpt_iou definitions.
#include "yoloq/eval/keypoints.hpp"

#include <algorithm>
#include <cmath>

#include "yoloq/support/error.hpp"

namespace yoloq {

namespace {
constexpr double kSpacingOfOne = 2.220446049250313e-16;  // numpy.spacing(1), pycocotools' guard

void check_same_count(const std::vector<Keypoint>& detected, const std::vector<Keypoint>& labelled) {
  if (detected.size() != labelled.size())
    throw Error("OKS: " + std::to_string(detected.size()) + " detected keypoints against " +
                std::to_string(labelled.size()) + " labelled ones");
}
}  // namespace

std::vector<double> keypoint_sigmas(std::size_t keypoints) {
  if (keypoints == 17)
    return {.26 / 10.0, .25 / 10.0, .25 / 10.0, .35 / 10.0, .35 / 10.0, .79 / 10.0, .79 / 10.0, .72 / 10.0, .72 / 10.0,
            .62 / 10.0, .62 / 10.0, 1.07 / 10.0, 1.07 / 10.0, .87 / 10.0, .87 / 10.0, .89 / 10.0, .89 / 10.0};
  return std::vector<double>(keypoints, 1.0 / static_cast<double>(keypoints));
}

double coco_oks(const std::vector<Keypoint>& detected, const std::vector<Keypoint>& labelled, const Box& box,
                double area) {
  check_same_count(detected, labelled);
  const auto sigmas = keypoint_sigmas(labelled.size());
  const auto visible =
      std::count_if(labelled.begin(), labelled.end(), [](const Keypoint& k) { return k.v > 0; });
  // With no labelled keypoint, the distance is to a region three times the box's size around it.
  const double bw = box.x2 - box.x1, bh = box.y2 - box.y1;
  const double x0 = box.x1 - bw, x1 = box.x1 + bw * 2, y0 = box.y1 - bh, y1 = box.y1 + bh * 2;
  double sum = 0;
  std::size_t terms = 0;
  for (std::size_t i = 0; i < labelled.size(); ++i) {
    double dx = 0, dy = 0;
    if (visible > 0) {
      if (labelled[i].v <= 0) continue;
      dx = detected[i].x - labelled[i].x;
      dy = detected[i].y - labelled[i].y;
    } else {
      dx = std::max(0.0, x0 - detected[i].x) + std::max(0.0, detected[i].x - x1);
      dy = std::max(0.0, y0 - detected[i].y) + std::max(0.0, detected[i].y - y1);
    }
    const double variance = (sigmas[i] * 2) * (sigmas[i] * 2);
    // The same operation order as numpy's (dx**2 + dy**2) / vars / (area + eps) / 2.
    const double e = (dx * dx + dy * dy) / variance / (area + kSpacingOfOne) / 2;
    sum += std::exp(-e);
    ++terms;
  }
  return terms ? sum / static_cast<double>(terms) : 0.0;
}

double ultralytics_oks(const std::vector<Keypoint>& detected, const std::vector<Keypoint>& labelled, const Box& box) {
  check_same_count(detected, labelled);
  const auto sigmas = keypoint_sigmas(labelled.size());
  const float area = static_cast<float>((box.x2 - box.x1) * (box.y2 - box.y1)) * 0.53f;
  float sum = 0, visible = 0;
  for (std::size_t i = 0; i < labelled.size(); ++i) {
    if (labelled[i].v == 0) continue;
    const float dx = static_cast<float>(detected[i].x - labelled[i].x);
    const float dy = static_cast<float>(detected[i].y - labelled[i].y);
    const float s2 = static_cast<float>(2 * sigmas[i]) * static_cast<float>(2 * sigmas[i]);
    sum += std::exp(-(dx * dx + dy * dy) / (s2 * (area + 1e-7f) * 2));
    visible += 1;
  }
  return sum / (visible + 1e-7f);
}

}  // namespace yoloq
