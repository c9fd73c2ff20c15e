#include "cli/commands.hpp"

#include <iostream>
#include <map>

namespace yoloq::cli {

namespace {
std::multimap<int, std::function<void(CLI::App&, Invocation&)>>& registry() {
  static std::multimap<int, std::function<void(CLI::App&, Invocation&)>> commands;
  return commands;
}
}  // namespace

CommandRegistration::CommandRegistration(int order, std::function<void(CLI::App&)> add) {
  registry().emplace(order, [add = std::move(add)](CLI::App& app, Invocation&) { add(app); });
}

CommandRegistration::CommandRegistration(int order, std::function<void(CLI::App&, Invocation&)> add) {
  registry().emplace(order, std::move(add));
}

void register_commands(CLI::App& app, Invocation& invocation) {
  for (auto& [order, add] : registry()) add(app, invocation);
}

std::string quoted_command_line(const std::vector<std::string>& args) {
  std::string line;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = i == 0 ? "yoloq" : args[i];
    if (arg.empty() || arg.find_first_of(" \t\"'\\$") != std::string::npos) {
      std::string quoted = "'";
      for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
      arg = quoted + "'";
    }
    line += (i ? " " : "") + arg;
  }
  return line;
}

void print_warnings(const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) std::cerr << "yoloq: warning: " << w << "\n";
}

}  // namespace yoloq::cli
