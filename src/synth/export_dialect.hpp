#pragma once
// Which Ultralytics export a synthesized graph reproduces. Exports of one architecture differ
// between Ultralytics and torch versions in a few details that change node order, names and
// initializer names but not what the graph computes; a dialect names those details, so that the
// blocks and heads write each one way or the other.
#include <cstdint>

namespace yoloq::yolo {

struct ExportDialect {
  // Appended to every weight initializer's name ("" for a plain export).
  const char* weight_suffix = "";
  // PSA attention as (q * scale)^T k (Ultralytics 8.4.190) instead of (q^T k) * scale (8.3).
  bool scale_queries_first = false;
  std::int64_t ir_version = 9, opset = 19;
};

// The detect reference, shared/data/models/yolo11n-coco-640.onnx (Ultralytics 8.3.47): its
// weights went through a Q/DQ export, whose DequantizeLinear outputs gave them their suffix.
inline constexpr ExportDialect kUltralytics83QdqDialect{"_DequantizeLinear_Output", false, 9, 19};

// A plain export by Ultralytics 8.4.190 with torch 2.15 and its default opset (/work/exports).
inline constexpr ExportDialect kUltralytics84Dialect{"", true, 8, 18};

}  // namespace yoloq::yolo
