#pragma once
// Stage 3: runs the float model over the batches with the requested activation tensors exposed,
// streams each batch into one collector per tensor, and turns collectors into ranges.
#include <string>
#include <vector>

#include "yoloq/calib/ranges.hpp"
#include "yoloq/data/batch_source.hpp"
#include "yoloq/onnx/model.hpp"
#include "yoloq/runtime/session.hpp"

namespace yoloq {

// Auto computes every other method's threshold from the same histograms (one pass over the data)
// and keeps them as candidates (Ranges::candidates, amax set to mse's until a selection step,
// tune/range_selection.hpp, picks per tensor by measured error at the consuming ops).
enum class CalibrationMethod { Max, Entropy, Percentile, Mse, Auto };
CalibrationMethod parse_calibration_method(const std::string& name);  // throws Error naming the choices
std::string method_name(CalibrationMethod method);
// The methods Auto chooses among, in the order ties are broken (the default, mse, first).
const std::vector<CalibrationMethod>& candidate_methods();

struct CalibrationOptions {
  // The default is chosen by measurement (bench/accuracy/choose_defaults.sh, results in
  // bench/results/accuracy-trt.tsv): on the shared YOLO11n with the float-dfl head, coco128
  // mAP50-95 is mse 0.498, percentile 0.494, entropy 0.447, max 0.467 (float model 0.497).
  // YOLO activations have rare large values that matter (max wastes range on them less than
  // entropy's aggressive clipping hurts); mse balances clipping against rounding. (That entropy
  // searched all 2048 bins; on 512, as now, it scores 0.495 in sample and 0.467 out of sample,
  // against mse's 0.493 and 0.503: bench/results/accuracy.md, "Entropy on 512 bins".)
  // auto (a choice per tensor by local error at its consumers) lost 2.2 points to mse out of sample
  // for trt and gained 0.5 for ort-cpu (bench/results/accuracy.md), so it is not the default.
  CalibrationMethod method = CalibrationMethod::Mse;
  double percentile = 99.99;  // for Percentile, in (0, 100]
  int num_bins = 2048;
  // Providers and threads; the values are collected inside the run, on its intra-op threads.
  RuntimeOptions runtime;
  int threads = 0;     // the methods' threshold searches after the run; 0 = hardware concurrency
  bool quiet = false;  // no progress line

  // Throws Error for settings no calibration can use (a percentile outside (0, 100]);
  // calibrate() calls it, and so does every command before any work.
  void validate() const;
};

// The one check of a percentile: in (0, 100], else Error naming the flag.
void check_percentile(double percentile);

// Tensors must be float activations of `model` (not initializers). Softmax and Sigmoid outputs
// (probabilities) get the fixed range [0, 1] without being collected; graph inputs get their
// observed |max| with every method.
Ranges calibrate(const Model& model, const std::vector<std::string>& tensors, BatchSource& source,
                 const CalibrationOptions& options);


}  // namespace yoloq
