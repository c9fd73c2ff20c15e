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

namespace {
std::string& stored_command_line() {
  static std::string line;
  return line;
}
}  // namespace

void set_command_line(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    std::string arg = i == 0 ? "yoloq" : argv[i];
    if (arg.empty() || arg.find_first_of(" \t\"'\\$") != std::string::npos) {
      std::string quoted = "'";
      for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
      arg = quoted + "'";
    }
    line += (i ? " " : "") + arg;
  }
  stored_command_line() = line;
}

const std::string& command_line() { return stored_command_line(); }

void print_warnings(const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) std::cerr << "yoloq: warning: " << w << "\n";
}

}  // namespace yoloq::cli
