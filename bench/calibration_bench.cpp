// Calibration speed and memory against the floor: plain float inference of the same model over
// the same images in ONNX Runtime.
//
//   calibration_bench [--model M] [--images DIR] [--counts 32,512] [--threads 2]
//                     [--methods max,mse,entropy,percentile] [--targets trt,ort-cpu] [--repeats 1]
//
// For each count N, child processes (so each peak RSS is its own): "infer" times ONNX Runtime
// alone on the float model over N letterboxed images (the coco128 images, repeated), counting
// only Session::run; "calibrate" times the whole calibrate() call over the same images for the
// tensors a target's plan quantizes (the plan stage's activation_tensors(), what quantize
// calibrates; target "all" = every float activation): session creation with the Observe nodes,
// image decoding, inference, histograms and the method's search. With --repeats R the cases run
// R times, alternating (infer, then every target and method, then again), and the medians are
// printed. It prints wall and CPU seconds (all threads) of the timed sections, their ratios to
// the floor, and each process's peak RSS (getrusage ru_maxrss): on a shared machine the wall
// clock also measures the neighbours, so the CPU flags and the load average are printed too.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "yoloq/calib/calibrate.hpp"
#include "yoloq/plan/quant_plan.hpp"
#include "yoloq/runtime/cpu_features.hpp"
#include "yoloq/support/error.hpp"

using namespace yoloq;
using Clock = std::chrono::steady_clock;

namespace {

// The image folder's batches over and over until `count` batches were served.
class RepeatingSource : public BatchSource {
 public:
  RepeatingSource(std::unique_ptr<BatchSource> inner, std::size_t count)
      : inner_(std::move(inner)), count_(count) {}
  std::optional<NamedTensors> next() override {
    if (served_ == count_) return std::nullopt;
    auto batch = inner_->next();
    if (!batch) {
      inner_->rewind();
      batch = inner_->next();
    }
    ++served_;
    return batch;
  }
  std::size_t batch_count() const override { return count_; }
  std::size_t sample_count() const override { return count_; }
  std::string description() const override { return inner_->description() + ", repeated"; }
  void rewind() override {
    inner_->rewind();
    served_ = 0;
  }
  const std::vector<SampleOrigin>& origins() const override { return inner_->origins(); }
  std::vector<std::string> take_warnings() override { return inner_->take_warnings(); }

 private:
  std::unique_ptr<BatchSource> inner_;
  std::size_t count_, served_ = 0;
};

// CPU seconds of this process, all threads: less disturbed than wall time on a shared machine.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

long peak_rss_kb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

struct Args {
  std::string model =
      std::string(YOLOQ_SOURCE_DIR) + "/../shared/data/models/yolo11n-coco-640.onnx";
  std::string images = std::string(YOLOQ_SOURCE_DIR) + "/../shared/data/coco128/images";
  std::string counts = "32,512";
  std::string methods = "max,mse,entropy,percentile";
  std::string targets = "trt,ort-cpu";
  std::string mode;  // "infer" or "calibrate": run one case in this process
  std::string method = "mse", target = "trt";  // of the one case
  std::size_t count = 0;
  int threads = 2;
  int repeats = 1;
};

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> items;
  std::stringstream stream(list);
  for (std::string item; std::getline(stream, item, ',');)
    if (!item.empty()) items.push_back(item);
  return items;
}

// The tensors calibrate() is given for a target: the plan's, as quantize does.
std::vector<std::string> calibration_tensors(const Model& model, const std::string& target) {
  if (target == "all") return float_activation_tensors(model);
  PlanOptions options;
  options.target = parse_target(target);
  return plan_quantization(model, options).plan.activation_tensors();
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

int run_case(const Args& args) {
  const Model model = load_model(args.model);
  SourceOptions source_options;
  source_options.path = args.images;
  source_options.quiet = true;
  RepeatingSource source(make_calibration_source(model, source_options), args.count);
  double seconds = 0, cpu = 0;
  std::size_t tensors = 0;
  if (args.mode == "infer") {
    RuntimeOptions runtime;
    runtime.threads = args.threads;
    Session session(serialize_model(model), args.model, runtime);
    while (auto batch = source.next()) {
      const auto start = Clock::now();
      const double cpu_start = cpu_seconds();
      session.run(*batch);
      seconds += std::chrono::duration<double>(Clock::now() - start).count();
      cpu += cpu_seconds() - cpu_start;
    }
  } else {
    CalibrationOptions options;
    options.method = parse_calibration_method(args.method);
    options.threads = args.threads;
    options.runtime.threads = args.threads;
    options.quiet = true;
    const auto names = calibration_tensors(model, args.target);
    tensors = names.size();
    const auto start = Clock::now();
    const double cpu_start = cpu_seconds();
    const auto ranges = calibrate(model, names, source, options);
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
    cpu = cpu_seconds() - cpu_start;
  }
  std::printf("%.3f %.3f %ld %zu\n", seconds, cpu, peak_rss_kb(), tensors);
  return 0;
}

struct CaseResult {
  double seconds = 0, cpu = 0;
  long rss_kb = 0;
  std::size_t tensors = 0;
};

CaseResult spawn_case(const char* self, const Args& args, const std::string& mode,
                      std::size_t count) {
  std::ostringstream command;
  command << "'" << self << "' --mode " << mode << " --count " << count << " --threads "
          << args.threads << " --method " << args.method << " --target " << args.target << " --model '" << args.model
          << "' --images '" << args.images << "'";
  FILE* pipe = popen(command.str().c_str(), "r");
  if (!pipe) throw Error("cannot start " + command.str());
  CaseResult r;
  const int fields =
      std::fscanf(pipe, "%lf %lf %ld %zu", &r.seconds, &r.cpu, &r.rss_kb, &r.tensors);
  if (pclose(pipe) != 0 || fields != 4) throw Error("benchmark case failed: " + command.str());
  return r;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// The medians of a case's repeats (peak RSS: the largest).
CaseResult summarize(const std::vector<CaseResult>& runs) {
  CaseResult r;
  std::vector<double> seconds, cpu;
  for (const auto& run : runs) {
    seconds.push_back(run.seconds);
    cpu.push_back(run.cpu);
    r.rss_kb = std::max(r.rss_kb, run.rss_kb);
    r.tensors = run.tensors;
  }
  r.seconds = median(seconds);
  r.cpu = median(cpu);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--model")
      args.model = value;
    else if (flag == "--images")
      args.images = value;
    else if (flag == "--counts")
      args.counts = value;
    else if (flag == "--methods")
      args.methods = value;
    else if (flag == "--targets")
      args.targets = value;
    else if (flag == "--method")
      args.method = value;
    else if (flag == "--target")
      args.target = value;
    else if (flag == "--repeats")
      args.repeats = std::stoi(value);
    else if (flag == "--mode")
      args.mode = value;
    else if (flag == "--count")
      args.count = std::stoul(value);
    else if (flag == "--threads")
      args.threads = std::stoi(value);
    else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  try {
    if (!args.mode.empty()) return run_case(args);
    std::printf("# model %s\n# CPU: %s; %u hardware threads; ONNX Runtime %s; --threads %d; %d repeat(s), medians\n",
                args.model.c_str(), cpu_features().text().c_str(), std::thread::hardware_concurrency(),
                onnxruntime_version().c_str(), args.threads, args.repeats);
    std::printf("# load average at start: %s\n", load_average().c_str());
    std::printf("%-8s %-11s %6s %9s %9s %6s %11s %11s %9s %12s %12s %7s\n", "target", "method", "inputs",
                "infer_s", "calib_s", "ratio", "infer_cpu_s", "calib_cpu_s", "cpu_ratio", "infer_rss_MB",
                "calib_rss_MB", "tensors");
    for (const auto& item : split(args.counts)) {
      const std::size_t n = std::stoul(item);
      std::vector<CaseResult> infer_runs;
      std::map<std::pair<std::string, std::string>, std::vector<CaseResult>> calib_runs;
      for (int r = 0; r < args.repeats; ++r) {
        infer_runs.push_back(spawn_case(argv[0], args, "infer", n));
        for (const auto& target : split(args.targets))
          for (const auto& method : split(args.methods)) {
            Args one = args;
            one.target = target;
            one.method = method;
            calib_runs[{target, method}].push_back(spawn_case(argv[0], one, "calibrate", n));
          }
      }
      const auto infer = summarize(infer_runs);
      for (const auto& target : split(args.targets))
        for (const auto& method : split(args.methods)) {
          const auto calib = summarize(calib_runs[{target, method}]);
          std::printf("%-8s %-11s %6zu %9.2f %9.2f %6.2f %11.2f %11.2f %9.2f %12.1f %12.1f %7zu\n", target.c_str(),
                      method.c_str(), n, infer.seconds, calib.seconds, calib.seconds / infer.seconds, infer.cpu,
                      calib.cpu, calib.cpu / infer.cpu, infer.rss_kb / 1024.0, calib.rss_kb / 1024.0, calib.tensors);
        }
      std::fflush(stdout);
    }
    std::printf("# load average at end: %s\n", load_average().c_str());
  } catch (const std::exception& e) {
    std::cerr << "calibration_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
