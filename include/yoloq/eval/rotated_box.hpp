#pragma once
// Oriented (rotated) boxes as Ultralytics' OBB models predict them, and the two overlaps OBB
// evaluation needs: the exact IoU of two convex quadrilaterals (polygon clipping, what DOTA's
// devkit and the "rotated-box IoU" mean) and Ultralytics' probiou (the Bhattacharyya
// overlap of the boxes' Gaussians, which its OBB NMS uses).
#include <array>

namespace yoloq {

struct Point2 {
  double x = 0, y = 0;
};

// Four corners in order around the quadrilateral (either direction).
using Quad = std::array<Point2, 4>;

// Centre, size and rotation in radians (counter-clockwise on screen is negative y; the sign only
// has to agree between corners() and probiou(), which both follow Ultralytics' xywhr2xyxyxyxy).
struct RotatedBox {
  double cx = 0, cy = 0, w = 0, h = 0, angle = 0;
  double area() const { return w * h; }
};

// Ultralytics' xywhr2xyxyxyxy: corners ctr + (w/2)(cos, sin) + (h/2)(-sin, cos) and so on.
Quad corners(const RotatedBox& box);

// Area of a simple polygon, always >= 0.
double quad_area(const Quad& quad);

// Exact area of the intersection of two convex quadrilaterals (Sutherland-Hodgman clipping of one
// by the other), and their IoU: intersection / (area a + area b - intersection); 0 when the union
// is empty.
double intersection_area(const Quad& a, const Quad& b);
double rotated_iou(const Quad& a, const Quad& b);
double rotated_iou(const RotatedBox& a, const RotatedBox& b);

// Ultralytics' batch_probiou for one pair (utils/metrics.py, eps 1e-7), in double: 1 - the
// Hellinger distance between the boxes' Gaussians. Not an IoU (two disjoint boxes score > 0), but
// what Ultralytics' OBB NMS suppresses with.
double probiou(const RotatedBox& a, const RotatedBox& b);

// The same in two steps, for NMS over many pairs: each box's Gaussian (centre and covariance
// [[a, c], [c, b]], Ultralytics' _get_covariance_matrix) once, then the pairwise part without trig.
struct BoxGaussian {
  double cx = 0, cy = 0, a = 0, b = 0, c = 0;
};
BoxGaussian box_gaussian(const RotatedBox& box);
double probiou(const BoxGaussian& a, const BoxGaussian& b);

}  // namespace yoloq
