// COCO run-length masks: building, IoU, polygon rasterization and the compressed string form,
// reimplemented from pycocotools' maskApi definitions so that mask AP agrees with it exactly.
#include "yoloq/eval/rle_mask.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "yoloq/support/error.hpp"

namespace yoloq {

std::uint64_t RleMask::area() const {
  std::uint64_t pixels = 0;
  for (std::size_t i = 1; i < counts.size(); i += 2) pixels += counts[i];
  return pixels;
}

void RleBuilder::add(bool value, std::uint64_t length) {
  if (length == 0) return;
  // Runs alternate starting with 0s: a mask that starts with 1s has a leading empty 0-run.
  if (mask_.counts.empty() && value) mask_.counts.push_back(0);
  if (!mask_.counts.empty() && value == value_)
    mask_.counts.back() += static_cast<std::uint32_t>(length);
  else
    mask_.counts.push_back(static_cast<std::uint32_t>(length));
  value_ = value;
  pixels_ += length;
}

RleMask RleBuilder::finish() {
  const auto total = static_cast<std::uint64_t>(mask_.height) * static_cast<std::uint64_t>(mask_.width);
  if (pixels_ > total) throw Error("RleBuilder: more pixels than a " + std::to_string(mask_.height) + "x" +
                                   std::to_string(mask_.width) + " mask holds");
  add(false, total - pixels_);
  if (mask_.counts.empty()) mask_.counts.push_back(0);  // a 0x0 mask: one empty run, as COCO has
  return std::move(mask_);
}

double mask_iou(const RleMask& a, const RleMask& b) {
  if (a.height != b.height || a.width != b.width)
    throw Error("mask_iou: masks of different sizes (" + std::to_string(a.height) + "x" + std::to_string(a.width) +
                " and " + std::to_string(b.height) + "x" + std::to_string(b.width) + ")");
  // Walk both run lists together; each step covers the pixels until the next run boundary.
  std::uint64_t intersection = 0, uni = 0;
  std::size_t ia = 0, ib = 0;
  std::uint64_t left_a = a.counts.empty() ? 0 : a.counts[0], left_b = b.counts.empty() ? 0 : b.counts[0];
  bool va = false, vb = false;
  while (true) {
    while (left_a == 0 && ia + 1 < a.counts.size()) left_a = a.counts[++ia], va = !va;
    while (left_b == 0 && ib + 1 < b.counts.size()) left_b = b.counts[++ib], vb = !vb;
    if (left_a == 0 || left_b == 0) break;
    const std::uint64_t step = std::min(left_a, left_b);
    if (va || vb) uni += step;
    if (va && vb) intersection += step;
    left_a -= step;
    left_b -= step;
  }
  // Pixels past the end of one list (malformed input) still count towards the union.
  if (va && left_a) uni += left_a;
  if (vb && left_b) uni += left_b;
  return intersection == 0 ? 0.0 : static_cast<double>(intersection) / static_cast<double>(uni);
}

RleMask polygon_mask(const std::vector<double>& xy, int height, int width) {
  const std::size_t k = xy.size() / 2;
  const double scale = 5;
  const auto h = static_cast<std::int64_t>(height), w = static_cast<std::int64_t>(width);
  // Vertices at 5x resolution, rounded as C's (int)(v + .5) does, the polygon closed.
  std::vector<int> x(k + 1), y(k + 1);
  for (std::size_t j = 0; j < k; ++j) {
    x[j] = static_cast<int>(scale * xy[2 * j] + .5);
    y[j] = static_cast<int>(scale * xy[2 * j + 1] + .5);
  }
  if (k == 0) return RleBuilder(height, width).finish();
  x[k] = x[0];
  y[k] = y[0];
  // Every integer point along each edge (stepping along its longer axis).
  std::vector<int> u, v;
  for (std::size_t j = 0; j < k; ++j) {
    int xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
    const int dx = std::abs(xe - xs), dy = std::abs(ys - ye);
    const bool flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) std::swap(xs, xe), std::swap(ys, ye);
    const double s = dx >= dy ? static_cast<double>(ye - ys) / dx : static_cast<double>(xe - xs) / dy;
    if (dx >= dy) {
      for (int d = 0; d <= dx; ++d) {
        const int t = flip ? dx - d : d;
        u.push_back(t + xs);
        v.push_back(static_cast<int>(ys + s * t + .5));
      }
    } else {
      for (int d = 0; d <= dy; ++d) {
        const int t = flip ? dy - d : d;
        v.push_back(t + ys);
        u.push_back(static_cast<int>(xs + s * t + .5));
      }
    }
  }
  // Where the boundary crosses a pixel column's centre: the first pixel of the column inside it.
  std::vector<std::uint32_t> starts;
  for (std::size_t j = 1; j < u.size(); ++j) {
    if (u[j] == u[j - 1]) continue;
    double xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
    xd = (xd + .5) / scale - .5;
    if (std::floor(xd) != xd || xd < 0 || xd > static_cast<double>(w - 1)) continue;
    double yd = std::min(v[j], v[j - 1]);
    yd = (yd + .5) / scale - .5;
    yd = std::ceil(std::clamp(yd, 0.0, static_cast<double>(h)));
    starts.push_back(static_cast<std::uint32_t>(static_cast<std::int64_t>(xd) * h + static_cast<std::int64_t>(yd)));
  }
  starts.push_back(static_cast<std::uint32_t>(h * w));
  std::sort(starts.begin(), starts.end());
  // Boundary positions -> run lengths; a zero-length run merges its neighbours.
  std::uint32_t previous = 0;
  for (auto& s : starts) {
    const std::uint32_t position = s;
    s -= previous;
    previous = position;
  }
  RleMask mask;
  mask.height = height;
  mask.width = width;
  std::size_t j = 0;
  mask.counts.push_back(starts[j++]);
  while (j < starts.size()) {
    if (starts[j] > 0) {
      mask.counts.push_back(starts[j++]);
    } else {
      ++j;
      if (j < starts.size()) mask.counts.back() += starts[j++];
    }
  }
  return mask;
}

std::string coco_rle_string(const RleMask& mask) {
  // LEB128-like, 5 bits per character from '0', counts after the second as differences from the
  // count two places earlier.
  std::string out;
  for (std::size_t i = 0; i < mask.counts.size(); ++i) {
    long long x = mask.counts[i];
    if (i > 2) x -= static_cast<long long>(mask.counts[i - 2]);
    bool more = true;
    while (more) {
      char c = static_cast<char>(x & 0x1f);
      x >>= 5;
      more = (c & 0x10) ? x != -1 : x != 0;
      if (more) c |= 0x20;
      out.push_back(static_cast<char>(c + 48));
    }
  }
  return out;
}

}  // namespace yoloq
