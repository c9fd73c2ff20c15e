#include "cli/commands.hpp"

#include <map>

namespace yoloq::cli {

namespace {
std::multimap<int, std::function<void(CLI::App&)>>& registry() {
  static std::multimap<int, std::function<void(CLI::App&)>> commands;
  return commands;
}
}  // namespace

CommandRegistration::CommandRegistration(int order, std::function<void(CLI::App&)> add) {
  registry().emplace(order, std::move(add));
}

void register_commands(CLI::App& app) {
  for (auto& [order, add] : registry()) add(app);
}

}  // namespace yoloq::cli
