#include <iostream>

#include "cli/commands.hpp"
#include "yoloq/model_summary.hpp"

namespace yoloq::cli {

namespace {
void add_inspect(CLI::App& app) {
  auto* cmd = app.add_subcommand("inspect", "Show a model's interface, op histogram, Q/DQ content and YOLO metadata");
  auto model = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("model", *model, "ONNX model file")->required();
  cmd->add_flag("--json", *json, "Print JSON instead of text");
  cmd->callback([model, json] {
    auto summary = summarize(load_model(*model));
    if (*json)
      std::cout << to_json(summary).dump(2) << "\n";
    else
      std::cout << to_text(summary);
  });
}

}  // namespace

const CommandRegistration registration(10, add_inspect);

}  // namespace yoloq::cli
