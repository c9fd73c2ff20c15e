#pragma once
// Runs one command line in-process, as the yoloq program does: parse, run the subcommand, and turn
// every failure into an exit code and one error line. main() prints them; the Python module raises
// them as exceptions with the same message.
#include <string>
#include <vector>

#include "cli/commands.hpp"

namespace yoloq::cli {

struct RunOutcome {
  int exit_code = 0;    // 0; 1 error; 2 usage error; 3 verdict not PASS under --strict; 128 + signal
  std::string error;    // one line without the "yoloq: error: " prefix; empty when there is none
  int interrupted_by = 0;  // the signal that stopped the run (SIGINT, SIGTERM), else 0
};

// `args` starts with the program name. Help and --version print to stdout and exit 0.
RunOutcome run_command_line(const std::vector<std::string>& args, Invocation& invocation);

}  // namespace yoloq::cli
