#pragma once
// Each subcommand lives in its own file and registers itself with a static CommandRegistration,
// so adding a subcommand touches no shared file. Callbacks run after parsing and throw
// yoloq::Error, which run_command_line (run.hpp) turns into one "yoloq: error:" line.
#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "yoloq/data/batch_source.hpp"

namespace yoloq::cli {

// One run of a subcommand, shared between the command and whoever ran it: the CLI's main(), or a
// program that embeds the command line (the Python module, which passes numpy arrays in and takes
// the result back as a dict instead of reading files).
struct Invocation {
  std::string command_line;  // as typed (arguments quoted where needed), for reports
  // In-memory calibration (or, for verify, held-out) data used in place of a path.
  std::vector<ArrayView> arrays;
  // What the command produced, as its --json or report would hold it; null for commands without one.
  nlohmann::json result;
};

struct CommandRegistration {
  // `order` fixes where the subcommand appears in --help (the pipeline's order).
  CommandRegistration(int order, std::function<void(CLI::App&)> add);
  CommandRegistration(int order, std::function<void(CLI::App&, Invocation&)> add);
};

void register_commands(CLI::App& app, Invocation& invocation);

// The arguments (program name first) as one shell-quoted line.
std::string quoted_command_line(const std::vector<std::string>& args);

// --threads means the same in every subcommand.
inline constexpr const char* kThreadsHelp =
    "Threads for ONNX Runtime and yoloq's own parallel work; 0 = one per core (ONNX Runtime's default)";

// Thrown after the verdict line under --strict when it is not PASS: the run exits 3, printing
// nothing more.
struct VerdictNotPassed {};

// The library returns warnings; the CLI prints them, one "yoloq: warning:" line each.
void print_warnings(const std::vector<std::string>& warnings);

}  // namespace yoloq::cli
