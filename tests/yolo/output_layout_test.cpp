// How boxes are read from each task's first output, and the errors when shapes do not fit the task.
#include <gtest/gtest.h>

#include "yoloq/synth/graph_builder.hpp"
#include "yoloq/yolo/output_layout.hpp"

namespace yoloq {
namespace {

// A model whose only content is Ultralytics metadata (box_output_layout reads the metadata; the
// shapes are given as ONNX Runtime reports them).
Model model_with_metadata(const std::vector<std::pair<std::string, std::string>>& props) {
  GraphBuilder g;
  Model m = std::move(g.model());
  for (const auto& [key, value] : props) {
    auto* p = m.proto.add_metadata_props();
    p->set_key(key);
    p->set_value(value);
  }
  return m;
}

const std::string kTwoClasses = "{0: 'person', 1: 'car'}";

TEST(BoxOutputLayout, DetectAndEndToEnd) {
  const auto detect = model_with_metadata({{"task", "detect"}, {"names", kTwoClasses}});
  auto layout = std::get<BoxOutputLayout>(box_output_layout(detect, {"output0"}, {{1, 6, 100}}));
  EXPECT_EQ(layout.num_classes, 2);
  EXPECT_EQ(layout.task_channels, 0);
  EXPECT_FALSE(layout.end_to_end);
  layout = std::get<BoxOutputLayout>(box_output_layout(detect, {"output0"}, {{1, 300, 6}}));
  EXPECT_TRUE(layout.end_to_end);
  EXPECT_EQ(layout.num_classes, 0);
  // Without metadata a detect head's shape says how many classes there are.
  const auto bare = model_with_metadata({});
  EXPECT_EQ(std::get<BoxOutputLayout>(box_output_layout(bare, {"output0"}, {{1, 84, 8400}})).num_classes, 80);
}

TEST(BoxOutputLayout, SegmentAndPoseScoresEndWhereTheirOwnChannelsBegin) {
  const auto segment = model_with_metadata({{"task", "segment"}, {"names", kTwoClasses}});
  auto layout = std::get<BoxOutputLayout>(
      box_output_layout(segment, {"output0", "output1"}, {{1, 4 + 2 + 32, 2100}, {1, 32, 80, 80}}));
  EXPECT_EQ(layout.num_classes, 2);
  EXPECT_EQ(layout.task_channels, 32);
  EXPECT_EQ(layout.task_channels_name(), "mask coefficients");
  const auto pose = model_with_metadata({{"task", "pose"}, {"names", "{0: 'person'}"}, {"kpt_shape", "[17, 3]"}});
  layout = std::get<BoxOutputLayout>(box_output_layout(pose, {"output0"}, {{1, 56, 8400}}));
  EXPECT_EQ(layout.num_classes, 1);
  EXPECT_EQ(layout.task_channels, 51);
  EXPECT_EQ(layout.task_channels_name(), "keypoints");
}

TEST(BoxOutputLayout, ShapesThatDoNotFitTheTaskAndOtherTasksSayWhy) {
  const auto segment = model_with_metadata({{"task", "segment"}, {"names", kTwoClasses}});
  EXPECT_EQ(std::get<std::string>(box_output_layout(segment, {"output0", "output1"}, {{1, 6, 2100}, {1, 32, 80, 80}})),
            "output 'output0' [1x6x2100] does not fit a segment model with 2 classes and 32 mask coefficients: "
            "expected [batch, 38, anchors]");
  EXPECT_EQ(std::get<std::string>(box_output_layout(segment, {"output0"}, {{1, 38, 2100}})),
            "the model has 1 outputs; a segment model has 2");
  const auto pose = model_with_metadata({{"task", "pose"}, {"names", "{0: 'person'}"}});
  EXPECT_EQ(std::get<std::string>(box_output_layout(pose, {"output0"}, {{1, 56, 8400}})),
            "the pose model's metadata has no kpt_shape [keypoints, 2 or 3]");
  const auto obb = model_with_metadata({{"task", "obb"}, {"names", kTwoClasses}});
  EXPECT_EQ(std::get<std::string>(box_output_layout(obb, {"output0"}, {{1, 7, 21504}})),
            "the model's task is 'obb'; boxes are scored for detect, segment and pose models");
  const auto detect = model_with_metadata({{"task", "detect"}, {"names", kTwoClasses}});
  EXPECT_EQ(std::get<std::string>(box_output_layout(detect, {"output0"}, {{1, 84, 8400}})),
            "output 'output0' [1x84x8400] is neither a detect head's [batch, 4 + classes, anchors] nor end-to-end "
            "detections [batch, N, 6]");
}

}  // namespace
}  // namespace yoloq

namespace yoloq {
namespace {

TEST(ObbPartsLayout, AngleIsTheChannelAfterTheScores) {
  const auto obb = model_with_metadata({{"task", "obb"}, {"names", kTwoClasses}});
  const auto layout = obb_parts_layout(obb, {{1, 7, 100}});
  ASSERT_TRUE(layout);
  EXPECT_EQ(layout->num_classes, 2);
  EXPECT_EQ(layout->task_channels, 1);
  EXPECT_EQ(layout->task_channels_name(), "angle");
  EXPECT_FALSE(obb_parts_layout(obb, {{1, 6, 100}}));  // no angle channel
  EXPECT_FALSE(obb_parts_layout(model_with_metadata({{"task", "detect"}, {"names", kTwoClasses}}), {{1, 7, 100}}));
}

}  // namespace
}  // namespace yoloq
