#pragma once
// Float rewrites: float nodes of the head written in an equivalent form that ONNX Runtime's CPU
// kernels run faster. The plan decides them (plan_float_rewrites), the writer applies them
// (write/float_rewrites.cpp); both recognise the nodes with the same match_ function, so a plan
// edited by hand cannot make the writer rewrite something else.
#include <cstddef>
#include <optional>
#include <vector>

#include "yoloq/onnx/model.hpp"
#include "yoloq/plan/quant_plan.hpp"
#include "yoloq/yolo/yolo_head.hpp"

namespace yoloq {

// The DFL's Softmax over the reg_max bins as Ultralytics exports it: Transpose (perm 0,2,1,3:
// [B, 4, reg_max, A] -> [B, reg_max, 4, A]) -> Softmax over axis 1 -> a 1x1 Conv without bias
// that takes the expectation (weights 0..reg_max-1). ONNX Runtime runs a Softmax over an inner
// axis by transposing around a last-axis Softmax, and this one was the most expensive node of
// YOLO11n (26 ms of 233 per run in a profile, more than any convolution). Rewritten: Transpose
// (perm 0,1,3,2: [B, 4, A, reg_max]) -> Softmax over the last axis -> MatMul with the weights as
// [reg_max, 1] -> Transpose (perm 0,3,1,2) to the Conv's [B, 1, 4, A]: the same values (the same
// sums in the same order), a tenth of the time.
inline constexpr const char* kDflLastAxisSoftmax = "dfl-softmax-last-axis";

struct DflNodes {
  std::size_t transpose = 0, softmax = 0, conv = 0;
};
// The three nodes when `softmax` is exactly that pattern; nullopt otherwise.
std::optional<DflNodes> match_dfl(const GraphIndex& index, std::size_t softmax);

// The Detect head's joins as Ultralytics exports them: at each level the branches' output
// convolutions are concatenated over channels (boxes 4 x reg_max, classes, ...), reshaped to
// [B, channels, H x W], the levels concatenated over the anchors, and the result split back into
// the branches. Rewritten: each branch's levels reshaped and concatenated on their own, which
// gives the Split's outputs, under their names, with the same values, while moving half the
// bytes. In float under ort-cpu those Concats and the Split took 1.0 ms of a 34.5 ms INT8 run of
// YOLO11n (one thread, kernel sums; bench/results/ort-cpu-speed.md).
inline constexpr const char* kBranchesJoinedApart = "head-branches-joined-apart";

struct BranchJoinNodes {
  std::vector<std::size_t> level_concats, reshapes;  // per level, in the anchors Concat's order
  std::size_t anchors_concat = 0, split = 0;
  std::vector<std::int64_t> channels;  // per branch: the Split's sizes
  std::int64_t batch = 0;              // the Reshapes' first dimension (0: copied from the input)
};
// The nodes when `split` ends exactly that pattern (constant Reshape shapes [batch, channels, -1],
// every branch input written by a Conv with as many output channels as its Split size, each
// intermediate read only by the next node); nullopt otherwise.
std::optional<BranchJoinNodes> match_branch_join(const GraphIndex& index, std::size_t split);
// The rewrite's node list: each level's Concat and Reshape, then the anchors Concat and the Split.
std::vector<std::string> branch_join_node_names(const GraphIndex& index, const BranchJoinNodes& join);

// ort-cpu with the decoding kept float: the branch-join rewrite; with the DFL kept float too, the
// DFL rewrite. Nothing for trt (TensorRT fuses its own
// Softmax and the graph stays as exported, as ModelOpt leaves it) or for --yolo_head int8 (the
// Softmax's output is quantized there).
std::vector<FloatRewrite> plan_float_rewrites(const GraphIndex& index, const std::optional<YoloHead>& head,
                                              Target target, YoloHeadMode preset);

}  // namespace yoloq
