#include <gtest/gtest.h>

#include "yoloq/eval/drop_interval.hpp"
#include "yoloq/support/error.hpp"

namespace yoloq {
namespace {

// Ten images with one labelled object each; `missed` images get no detection, the others an
// exact one.
std::vector<ImageDetections> ten_images(std::size_t missed) {
  std::vector<ImageDetections> images;
  for (std::size_t i = 0; i < 10; ++i) {
    ImageDetections image;
    image.image_id = static_cast<long long>(i + 1);
    const Box box{10.0 * i, 0, 10.0 * i + 8, 8};
    image.ground_truth.push_back({box, 0, {}, {}});
    if (i >= missed) image.detections.push_back({box, 0.9f, 0, -1, {}, {}});
    images.push_back(std::move(image));
  }
  return images;
}

TEST(DropInterval, IdenticalModelsHaveNoSpread) {
  const auto images = ten_images(0);
  const auto interval = paired_drop_interval(images, images);
  EXPECT_EQ(interval.low, 0.0);
  EXPECT_EQ(interval.high, 0.0);
  EXPECT_EQ(interval.resamples, 200);
}

TEST(DropInterval, OneMissedImageOfTenSpansNoLossToThreeMisses) {
  // The INT8 model misses the object of one image in ten: a drop of 9.9 points (recall 0.9 at
  // precision 1 is 91 of COCO's 101 recall thresholds). A draw holds the missed image k times,
  // k ~ Binomial(10, 0.1), and its drop is that of k misses: 0 with probability 0.35, so the 5%
  // quantile is 0; at most 2 misses with probability 0.93 and 3 with 0.99, so the 95% quantile
  // is the drop of 3 misses: recall 0.7 reaches 70 of the 101 thresholds, not 71, because
  // np.linspace's (and so pycocotools') threshold is 0.7000000000000001.
  const auto reference = ten_images(0), other = ten_images(1);
  const double point = 100 * (coco_metrics(reference).map50_95 - coco_metrics(other).map50_95);
  EXPECT_NEAR(point, 100 * (1 - 91.0 / 101), 1e-9);
  const auto interval = paired_drop_interval(reference, other, 200, 0.9, 0);
  EXPECT_EQ(interval.low, 0.0);
  EXPECT_NEAR(interval.high, 100 * (1 - 70.0 / 101), 1e-9);
  // The same seed draws the same images; the reverse pair is the negated interval.
  const auto again = paired_drop_interval(reference, other, 200, 0.9, 0);
  EXPECT_EQ(again.high, interval.high);
  const auto reversed = paired_drop_interval(other, reference, 200, 0.9, 0);
  EXPECT_NEAR(reversed.low, -interval.high, 1e-9);
  EXPECT_NEAR(reversed.high, -interval.low, 1e-9);
}

TEST(DropInterval, DrawsScoreAsCopiesOfTheDrawnImagesWould) {
  // Two classes, a false positive, a loose box and an unlabelled class: the shortcut that matches
  // each image once must give coco_metrics' mAP on copies of the drawn images, exactly.
  auto images = ten_images(2);
  images[3].detections[0].box.x2 += 2;                            // IoU 0.8: a hit at some thresholds
  images[4].detections.push_back({{50, 50, 60, 60}, 0.95f, 0, -1, {}, {}});  // false positive, top score
  images[5].ground_truth.push_back({{0, 20, 8, 28}, 1, {}, {}});  // class 1, found
  images[5].detections.push_back({{0, 20, 8, 28}, 0.5f, 1, -1, {}, {}});
  images[6].detections.push_back({{0, 30, 8, 38}, 0.7f, 2, -1, {}, {}});  // class 2 has no labels
  const std::vector<std::vector<std::size_t>> draws{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {5, 5, 3, 4, 4, 0, 9, 9, 6, 1},
                                                    {7, 8, 9, 7, 8, 9, 7, 8, 9, 7}};
  const auto maps = coco_map50_95_of_draws(images, draws);
  ASSERT_EQ(maps.size(), draws.size());
  for (std::size_t d = 0; d < draws.size(); ++d) {
    std::vector<ImageDetections> copies;
    for (const auto i : draws[d]) {
      copies.push_back(images[i]);
      copies.back().image_id = static_cast<long long>(copies.size());
    }
    EXPECT_DOUBLE_EQ(maps[d], coco_metrics(copies).map50_95) << "draw " << d;
  }
  EXPECT_LT(maps[0], 1.0);
  EXPECT_DOUBLE_EQ(maps[2], 1.0);  // images 7 to 9 are found exactly
}

TEST(DropInterval, DifferentImageCountsAreAnError) {
  EXPECT_THROW(paired_drop_interval(ten_images(0), std::vector<ImageDetections>(3)), Error);
}

}  // namespace
}  // namespace yoloq
