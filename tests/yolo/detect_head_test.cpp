// The Detect head found by structure in the shared real models: YOLO11 with its DFL, YOLO26
// (end-to-end, no DFL). The small-graph cases are in tests/plan/placement_test.cpp.
#include <gtest/gtest.h>

#include "test_support.hpp"
#include "yoloq/yolo/detect_head.hpp"

namespace yoloq {
namespace {

std::multiset<std::string> op_types(const GraphIndex& index, const std::set<std::size_t>& nodes) {
  std::multiset<std::string> out;
  for (auto n : nodes) out.insert(index.node(n).op_type());
  return out;
}

TEST(DetectHeadRealData, Yolo11HasADflAndSixOutputConvolutions) {
  if (!testing::have_real_data()) GTEST_SKIP() << "no shared data at " << testing::data_dir();
  const Model model = load_model(testing::float_model());
  const GraphIndex index(model.graph());
  const auto head = find_detect_head(index);
  ASSERT_TRUE(head);
  ASSERT_TRUE(head->dfl_conv);
  EXPECT_EQ(index.node(*head->dfl_softmax).op_type(), "Softmax");
  EXPECT_EQ(head->output_convs.size(), 6u);  // box and class, three levels
  EXPECT_EQ(op_types(index, head->tail).count("Sigmoid"), 1u);  // the class scores' only
}

TEST(DetectHeadRealData, Yolo26EndToEndHeadHasNoDflAndKeepsItsSelectionInTheTail) {
  const auto path = testing::data_dir() / "models" / "yolo26n-coco-640.onnx";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  const Model model = load_model(path);
  const GraphIndex index(model.graph());
  const auto head = find_detect_head(index);
  ASSERT_TRUE(head);
  EXPECT_FALSE(head->dfl_conv);
  EXPECT_EQ(head->output_convs.size(), 6u);
  for (auto n : head->output_convs) {
    const auto* w = index.initializer(index.node(n).input(1));
    ASSERT_TRUE(w);
    EXPECT_TRUE(w->dims(0) == 4 || w->dims(0) == 80) << index.node_name(n);  // box distances or classes
  }
  const auto tail = op_types(index, head->tail);
  EXPECT_EQ(tail.count("TopK"), 2u);
  EXPECT_EQ(tail.count("Sigmoid"), 1u);
  EXPECT_EQ(tail.count("Conv"), 0u);
}

}  // namespace
}  // namespace yoloq
