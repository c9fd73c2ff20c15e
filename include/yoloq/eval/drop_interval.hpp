#pragma once
// How precisely a few labelled images measure a drop in mAP50-95. Verification scores the float
// and the INT8 model on the same held-out images (15 with coco128's default split), where one box
// moves the mAP by a point or more; the interval says which drops those images cannot tell apart,
// so that the verdict does not call a model broken on a difference they do not resolve.
#include <cstdint>
#include <vector>

#include "yoloq/eval/detection_metrics.hpp"

namespace yoloq {

struct DropInterval {
  double low = 0, high = 0;  // mAP50-95 points, (reference - other) x 100, COCO-style
  double level = 0.9;        // the share of resampled drops between low and high
  int resamples = 0;
};

// A paired bootstrap: the images are drawn with replacement, the same draw for both lists (they
// must hold the same images, with the same labels, in the same order), and the drop of each draw
// scored as `coco_metrics` scores it (coco_map50_95_of_draws). low and high are the draws' (1 - level) / 2 and (1 + level) / 2
// quantiles. Deterministic for a seed: draws come from std::mt19937_64 reduced modulo the image
// count, which every standard library computes alike.
DropInterval paired_drop_interval(const std::vector<ImageDetections>& reference,
                                  const std::vector<ImageDetections>& other, int resamples = 200,
                                  double level = 0.9, std::uint64_t seed = 0);

}  // namespace yoloq
