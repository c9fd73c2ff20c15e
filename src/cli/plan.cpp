#include <iostream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "yoloq/plan/quant_plan.hpp"
#include "yoloq/support/file_io.hpp"

namespace yoloq::cli {

namespace {
void add_plan(CLI::App& app, Invocation& invocation) {
  auto* cmd = app.add_subcommand("plan", "Print or write the Q/DQ placement plan (JSON) without quantizing");
  auto model = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  auto options = std::make_shared<PlanFlags>();
  cmd->add_option("model", *model, "Float ONNX model")->required();
  cmd->add_option("-o,--output,--output_path", *output, "Write the plan JSON here instead of printing it");
  add_plan_flags(*cmd, *options);
  cmd->callback([=, &invocation] {
    Model m = load_model(*model);
    name_unnamed_nodes(m);
    auto result = plan_quantization(m, options->to_plan_options());
    print_warnings(result.warnings);
    invocation.result = to_json(result.plan);
    std::string text = invocation.result.dump(2) + "\n";
    if (output->empty())
      std::cout << text;
    else
      write_file_atomically(*output, text);
  });
}

}  // namespace

const CommandRegistration registration(40, add_plan);

}  // namespace yoloq::cli
