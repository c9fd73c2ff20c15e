#include "cli/commands.hpp"

#include <iostream>
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

void print_warnings(const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) std::cerr << "yoloq: warning: " << w << "\n";
}

}  // namespace yoloq::cli
