#pragma once
// YOLO11's layer list (yolo11.yaml): the backbone and neck shared by every task, scaled by
// depth, width and max channels, and a task head on the neck's three outputs.
#include "synth/onnx_graph_builder.hpp"
#include "synth/task_heads.hpp"
#include "yoloq/synth/yolo_synth.hpp"

namespace yoloq::yolo {

// Layers 0-22: returns the neck's outputs at strides 8, 16, 32 (layers 16, 19, 22).
std::vector<Feature> yolo11_backbone_and_neck(OnnxGraphBuilder& b, const Yolo11Scale& scale,
                                              const Feature& image);

// The whole graph with its parameters declared but not filled in.
OnnxGraphBuilder::Result build_yolo11_graph(const Yolo11Scale& scale, std::int64_t imgsz,
                                            const TaskHead& head);

}  // namespace yoloq::yolo
