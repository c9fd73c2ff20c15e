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

class LayerStack;
struct LayerScaler;
// Layers 0-8 of yolo11.yaml, yolo11-cls.yaml and yolo26.yaml.
void yolo11_backbone_stages(OnnxGraphBuilder& b, const LayerScaler& s, const Feature& image,
                            LayerStack& layers);

// yolo11.yaml layers 0-22: returns the neck's outputs at strides 8, 16, 32 (layers 16, 19, 22).
std::vector<Feature> yolo11_backbone_and_neck(OnnxGraphBuilder& b, const Yolo11Scale& scale,
                                              const Feature& image);

// yolo26.yaml, yolov8.yaml and yolov10<size>.yaml up to the Detect head: the neck's outputs at
// strides 8, 16, 32; the index of the head's layer is the stack's size.
std::vector<Feature> yolo26_backbone_and_neck(OnnxGraphBuilder& b, const Yolo11Scale& scale,
                                              const Feature& image, LayerStack& layers);
std::vector<Feature> yolov8_backbone_and_neck(OnnxGraphBuilder& b, const Yolo11Scale& scale,
                                              const Feature& image, LayerStack& layers);
std::vector<Feature> yolov10_backbone_and_neck(OnnxGraphBuilder& b, const Yolo11Scale& scale,
                                               const Feature& image, LayerStack& layers);

// The graph of any family, with its parameters declared but not filled in.
OnnxGraphBuilder::Result build_yolo_graph(const YoloArchitecture& arch, std::int64_t imgsz,
                                          const TaskHead& head, const ExportDialect& dialect);

// The whole graph with its parameters declared but not filled in.
OnnxGraphBuilder::Result build_yolo11_graph(const Yolo11Scale& scale, std::int64_t imgsz,
                                            const TaskHead& head, const ExportDialect& dialect);

}  // namespace yoloq::yolo
