#pragma once
// Stage 5: checks a quantized model against its float original the way a user would, in four
// parts: structure (it loads in ONNX Runtime, same interface, what was quantized), numerics (per
// output over held-out samples), detections (YOLO detect models) and speed (ONNX Runtime CPU).
// It takes loaded models and a BatchSource of held-out samples; how they are shown is report.hpp.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "yoloq/data/batch_source.hpp"
#include "yoloq/eval/classify.hpp"
#include "yoloq/eval/drop_interval.hpp"
#include "yoloq/onnx/model.hpp"
#include "yoloq/onnx/model_summary.hpp"
#include "yoloq/tensor/tensor.hpp"
#include "yoloq/verify/verdict.hpp"

namespace yoloq {

// Why the speed part skips a TensorRT-target model: ONNX Runtime's CPU kernels cannot fuse
// TensorRT's placement (INT8 activations), so its CPU time says nothing of TensorRT's.
inline constexpr const char* kTrtSpeedNote =
    "not measured for --target trt (ONNX Runtime's CPU speed says nothing of TensorRT's; time it with trtexec, or "
    "quantize with --target ort-cpu for ONNX Runtime)";

// True for a model written for TensorRT: its activations are quantized to INT8 (symmetric), which
// ONNX Runtime's x86 kernels do not fuse (they take UINT8 activations).
bool has_int8_activations(const Model& quant_model);

struct VerifyOptions {
  std::filesystem::path labels;  // optional: YOLO labels for held-out images; adds mAP against them
  int threads = 0;               // ONNX Runtime intra-op threads; 0 lets it choose
  int speed_runs = 20;           // timed runs per model, after warm-up
  std::string speed_note;        // with speed_runs 0: why speed is not measured (printed)
  int warmup_runs = 3;
  bool quiet = false;
  VerdictThresholds thresholds;
  bool real_data = true;  // false: the held-out samples are random inputs (the verdict says so)
  bool held_out = true;   // false: the samples are the calibration samples (the verdict says so)
};

// What quantize and verify do before timing: a model with INT8 activations is not timed
// (speed_runs 0, with kTrtSpeedNote); a caller that wants ONNX Runtime's figure anyway skips this.
void skip_speed_for_int8_activations(VerifyOptions& options, const Model& quant_model);

struct StructureReport {
  std::vector<std::string> interface_differences;  // empty: same inputs and outputs
  std::size_t quantize_linear = 0, dequantize_linear = 0;
  std::map<std::string, std::size_t>
      dequantized_inputs_by_op;  // op type -> inputs fed by a DequantizeLinear
  std::map<std::string, WeightedOpCount> weighted_ops;        // Conv, ConvTranspose, Gemm, MatMul
  std::size_t int8_weight_bytes = 0, float_weight_bytes = 0;  // quantized model
  std::size_t float_model_weight_bytes = 0;
};

struct OutputNumerics {
  std::string name;
  std::vector<std::int64_t> shape;
  double cosine = 0, snr_db = 0, max_abs_error = 0;  // snr_db is +inf for identical outputs
  bool detect_output = false;
  // Detect outputs: the class-score channels alone (box coordinates dominate the whole output's
  // SNR), and how many distinct class-score values above 0.001 each model produced; a collapse
  // to a handful of values is a broken head even when the whole-output SNR looks fine.
  double class_score_snr_db = 0;
  std::size_t distinct_class_scores_float = 0, distinct_class_scores_quant = 0;
  // The box channels alone, and a segment or pose output's own channels after the scores (named
  // by `task_channels`: "mask coefficients", "keypoints"; empty for detect).
  double box_snr_db = 0, task_channels_snr_db = 0;
  std::string task_channels;
  // An end-to-end detect output ([B, N, 6], ranked rows): cosine, SNR and error are NaN (rows do not
  // correspond), the distinct counts are of its score column; the detections part compares it.
  bool end_to_end = false;
};

struct MapPair {
  double map50_95 = 0, map50 = 0;
};

struct DetectionReport {
  bool evaluated = false;
  std::string note;  // why detections were skipped, or what they were measured on
  std::size_t images = 0;
  // INT8 detections scored against the float model's detections with score >= 0.25 as ground
  // truth, COCO-style.
  MapPair agreement;
  // The same, for a segment model's masks (mask IoU at the original image resolution) and a pose
  // model's keypoints (OKS; the float keypoints with visibility >= 0.5 count as labelled).
  std::optional<MapPair> mask_agreement, keypoint_agreement;
  std::size_t reference_objects = 0;  // float detections with score >= 0.25; 0 leaves nothing to score
  bool with_labels = false;
  std::size_t labelled_objects = 0;
  // Against the labels, COCO-style (pycocotools) and Ultralytics-style.
  MapPair float_coco, quant_coco, float_ultralytics, quant_ultralytics;
  double drop_points_coco = 0, drop_points_ultralytics = 0;  // (float - quant) mAP50-95 x 100
  // What these images resolve of the COCO-style drop (eval/drop_interval.hpp); resamples 0 until
  // scored.
  DropInterval drop_interval_coco;
};

struct SpeedReport {
  int runs = 0;
  double float_median_ms = 0, quant_median_ms = 0;
  double speedup = 0;  // float / quant
  std::string cpu;     // the CPU features the integer kernels ran with (CpuFeatures::text)
  // The intra-op thread setting, which moves INT8 speed-ups by a fifth: ONNX Runtime pins its
  // threads to cores only when it chooses their number (bench/results/ort-cpu-speed.md).
  std::string threads;
  std::string note;    // why it was not measured, when runs is 0
};

struct VerifyResult {
  std::filesystem::path float_model, quant_model;
  std::string data_description;
  std::size_t samples = 0;
  // Samples whose values are ones the quantized model was calibrated on (the fingerprints quantize
  // records in it): held-out data that is not held out.
  std::size_t calibration_samples_seen = 0;
  StructureReport structure;
  std::vector<OutputNumerics> numerics;
  DetectionReport detections;  // OBB models: rotated boxes
  // Classify models: top-1 agreement and top-5 overlap of the INT8 model with the float model.
  std::optional<ClassifyAgreement> classification;
  SpeedReport speed;
  Verdict verdict;
};

// Runs both models over every batch of `held_out` (images: detections are mapped back through
// each sample's letterbox; tensors: detections stay in input pixels; detections need rank-4
// single-input samples). Throws Error when a model does not load in ONNX Runtime (with its
// message), when the inputs differ, or when the labels folder is missing.
VerifyResult verify_models(const Model& float_model, const Model& quant_model, BatchSource& held_out,
                           const VerifyOptions& options);

StructureReport compare_structure(const Model& float_model, const Model& quant_model);


}  // namespace yoloq
