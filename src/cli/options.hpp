#pragma once
// Flags shared by several subcommands, with ModelOpt's names where ModelOpt has the option.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "yoloq/plan/quant_plan.hpp"

namespace yoloq::cli {

struct PlanFlags {
  std::string target = "trt";
  std::string yolo_head = "float-dfl";  // measured default, see PlanOptions
  std::vector<std::string> op_types_to_quantize, op_types_to_exclude, nodes_to_quantize, nodes_to_exclude;

  PlanOptions to_plan_options() const {
    PlanOptions o;
    o.target = parse_target(target);
    o.yolo_head = parse_yolo_head(yolo_head);
    o.op_types_to_quantize = op_types_to_quantize;
    o.op_types_to_exclude = op_types_to_exclude;
    o.nodes_to_quantize = nodes_to_quantize;
    o.nodes_to_exclude = nodes_to_exclude;
    return o;
  }
};

inline void add_plan_flags(CLI::App& cmd, PlanFlags& f) {
  cmd.add_option("--target", f.target, "trt (TensorRT explicit quantization) or ort-cpu (ONNX Runtime CPU kernels)")
      ->capture_default_str();
  cmd.add_option("--yolo_head", f.yolo_head,
                 "float: head output convs, DFL and decoding stay float; float-dfl: output convs INT8, rest float; "
                 "int8: as the target's rules allow")
      ->capture_default_str();
  // ModelOpt accepts space- or comma-separated lists.
  cmd.add_option("--op_types_to_quantize", f.op_types_to_quantize, "Only these op types")->delimiter(',');
  cmd.add_option("--op_types_to_exclude", f.op_types_to_exclude, "Keep these op types in high precision")->delimiter(',');
  cmd.add_option("--nodes_to_quantize", f.nodes_to_quantize, "Only nodes whose names match (regex, from the start)")
      ->delimiter(',');
  cmd.add_option("--nodes_to_exclude", f.nodes_to_exclude, "Keep matching nodes in high precision (regex, from the start)")
      ->delimiter(',');
}

}  // namespace yoloq::cli
