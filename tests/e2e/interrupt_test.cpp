// SIGINT and SIGTERM through the real CLI: a run killed mid-calibration, or at any moment,
// leaves no output and no temporary file and exits non-zero with a message.
#include <gmock/gmock.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include "e2e/cli_runner.hpp"
#include "yoloq/onnx/model.hpp"
#include "yoloq/synth/graph_builder.hpp"
#include "yoloq/tensor/npy.hpp"

extern char** environ;

namespace yoloq::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// Enough convolution work per sample that calibration over 200 samples takes seconds.
void write_inputs(const ScratchDir& dir) {
  GraphBuilder g(13);
  g.input("x", {1, 3, 64, 64});
  auto a = g.conv_silu("c1", "x", 32, 3, 3);
  auto b = g.conv_silu("c2", a, 32, 32, 3);
  auto c = g.conv_silu("c3", b, 32, 32, 3);
  g.conv("c4", c, "y", 8, 32, 3);
  g.output("y", {1, 8, 64, 64});
  save_model(g.model(), dir / "model.onnx");
  Tensor data(DType::Float32, {200, 3, 64, 64});
  auto v = data.values<float>();
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 255) / 255.0f;
  write_npy(dir / "calib.npy", data);
}

struct Child {
  pid_t pid = -1;
  fs::path err;
};

Child start(const ScratchDir& in, const ScratchDir& out) {
  Child child;
  child.err = in / "stderr.txt";
  std::vector<std::string> args{YOLOQ_CLI, "quantize", "--onnx_path", (in / "model.onnx").string(), "--output_path",
                                (out / "out.onnx").string(), "--calibration_data_path", (in / "calib.npy").string(),
                                "--calibration_method", "entropy", "--threads", "1"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, child.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  EXPECT_EQ(posix_spawn(&child.pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  return child;
}

// Waits for the exit status, killing the child after `limit` so a hang fails the test.
int wait_exit(pid_t pid, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ADD_FAILURE() << "yoloq did not exit within " << limit.count() << " s of the signal";
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::vector<std::string> names_in(const ScratchDir& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path())) names.push_back(e.path().filename().string());
  return names;
}

void interrupt_mid_calibration(int sig, int expected_exit, const std::string& name) {
  ScratchDir in("interrupt-in"), out("interrupt-out");
  write_inputs(in);
  auto child = start(in, out);
  // The progress line appears once the first batch is calibrated.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (slurp(child.err).find("calibrating") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_THAT(slurp(child.err), HasSubstr("calibrating")) << "calibration never started";
  kill(child.pid, sig);
  EXPECT_EQ(wait_exit(child.pid, std::chrono::seconds(60)), expected_exit);
  const auto err = slurp(child.err);
  EXPECT_THAT(err, HasSubstr("yoloq: error: interrupted by " + name + "; no output was written\n"));
  EXPECT_EQ(err.find("wrote"), std::string::npos);
  EXPECT_TRUE(names_in(out).empty()) << "left behind: " << ::testing::PrintToString(names_in(out));
}

TEST(Interrupt, SigintMidCalibrationLeavesNoOutput) { interrupt_mid_calibration(SIGINT, 130, "SIGINT"); }

TEST(Interrupt, SigtermMidCalibrationLeavesNoOutput) { interrupt_mid_calibration(SIGTERM, 143, "SIGTERM"); }

// A signal at any moment (calibration, writing, verification): either the run had already
// finished, or it stops with no output and no temporary file.
TEST(Interrupt, SigtermAtAnyMomentLeavesACompleteOutputOrNone) {
  ScratchDir in("interrupt-in"), out("interrupt-out");
  write_inputs(in);
  for (int delay_ms : {300, 1500, 4000}) {
    SCOPED_TRACE("SIGTERM after " + std::to_string(delay_ms) + " ms");
    auto child = start(in, out);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    kill(child.pid, SIGTERM);
    const int code = wait_exit(child.pid, std::chrono::seconds(120));
    const auto names = names_in(out);
    if (code == 0) {
      EXPECT_EQ(names, std::vector<std::string>{"out.onnx"});
      auto r = run_cli({"inspect", (out / "out.onnx").string()});
      EXPECT_EQ(r.exit_code, 0) << r.err;
    } else {
      EXPECT_EQ(code, 143) << slurp(child.err);
      // Empty when the signal came before main() installed the handlers (loading ONNX Runtime).
      const auto err = slurp(child.err);
      if (!err.empty()) {
        EXPECT_THAT(err, HasSubstr("interrupted by SIGTERM"));
      }
      EXPECT_TRUE(names.empty()) << "left behind: " << ::testing::PrintToString(names);
    }
    for (const auto& e : fs::directory_iterator(out.path())) fs::remove(e.path());
  }
}

}  // namespace
}  // namespace yoloq::testing
