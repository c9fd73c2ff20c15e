#pragma once
// Each subcommand lives in its own file and registers itself with a static CommandRegistration,
// so adding a subcommand touches no shared file. Callbacks run after parsing and throw
// yoloq::Error, which main() turns into one "yoloq: error:" line.
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace yoloq::cli {

struct CommandRegistration {
  // `order` fixes where the subcommand appears in --help (the pipeline's order).
  CommandRegistration(int order, std::function<void(CLI::App&)> add);
};

void register_commands(CLI::App& app);

// The command line as typed (arguments quoted where needed), for reports.
void set_command_line(int argc, char** argv);
const std::string& command_line();

// --threads means the same in every subcommand.
inline constexpr const char* kThreadsHelp =
    "Threads for ONNX Runtime and yoloq's own parallel work; 0 = one per core (ONNX Runtime's default)";

// Thrown after the verdict line under --strict when it is not PASS: main exits 3, printing nothing
// more.
struct VerdictNotPassed {};

// The library returns warnings; the CLI prints them, one "yoloq: warning:" line each.
void print_warnings(const std::vector<std::string>& warnings);

}  // namespace yoloq::cli
