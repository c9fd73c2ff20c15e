#pragma once
// Each subcommand lives in its own file and adds itself to the app; callbacks run after parsing
// and throw yoloq::Error, which main() turns into one "yoloq: error:" line.
#include <CLI/CLI.hpp>

namespace yoloq::cli {

void register_inspect(CLI::App& app);
void register_eval(CLI::App& app);
void register_verify(CLI::App& app);

inline void register_commands(CLI::App& app) {
  register_inspect(app);
  register_eval(app);
  register_verify(app);
}

}  // namespace yoloq::cli
