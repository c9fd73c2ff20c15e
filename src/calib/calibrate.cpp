// The calibration engine: one ONNX Runtime session over the model with an Observe node on each
// requested tensor (calib/observed_model.hpp). Each batch's values are streamed into one collector
// per tensor inside the run, right after the op that computes them, on ONNX Runtime's own threads;
// ONNX Runtime frees each tensor when its consumers are done, as in plain inference, so memory is
// the float model's plus the collectors', whatever the number of tensors. The next images are
// decoded on a thread of their own.
#include "yoloq/calib/calibrate.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "calib/collectors.hpp"
#include "calib/observed_model.hpp"
#include "calib/range_methods.hpp"
#include "yoloq/data/prefetch_source.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/interrupt.hpp"
#include "yoloq/support/progress.hpp"

namespace yoloq {

CalibrationMethod parse_calibration_method(const std::string& name) {
  if (name == "max") return CalibrationMethod::Max;
  if (name == "entropy") return CalibrationMethod::Entropy;
  if (name == "percentile") return CalibrationMethod::Percentile;
  if (name == "mse") return CalibrationMethod::Mse;
  if (name == "auto") return CalibrationMethod::Auto;
  throw Error("unknown calibration method '" + name +
              "' (expected max, entropy, percentile, mse or auto)");
}

std::string method_name(CalibrationMethod method) {
  switch (method) {
    case CalibrationMethod::Max:
      return "max";
    case CalibrationMethod::Entropy:
      return "entropy";
    case CalibrationMethod::Percentile:
      return "percentile";
    case CalibrationMethod::Mse:
      return "mse";
    case CalibrationMethod::Auto:
      return "auto";
  }
  throw Error("unknown calibration method");
}

const std::vector<CalibrationMethod>& candidate_methods() {
  static const std::vector<CalibrationMethod> methods{CalibrationMethod::Mse, CalibrationMethod::Percentile,
                                                      CalibrationMethod::Entropy, CalibrationMethod::Max};
  return methods;
}

void check_percentile(double percentile) {
  if (!(percentile > 0 && percentile <= 100))
    throw Error("--percentile " + std::to_string(percentile) + " is outside (0, 100]");
}

void CalibrationOptions::validate() const {
  check_percentile(percentile);  // the histogram checks num_bins where it is built
}

namespace {

// Bins of the histogram summary kept for the report: enough to draw the shape of a distribution
// against its threshold and to estimate the error of a scale, small enough to keep for every
// tensor (512 bytes each).
constexpr int kReportHistogramBins = 64;

// Entropy's threshold is never below the median over the calibration batches of each batch's
// largest |x| (one image per batch unless the model's batch is larger). TensorRT's KL search
// alone clips YOLO11n's long-tailed SiLU outputs to a fraction of what a typical image reaches,
// and ONNX Runtime's entropy calibrator (ModelOpt's) cannot go below its first batch's range.
// The median is that bound without the dependence on which image comes first. On two 63-image
// folds of coco128 (calibrate on one, score on the other) agreement with the float model went
// from 0.934 to 0.950 (trt) and 0.944 to 0.958 (ort-cpu); calibrated on 111 images, trt mAP50-95
// on all 126 from 0.4867 to 0.5003 (bench/results/accuracy.md, "Entropy's floor").
constexpr int kBatchMaximaBins = 512;
constexpr double kBatchMaximaPercentile = 50;

// One tensor's statistics. The max method needs only extremes; the others need the histogram,
// which tracks the extremes in the same pass. Entropy also keeps a histogram of the batches'
// maxima, one value per batch (kBatchMaximaBins: fixed memory however many batches).
struct TensorCollector {
  std::string name;
  std::optional<HistogramCollector> histogram;
  std::optional<HistogramCollector> batch_maxima;
  MinMaxCollector minmax;

  void update(std::span<const float> values, const ParallelFor& parallel_for) {
    if (histogram) {
      const float batch_max = histogram->update(values, parallel_for);
      if (batch_maxima && !values.empty()) batch_maxima->update(std::span<const float>(&batch_max, 1));
    } else {
      minmax.update(values, parallel_for);
    }
  }
  const MinMaxCollector& extremes() const { return histogram ? histogram->minmax() : minmax; }
};

// Runs work(i) for every i in `order` on `threads` threads (the caller's included), each thread
// taking the next item when done; the first exception is rethrown after all threads finish.
void parallel_for_each(const std::vector<std::size_t>& order, int threads,
                       const std::function<void(std::size_t)>& work) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto run = [&] {
    for (std::size_t k; (k = next.fetch_add(1)) < order.size();) {
      try {
        work(order[k]);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        next = order.size();
      }
    }
  };
  std::vector<std::thread> helpers;
  const std::size_t extra =
      std::min<std::size_t>(static_cast<std::size_t>(std::max(threads, 1)) - 1, order.size());
  for (std::size_t t = 0; t < extra; ++t) helpers.emplace_back(run);
  run();
  for (auto& h : helpers) h.join();
  if (error) std::rethrow_exception(error);
}

// Streams each observed tensor into its collector (id = collector index). The first error is
// kept, with the tensor's name and the batch, for calibrate() to throw after the run; later
// tensors are not read.
class CollectingObserver final : public TensorObserver {
 public:
  CollectingObserver(std::vector<TensorCollector>& collectors, std::string what)
      : collectors_(collectors), what_(std::move(what)) {}

  void observe(std::size_t id, std::string_view element_type, std::span<const float> values,
               const ParallelFor& parallel_for) override {
    if (!error_.empty()) return;
    auto& c = collectors_.at(id);
    if (element_type != "float32") {
      error_ = what_ + ": tensor '" + c.name + "' is " + std::string(element_type) +
               "; only float32 tensors are calibrated";
      return;
    }
    try {
      c.update(values, parallel_for);
    } catch (const std::exception& e) {
      error_ = what_ + ": tensor '" + c.name + "' in batch " + std::to_string(batch_ + 1) + ": " + e.what();
    }
  }
  // After a run: throws the first error, else counts the batch.
  void finish_batch() {
    if (!error_.empty()) throw Error(error_);
    ++batch_;
  }

 private:
  std::vector<TensorCollector>& collectors_;
  std::string what_;
  std::size_t batch_ = 0;
  std::string error_;
};

float choose_amax(const TensorCollector& c, CalibrationMethod method, const CalibrationOptions& options) {
  const float abs_max = c.extremes().abs_max();
  if (!c.histogram) return abs_max;
  double amax = 0;
  switch (method) {
    case CalibrationMethod::Max:
      amax = abs_max;
      break;
    case CalibrationMethod::Entropy:
      amax = entropy_amax(*c.histogram);
      if (c.batch_maxima) amax = std::max(amax, percentile_amax(*c.batch_maxima, kBatchMaximaPercentile));
      break;
    case CalibrationMethod::Percentile:
      amax = percentile_amax(*c.histogram, options.percentile);
      break;
    case CalibrationMethod::Mse:
    case CalibrationMethod::Auto:  // mse's until the selection step picks
      amax = mse_amax(*c.histogram);
      break;
  }
  // A threshold on a bin edge can lie just above the largest value seen; never exceed it.
  return std::min(static_cast<float>(amax), abs_max);
}

int resolve_threads(int threads) {
  if (threads > 0) return threads;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace

Ranges calibrate(const Model& model, const std::vector<std::string>& tensors, BatchSource& source,
                 const CalibrationOptions& options) {
  options.validate();
  const std::string what = model.path.empty() ? std::string("model") : model.path.string();
  GraphIndex index(model.graph());

  Ranges ranges;
  ranges.method = method_name(options.method);
  std::vector<TensorCollector> collectors;
  std::set<std::string> seen;
  for (const auto& name : tensors) {
    if (!seen.insert(name).second) continue;
    const auto producer = index.producer(name);
    if (index.is_constant(name))
      throw Error(what + ": tensor '" + name +
                  "' is a constant; weights are calibrated from the initializers");
    if (!producer && !index.is_graph_input(name))
      throw Error(what + ": no tensor named '" + name + "' to calibrate");
    // A probability: the range is known without data, and not observing the tensor saves reading
    // it (ort-cpu quantizes all 77 of YOLO11n's SiLU gates).
    if (producer && (index.node(*producer).op_type() == "Softmax" || index.node(*producer).op_type() == "Sigmoid")) {
      ranges.tensors[name] = {0.0f, 1.0f, 1.0f};
      continue;
    }
    TensorCollector c;
    c.name = name;
    // Graph inputs keep their full observed range whatever the method: they are the user's data
    // in a known domain (pixels / 255), and a clipping threshold found by entropy on their flat
    // distribution (0.87 on COCO images) would saturate every highlight of every image.
    if (options.method != CalibrationMethod::Max && producer) c.histogram.emplace(options.num_bins);
    // auto draws entropy's candidate too.
    if ((options.method == CalibrationMethod::Entropy || options.method == CalibrationMethod::Auto) && producer)
      c.batch_maxima.emplace(kBatchMaximaBins);
    collectors.push_back(std::move(c));
  }
  if (collectors.empty()) return ranges;

  CollectingObserver observer(collectors, what);
  RuntimeOptions runtime = options.runtime;
  runtime.observer = &observer;
  // Idle ONNX Runtime threads would spin on the core the image decoding needs.
  runtime.allow_spinning = false;
  // The observed copy and its bytes are as large as the weights (230 MB for YOLO11x): gone once
  // ONNX Runtime has its own.
  std::vector<std::string> fetch;
  Session session = [&] {
    Model observed = model;
    std::vector<std::string> names;
    for (const auto& c : collectors) names.push_back(c.name);
    fetch = add_observers(observed, names);
    return Session(serialize_model(observed), what + " (with calibration observers)", runtime);
  }();
  const int threads = resolve_threads(options.threads);
  ProgressLine progress("calibrating", source.batch_count(), !options.quiet);
  std::size_t batches = 0, images = 0;
  // Decoding and letterboxing the next images on a thread of their own, ahead of inference.
  PrefetchSource prefetch(source);
  while (auto batch = prefetch.next()) {
    session.run(*batch, fetch);  // the outputs are empty: the observer has the values
    observer.finish_batch();
    check_interrupted();
    ++batches;
    images += batch->empty() ? 0 : static_cast<std::size_t>(batch->front().second.shape.at(0));
    progress.update(batches, images);
  }
  progress.finish(batches, images);
  if (batches == 0) throw Error(source.description() + ": no calibration batches");

  std::vector<TensorRange> results(collectors.size());
  std::vector<std::optional<ValueHistogram>> histograms(collectors.size());
  std::vector<std::map<std::string, float>> candidates(collectors.size());
  std::vector<std::size_t> all(collectors.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  parallel_for_each(all, threads, [&](std::size_t i) {
    const auto& c = collectors[i];
    const auto& e = c.extremes();
    if (e.empty()) throw Error(what + ": tensor '" + c.name + "' produced no values");
    if (!std::isfinite(e.min()) || !std::isfinite(e.max()))
      throw Error(what + ": tensor '" + c.name + "' has non-finite values on the calibration data");
    results[i] = {e.min(), e.max(), choose_amax(c, options.method, options)};
    if (c.histogram) histograms[i] = c.histogram->summary(kReportHistogramBins);
    // Every method's threshold from the one histogram: auto's candidates cost no extra pass.
    if (options.method == CalibrationMethod::Auto && c.histogram)
      for (const auto m : candidate_methods()) candidates[i][method_name(m)] = choose_amax(c, m, options);
  });
  for (std::size_t i = 0; i < collectors.size(); ++i) {
    ranges.tensors[collectors[i].name] = results[i];
    if (histograms[i]) ranges.histograms[collectors[i].name] = std::move(*histograms[i]);
    if (!candidates[i].empty()) ranges.candidates[collectors[i].name] = std::move(candidates[i]);
  }
  return ranges;
}

}  // namespace yoloq
