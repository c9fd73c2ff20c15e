#pragma once
// YOLO11's layer lists: yolo11.yaml's backbone and neck, shared by detect, segment, pose and obb,
// and yolo11-cls.yaml's backbone, each scaled by depth, width and max channels, with a task head
// on top.
#include "synth/export_dialect.hpp"
#include "synth/onnx_graph_builder.hpp"
#include "synth/task_heads.hpp"
#include "yoloq/synth/yolo_synth.hpp"

namespace yoloq::yolo {

// A yaml channel argument (for width 1) at this scale: capped, scaled, rounded up to 8.
std::int64_t scaled_channels(const Yolo11Scale& scale, std::int64_t yaml_channels);

// yolo11.yaml layers 0-22: returns the neck's outputs at strides 8, 16, 32 (layers 16, 19, 22).
std::vector<Feature> yolo11_backbone_and_neck(OnnxGraphBuilder& b, const Yolo11Scale& scale,
                                              const Feature& image);

// The whole graph with its parameters declared but not filled in.
OnnxGraphBuilder::Result build_yolo11_graph(const Yolo11Scale& scale, std::int64_t imgsz,
                                            const TaskHead& head, const ExportDialect& dialect);

}  // namespace yoloq::yolo
