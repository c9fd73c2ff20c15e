// yoloq's command line: one file per subcommand, each registering itself (commands.hpp); run.hpp
// parses and runs one of them.
#include <iostream>

#include "cli/run.hpp"
#include "yoloq/support/interrupt.hpp"

int main(int argc, char** argv) {
  yoloq::install_interrupt_handlers();
  yoloq::cli::Invocation invocation;
  const auto outcome = yoloq::cli::run_command_line(std::vector<std::string>(argv, argv + argc), invocation);
  if (!outcome.error.empty()) std::cerr << "yoloq: error: " << outcome.error << "\n";
  return outcome.exit_code;
}
