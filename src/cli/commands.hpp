#pragma once
// Each subcommand lives in its own file and adds itself to the app; callbacks run after parsing
// and throw yoloq::Error, which main() turns into one "yoloq: error:" line.
#include <CLI/CLI.hpp>

namespace yoloq::cli {

void register_inspect(CLI::App& app);
void register_plan(CLI::App& app);
void register_synth(CLI::App& app);

inline void register_commands(CLI::App& app) {
  register_inspect(app);
  register_plan(app);
  register_synth(app);
}

}  // namespace yoloq::cli
