// yoloq's command line: one file per subcommand, each registering itself on the app.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.hpp"
#include "yoloq/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"yoloq: post-training INT8 quantization for YOLO ONNX models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "yoloq 0.1.0");
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
    std::cerr << "yoloq: error: " << e.what() << "\n";
    return 2;
  } catch (const yoloq::Error& e) {
    std::cerr << "yoloq: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "yoloq: error: " << e.what() << "\n";
    return 1;
  }
}
