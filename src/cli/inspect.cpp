#include <iostream>

#include "cli/commands.hpp"
#include "yoloq/onnx/model_summary.hpp"
#include "yoloq/yolo/metadata.hpp"

namespace yoloq::cli {

namespace {
void add_inspect(CLI::App& app, Invocation& invocation) {
  auto* cmd = app.add_subcommand("inspect", "Show a model's interface, op histogram, Q/DQ content and YOLO metadata");
  auto model = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("model", *model, "ONNX model file")->required();
  cmd->add_flag("--json", *json, "Print JSON instead of text");
  cmd->callback([model, json, &invocation] {
    const Model loaded = load_model(*model);
    const auto summary = summarize(loaded);
    const auto metadata = read_yolo_metadata(loaded);
    invocation.result = to_json(summary);
    invocation.result["ultralytics"] = metadata_json(metadata);
    if (*json) {
      std::cout << invocation.result.dump(2) << "\n";
    } else {
      std::cout << to_text(summary) << (metadata ? metadata_text(*metadata) : "");
    }
  });
}

}  // namespace

const CommandRegistration registration(10, add_inspect);

}  // namespace yoloq::cli
