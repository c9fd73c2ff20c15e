// yoloq's command line: one file per subcommand, each registering itself on the app.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.hpp"
#include "yoloq/support/version.hpp"
#include "yoloq/support/interrupt.hpp"

namespace {

// Errors are one line on stderr, but a message may quote text that holds line breaks (a name
// taken from a damaged file, an ONNX Runtime message).
int report_error(const char* message, int exit_code) {
  std::string line = message;
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  std::cerr << "yoloq: error: " << line << "\n";
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  yoloq::install_interrupt_handlers();
  CLI::App app{"yoloq: post-training INT8 quantization for YOLO ONNX models"};
  // Every option's default in --help; subcommands inherit this.
  app.option_defaults()->always_capture_default();
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("yoloq ") + yoloq::version());
  yoloq::cli::set_command_line(argc, argv);
  yoloq::cli::register_commands(app);
  try {
    app.parse(argc, argv);
    return 0;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report_error(e.what(), 2);
  } catch (const yoloq::cli::VerdictNotPassed&) {
    return 3;
  } catch (const yoloq::UsageError& e) {
    return report_error(e.what(), 2);
  } catch (const yoloq::Interrupted& e) {
    return report_error(e.what(), 128 + e.signal());
  } catch (const std::exception& e) {  // yoloq::Error and anything the libraries throw
    return report_error(e.what(), 1);
  }
}
