#pragma once
// The selection step of `--calibration_method auto`: calibration (calib/) computed every method's
// threshold from the same histograms (Ranges::candidates); this picks, for each quantized
// activation, the one whose quantization error at its consuming ops' outputs is lowest.
//
// The unit is a scale group (QuantPlan::scale_groups: tensors that share one scale, the largest of
// their ranges), or a lone activation: a method is chosen for all its tensors at once, since the
// writer quantizes them with their union. For each unit and each candidate method, the float model
// gets a copy of every consumer of the unit's tensors reading them through a Q/DQ pair with the
// parameters the writer would give them (activation_qparams: INT8 symmetric or UINT8 asymmetric,
// as the plan says) and every other input in float, so that the error measured is this unit's
// alone, not the noise accumulated upstream (as sensitivity.hpp's local SQNR). The squared
// difference from the float consumer's output is reduced to one number inside the graph, so one
// session computes every candidate of every unit in a pass over a bounded number of samples.
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "yoloq/calib/ranges.hpp"
#include "yoloq/data/batch_source.hpp"
#include "yoloq/onnx/model.hpp"
#include "yoloq/plan/quant_plan.hpp"
#include "yoloq/runtime/session.hpp"

namespace yoloq {

struct RangeSelectionOptions {
  // The errors only rank four thresholds per tensor against each other, so a few samples do; the
  // bound keeps the step's time fixed however much data calibrated (each sample runs every
  // consumer four more times: 13 s (trt) and 23 s (ort-cpu) for 16 images on the shared YOLO11n,
  // 2 cores).
  std::size_t max_samples = 16;
  RuntimeOptions runtime;
};

struct SelectedUnit {
  std::vector<std::string> tensors;  // one activation, or every member of a scale group
  std::string method;                // the one chosen
  // Per candidate method: squared error summed over the consumers' outputs, divided by their
  // squared float values (noise-to-signal; the lowest is chosen, ties to the earlier method of
  // candidate_methods()).
  std::map<std::string, double> noise_to_signal;
};

struct RangeSelection {
  Ranges ranges;  // the candidates' ranges with each tensor's amax the chosen method's; chosen set
  std::vector<SelectedUnit> units;  // those with candidates to choose among
  std::size_t samples = 0;
};

// `candidates` from calibrate() with CalibrationMethod::Auto on the plan's activation tensors.
// Throws Error when a planned activation has no range or `samples` has none.
RangeSelection select_ranges(const Model& float_model, const QuantPlan& plan, const Ranges& candidates,
                             BatchSource& samples, const RangeSelectionOptions& options = {});

// How many tensors each method was chosen for (ranges.chosen, with "input" and "fixed"), for the summary.
std::map<std::string, std::size_t> chosen_method_counts(const Ranges& ranges);

}  // namespace yoloq
