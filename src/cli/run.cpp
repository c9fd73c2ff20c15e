#include "cli/run.hpp"

#include "yoloq/runtime/session.hpp"
#include "yoloq/support/interrupt.hpp"
#include "yoloq/support/version.hpp"

namespace yoloq::cli {

namespace {

// Errors are one line, but a message may quote text that holds line breaks (a name taken from a
// damaged file, an ONNX Runtime message).
RunOutcome failure(const char* message, int exit_code) {
  std::string line = message;
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  return {exit_code, line, 0};
}

}  // namespace

RunOutcome run_command_line(const std::vector<std::string>& args, Invocation& invocation) {
  CLI::App app{"yoloq: post-training INT8 quantization for YOLO ONNX models"};
  // Every option's default in --help; subcommands inherit this.
  app.option_defaults()->always_capture_default();
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("yoloq ") + version() + " (ONNX Runtime " + onnxruntime_version() + ")");
  invocation.command_line = quoted_command_line(args);
  register_commands(app, invocation);
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
    return {};
  } catch (const CLI::CallForHelp& e) {
    return {app.exit(e), "", 0};
  } catch (const CLI::CallForAllHelp& e) {
    return {app.exit(e), "", 0};
  } catch (const CLI::CallForVersion& e) {
    return {app.exit(e), "", 0};
  } catch (const CLI::ParseError& e) {
    return failure(e.what(), 2);
  } catch (const VerdictNotPassed&) {
    return {3, "", 0};
  } catch (const UsageError& e) {
    return failure(e.what(), 2);
  } catch (const Interrupted& e) {
    auto outcome = failure(e.what(), 128 + e.signal());
    outcome.interrupted_by = e.signal();
    return outcome;
  } catch (const std::exception& e) {  // yoloq::Error and anything the libraries throw
    return failure(e.what(), 1);
  }
}

}  // namespace yoloq::cli
