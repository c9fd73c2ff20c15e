// Rotated-box geometry: corners, exact convex polygon intersection and Ultralytics' probiou.
#include "yoloq/eval/rotated_box.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace yoloq {

namespace {

using Polygon = std::vector<Point2>;

double signed_area(const Polygon& p) {
  double twice = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const auto& a = p[i];
    const auto& b = p[(i + 1) % p.size()];
    twice += a.x * b.y - b.x * a.y;
  }
  return twice / 2;
}

// Counter-clockwise in the usual x-right, y-up sense, so "inside" is the left of every edge.
Polygon counter_clockwise(const Quad& quad) {
  Polygon p(quad.begin(), quad.end());
  if (signed_area(p) < 0) std::reverse(p.begin(), p.end());
  return p;
}

double cross(const Point2& a, const Point2& b, const Point2& p) {
  return (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
}

Point2 edge_crossing(const Point2& p, const Point2& q, const Point2& a, const Point2& b) {
  const double cp = cross(a, b, p), cq = cross(a, b, q);
  const double t = cp / (cp - cq);
  return {p.x + t * (q.x - p.x), p.y + t * (q.y - p.y)};
}

}  // namespace

Quad corners(const RotatedBox& box) {
  const double c = std::cos(box.angle), s = std::sin(box.angle);
  const Point2 half_w{box.w / 2 * c, box.w / 2 * s};
  const Point2 half_h{-box.h / 2 * s, box.h / 2 * c};
  return {Point2{box.cx + half_w.x + half_h.x, box.cy + half_w.y + half_h.y},
          Point2{box.cx + half_w.x - half_h.x, box.cy + half_w.y - half_h.y},
          Point2{box.cx - half_w.x - half_h.x, box.cy - half_w.y - half_h.y},
          Point2{box.cx - half_w.x + half_h.x, box.cy - half_w.y + half_h.y}};
}

double quad_area(const Quad& quad) { return std::abs(signed_area(Polygon(quad.begin(), quad.end()))); }

double intersection_area(const Quad& a, const Quad& b) {
  Polygon clipped = counter_clockwise(a);
  const Polygon clip = counter_clockwise(b);
  // Sutherland-Hodgman: keep the part of `clipped` to the left of each edge of the convex `clip`.
  for (std::size_t e = 0; e < clip.size() && !clipped.empty(); ++e) {
    const Point2& ea = clip[e];
    const Point2& eb = clip[(e + 1) % clip.size()];
    Polygon next;
    for (std::size_t i = 0; i < clipped.size(); ++i) {
      const Point2& p = clipped[i];
      const Point2& q = clipped[(i + 1) % clipped.size()];
      const bool p_in = cross(ea, eb, p) >= 0, q_in = cross(ea, eb, q) >= 0;
      if (p_in) next.push_back(p);
      if (p_in != q_in) next.push_back(edge_crossing(p, q, ea, eb));
    }
    clipped = std::move(next);
  }
  return clipped.size() < 3 ? 0.0 : std::abs(signed_area(clipped));
}

double rotated_iou(const Quad& a, const Quad& b) {
  const double inter = intersection_area(a, b);
  const double uni = quad_area(a) + quad_area(b) - inter;
  return uni > 0 ? inter / uni : 0.0;
}

double rotated_iou(const RotatedBox& a, const RotatedBox& b) { return rotated_iou(corners(a), corners(b)); }

BoxGaussian box_gaussian(const RotatedBox& r) {
  // _get_covariance_matrix: the box as a Gaussian with variances w^2/12 and h^2/12, rotated.
  const double va = r.w * r.w / 12, vb = r.h * r.h / 12;
  const double c = std::cos(r.angle), s = std::sin(r.angle);
  return {r.cx, r.cy, va * c * c + vb * s * s, va * s * s + vb * c * c, (va - vb) * c * s};
}

double probiou(const BoxGaussian& g1, const BoxGaussian& g2) {
  constexpr double eps = 1e-7;
  const double a1 = g1.a, b1 = g1.b, c1 = g1.c, a2 = g2.a, b2 = g2.b, c2 = g2.c;
  const double dx = g1.cx - g2.cx, dy = g1.cy - g2.cy;
  const double det = (a1 + a2) * (b1 + b2) - (c1 + c2) * (c1 + c2);
  const double t1 = ((a1 + a2) * dy * dy + (b1 + b2) * dx * dx) / (det + eps) * 0.25;
  const double t2 = ((c1 + c2) * (g2.cx - g1.cx) * (g1.cy - g2.cy)) / (det + eps) * 0.5;
  const double t3 =
      std::log(det / (4 * std::sqrt(std::max(a1 * b1 - c1 * c1, 0.0) * std::max(a2 * b2 - c2 * c2, 0.0)) + eps) + eps) *
      0.5;
  const double bd = std::clamp(t1 + t2 + t3, eps, 100.0);
  const double hd = std::sqrt(1.0 - std::exp(-bd) + eps);
  return 1 - hd;
}

double probiou(const RotatedBox& a, const RotatedBox& b) { return probiou(box_gaussian(a), box_gaussian(b)); }

}  // namespace yoloq
