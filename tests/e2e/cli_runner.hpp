#pragma once
// Runs the built `yoloq` binary the way a user does and captures what it prints.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "yoloq/onnx/model.hpp"
#include "yoloq/synth/graph_builder.hpp"

namespace yoloq::testing {

struct CliResult {
  int exit_code = -1;
  std::string out, err;
};

inline std::string shell_quote(const std::string& arg) {
  std::string quoted = "'";
  for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// stdout and stderr go to files in their own scratch folder, so that the folders the CLI reads
// and writes stay exactly as the test made them.
// `prefix` goes before the command as shell text (a ulimit, a timeout).
inline CliResult run_cli(const std::vector<std::string>& args, const std::string& prefix = "") {
  static ScratchDir capture("cli-output");
  std::string command = prefix + shell_quote(YOLOQ_CLI);
  for (const auto& a : args) command.append(" ").append(shell_quote(a));
  command.append(" >").append(shell_quote((capture / "out").string()));
  command.append(" 2>").append(shell_quote((capture / "err").string()));
  int status = std::system(command.c_str());
  CliResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = slurp(capture / "out");
  result.err = slurp(capture / "err");
  return result;
}

// Exactly one stderr line "yoloq: error: ..." and a non-zero exit.
inline void expect_one_line_error(const CliResult& r, const std::string& fragment) {
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, ::testing::StartsWith("yoloq: error: "));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_THAT(r.err, ::testing::HasSubstr(fragment));
}

// x [1, 3, 8, 8] -> Conv + SiLU -> Conv -> y [1, 2, 8, 8] (opset 13), saved as `name` in `dir`: the
// smallest model the commands quantize end to end.
inline std::filesystem::path save_small_conv_model(const ScratchDir& dir, const std::string& name = "small.onnx") {
  GraphBuilder g(13);
  g.input("x", {1, 3, 8, 8});
  auto a = g.conv_silu("c1", "x", 4, 3);
  g.conv("c2", a, "y", 2, 4);
  g.output("y", {1, 2, 8, 8});
  save_model(g.model(), dir / name);
  return dir / name;
}

// The names in `dir`, sorted: what a failed command must leave as it was.
inline std::vector<std::string> files_in(const ScratchDir& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// The exit code of the checker on `html`: 0 when the page is well formed and self-contained.
inline int check_html(const std::filesystem::path& html) {
  const std::string checker = std::string(YOLOQ_SOURCE_DIR) + "/tests/e2e/check_report_html.py";
  const std::string command = "python3 " + shell_quote(checker) + " " + shell_quote(html.string()) + " >&2";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace yoloq::testing
