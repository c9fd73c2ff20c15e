#pragma once
// Binary instance masks as COCO stores them: run-length encoded in column-major order (pixel
// (x, y) is at x * height + y), runs alternating 0s and 1s and starting with 0s. Masks at the
// original image resolution are kept this way so that a dataset's worth of them (up to 300
// detections per image) costs kilobytes, and so that --save_json writes exactly what was scored.
#include <cstdint>
#include <string>
#include <vector>

namespace yoloq {

struct RleMask {
  int height = 0, width = 0;
  std::vector<std::uint32_t> counts;  // empty: no mask
  bool empty() const { return counts.empty(); }
  std::uint64_t area() const;  // pixels set
};

// Builds a mask run by run, pixels in column-major order; runs of the same value merge.
class RleBuilder {
 public:
  RleBuilder(int height, int width) { mask_.height = height, mask_.width = width; }
  void add(bool value, std::uint64_t length);
  // Pads with 0s to height * width pixels and returns the mask.
  RleMask finish();

 private:
  RleMask mask_;
  std::uint64_t pixels_ = 0;
  bool value_ = false;
};

// Intersection over union of two masks of the same size; 0 when both are empty. pycocotools'
// rleIou for iscrowd 0.
double mask_iou(const RleMask& a, const RleMask& b);

// A polygon (x0, y0, x1, y1, ... in pixels) rasterized as pycocotools' rleFrPoly does (boundary
// points at 5x resolution, kept where they cross a pixel centre's column), so that mask AP against
// polygon labels matches pycocotools'.
RleMask polygon_mask(const std::vector<double>& xy, int height, int width);

// COCO's compressed RLE string (the "counts" of {"size": [h, w], "counts": ...} in a results
// file, as pycocotools' rleToString writes it).
std::string coco_rle_string(const RleMask& mask);

}  // namespace yoloq
