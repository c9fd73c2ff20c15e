// The calibration engine: one ONNX Runtime session over the model with the requested tensors
// exposed as outputs, written into buffers reused across batches (IOBinding); each batch's
// outputs are streamed into one collector per tensor, on a few threads, while ONNX Runtime already
// computes the next batch into the buffers already read plus a bounded number of spare ones, and
// the next images are decoded on a thread of their own.
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
#include "calib/output_buffers.hpp"
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

// One tensor's statistics. The max method needs only extremes; the others need the histogram,
// which tracks the extremes in the same pass.
struct TensorCollector {
  std::string name;
  bool from_input = false;  // a graph input: read from the batch, not from the session's outputs
  std::size_t slot = 0;     // index into the batch inputs or the session outputs
  std::optional<HistogramCollector> histogram;
  MinMaxCollector minmax;

  void update(std::span<const float> values) {
    if (histogram)
      histogram->update(values);
    else
      minmax.update(values);
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

// A batch whose values the collectors are reading, kept alive until they are done: its inputs
// and either outputs ONNX Runtime allocated (`borrowed`: a batch run before the outputs' shapes
// were known, or of other input shapes) or the pool's buffers it wrote into, one per output, each
// handed back to the pool by its collector (and emptied here) once read.
struct BatchInFlight {
  NamedTensors inputs;
  BorrowedOutputs borrowed;
  std::vector<std::span<float>> buffers;
  bool uses_pool() const { return !buffers.empty(); }
};

std::vector<std::vector<std::int64_t>> input_shapes(const NamedTensors& inputs) {
  std::vector<std::vector<std::int64_t>> shapes;
  for (const auto& [name, tensor] : inputs) shapes.push_back(tensor.shape);
  return shapes;
}

// Runs the collector updates of one batch in the background; joined before the next batch is
// handed over (so each collector sees the batches in order) and on destruction.
class BackgroundUpdate {
 public:
  ~BackgroundUpdate() {
    if (thread_.joinable()) thread_.join();
  }
  void start(std::function<void()> work) {
    thread_ = std::thread([this, work = std::move(work)] {
      try {
        work();
      } catch (...) {
        error_ = std::current_exception();
      }
    });
  }
  void wait() {
    if (thread_.joinable()) thread_.join();
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  std::thread thread_;
  std::exception_ptr error_;
};

std::span<const float> float_values(const Tensor& t, const std::string& name) {
  if (t.dtype != DType::Float32)
    throw Error("calibration: tensor '" + name + "' is " + dtype_name(t.dtype) +
                "; only float32 tensors are calibrated");
  return t.values<float>();
}

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
  std::vector<std::string> output_names;
  std::set<std::string> seen;
  for (const auto& name : tensors) {
    if (!seen.insert(name).second) continue;
    const auto producer = index.producer(name);
    if (index.is_constant(name))
      throw Error(what + ": tensor '" + name +
                  "' is a constant; weights are calibrated from the initializers");
    if (!producer && !index.is_graph_input(name))
      throw Error(what + ": no tensor named '" + name + "' to calibrate");
    // A probability: the range is known without data, and not exposing the tensor saves the
    // memory of one more activation per batch (ort-cpu quantizes all 77 of YOLO11n's SiLU gates).
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
    if (!producer) {
      c.from_input = true;
    } else {
      c.slot = output_names.size();
      output_names.push_back(name);
    }
    collectors.push_back(std::move(c));
  }
  if (collectors.empty()) return ranges;

  RuntimeOptions runtime = options.runtime;
  runtime.allow_spinning =
      false;  // the collector threads need the cores ONNX Runtime would spin on
  // The copy with exposed outputs and its bytes are as large as the weights (230 MB for YOLO11x):
  // gone once ONNX Runtime has its own.
  Session session = [&] {
    Model exposed = model;
    expose_as_outputs(exposed, output_names);
    return Session(serialize_model(exposed), what + " (with calibration outputs)", runtime);
  }();
  const int threads = resolve_threads(options.threads);
  ProgressLine progress("calibrating", source.batch_count(), !options.quiet);
  std::size_t batches = 0, images = 0;
  BatchInFlight in_flight;
  // The buffers ONNX Runtime writes the outputs into, reused across batches, for the batches of
  // `pool_inputs`' shapes. Made before the first run when ONNX Runtime inferred every output's
  // shape when it loaded the model (static input shapes); else from the first run's outputs.
  std::optional<OutputBufferPool> pool;
  std::vector<std::vector<std::int64_t>> pool_inputs, pool_shapes;
  auto make_pool = [&](std::vector<std::vector<std::int64_t>> inputs, std::vector<std::vector<std::int64_t>> shapes) {
    std::vector<std::size_t> sizes;
    for (const auto& shape : shapes) sizes.push_back(shape_numel(shape));
    pool.emplace(std::move(sizes), options.max_bytes_in_flight);
    pool_inputs = std::move(inputs);
    pool_shapes = std::move(shapes);
  };
  if (!output_names.empty()) {
    auto is_static = [](const std::vector<std::int64_t>& shape) {
      return !shape.empty() && std::all_of(shape.begin(), shape.end(), [](std::int64_t d) { return d >= 0; });
    };
    std::map<std::string, std::vector<std::int64_t>> inferred;
    for (std::size_t i = 0; i < session.output_names().size(); ++i)
      inferred[session.output_names()[i]] = session.output_shapes()[i];
    std::vector<std::vector<std::int64_t>> shapes;
    for (const auto& name : output_names) shapes.push_back(inferred[name]);
    const auto inputs = session.input_shapes();
    if (std::all_of(inputs.begin(), inputs.end(), is_static) && std::all_of(shapes.begin(), shapes.end(), is_static))
      make_pool(inputs, shapes);
  }
  std::vector<std::size_t>
      largest_first;  // collector order, biggest tensors first, for load balance
  std::vector<std::size_t> output_order;  // output slots in that order, for acquiring buffers
  auto order_collectors = [&] {  // once the outputs' sizes are known
    largest_first.resize(collectors.size());
    for (std::size_t i = 0; i < collectors.size(); ++i) largest_first[i] = i;
    auto size_of = [&](std::size_t i) { return collectors[i].from_input ? std::size_t{0} : pool->size(collectors[i].slot); };
    std::stable_sort(largest_first.begin(), largest_first.end(),
                     [&](std::size_t a, std::size_t b) { return size_of(a) > size_of(b); });
    for (const auto i : largest_first)
      if (!collectors[i].from_input) output_order.push_back(collectors[i].slot);
  };
  if (pool) order_collectors();

  auto update_collectors = [&] {
    auto release_all = [&] {  // what an error left unread goes back too: the next batch waits on it
      for (std::size_t slot = 0; slot < in_flight.buffers.size(); ++slot)
        if (!in_flight.buffers[slot].empty()) pool->release(slot, std::exchange(in_flight.buffers[slot], {}));
    };
    try {
      parallel_for_each(largest_first, threads, [&](std::size_t i) {
        auto& c = collectors[i];
        try {
          if (c.from_input) {
            for (const auto& [name, tensor] : in_flight.inputs)
              if (name == c.name) c.update(float_values(tensor, name));
          } else if (in_flight.uses_pool()) {
            c.update(in_flight.buffers[c.slot]);
            // Read: the next batch may write into it now, before the rest of this one is read.
            pool->release(c.slot, std::exchange(in_flight.buffers[c.slot], {}));
          } else {
            c.update(in_flight.borrowed.floats(c.slot));
          }
        } catch (const Error& e) {
          throw Error(what + ": tensor '" + c.name + "' after batch " + std::to_string(batches) +
                      ": " + e.what());
        }
      });
    } catch (...) {
      if (in_flight.uses_pool()) release_all();
      throw;
    }
  };

  // Decoding and letterboxing the next images on a thread of their own, ahead of inference.
  PrefetchSource prefetch(source);
  // Declared after everything the background work reads, so that when an error unwinds the stack
  // it is joined before any of that is destroyed.
  BackgroundUpdate update;
  while (auto batch = prefetch.next()) {
    BorrowedOutputs borrowed;
    std::vector<std::span<float>> buffers;
    if (!output_names.empty()) {
      if (pool && input_shapes(*batch) == pool_inputs) {
        bool shrink_arena = false;
        if (in_flight.borrowed.size() > 0) {
          // Outputs ONNX Runtime allocated (a first run that told the shapes): read and freed
          // before the pool's buffers are written, and this run gives their memory back.
          update.wait();
          in_flight = {};
          shrink_arena = true;
        }
        // Waits, output by output, while the previous batch's collectors still hold more than the
        // pool's spare bytes.
        buffers.resize(output_names.size());
        for (const auto slot : output_order) buffers[slot] = pool->acquire(slot);
        std::vector<OutputTarget> targets(output_names.size());
        for (std::size_t slot = 0; slot < targets.size(); ++slot)
          targets[slot] = {output_names[slot], buffers[slot], pool_shapes[slot]};
        session.run_into(*batch, targets, shrink_arena);
      } else {
        // Shapes not known before a run (dynamic input shapes), or not the pool's: this run's
        // outputs are ONNX Runtime's.
        borrowed = session.run_borrowed(*batch, output_names);
      }
    }
    update.wait();  // the previous batch's values are released only once every collector has them
    check_interrupted();  // between batches, with no collector update running
    const auto batch_images = batch->empty() ? 0 : static_cast<std::size_t>(batch->front().second.shape.at(0));
    const auto shapes = input_shapes(*batch);
    in_flight = {std::move(*batch), std::move(borrowed), std::move(buffers)};
    if (!pool && !output_names.empty()) {
      std::vector<std::vector<std::int64_t>> output_shapes;
      for (std::size_t slot = 0; slot < output_names.size(); ++slot)
        output_shapes.push_back(in_flight.borrowed.shape(slot));
      make_pool(shapes, std::move(output_shapes));
    }
    if (largest_first.empty()) order_collectors();
    update.start(update_collectors);
    ++batches;
    images += batch_images;
    progress.update(batches, images);
  }
  update.wait();
  in_flight = {};
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
