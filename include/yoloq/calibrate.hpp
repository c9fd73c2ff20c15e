#pragma once
// Stage 3: runs the float model over the batches with the requested activation tensors exposed,
// streams each batch into one collector per tensor, and turns collectors into ranges.
#include <string>
#include <vector>

#include "yoloq/calibration_source.hpp"
#include "yoloq/model.hpp"
#include "yoloq/ranges.hpp"
#include "yoloq/runtime.hpp"

namespace yoloq {

enum class CalibrationMethod { Max, Entropy, Percentile, Mse };
CalibrationMethod parse_calibration_method(const std::string& name);  // throws Error naming the choices
std::string method_name(CalibrationMethod method);

struct CalibrationOptions {
  CalibrationMethod method = CalibrationMethod::Entropy;
  double percentile = 99.99;  // for Percentile, in (0, 100]
  int num_bins = 2048;
  RuntimeOptions runtime;     // providers, threads
  int threads = 0;            // histogram updates; 0 = hardware concurrency
  bool quiet = false;         // no progress line
};

// Tensors must be float activations of `model` (not initializers). Softmax outputs get the fixed
// range [0, 1] without being collected.
Ranges calibrate(const Model& model, const std::vector<std::string>& tensors, BatchSource& source,
                 const CalibrationOptions& options);

// Every float32 activation of `model`: its float graph inputs and every float node output that is
// not a constant (initializers and Constant outputs excluded), in topological order. Types come from
// the model's value_info where declared, else from a small type propagation over the nodes.
std::vector<std::string> float_activation_tensors(const Model& model);

}  // namespace yoloq
