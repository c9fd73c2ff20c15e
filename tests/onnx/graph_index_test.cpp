#include <gtest/gtest.h>

#include "test_support.hpp"
#include "yoloq/onnx/model.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/synth/graph_builder.hpp"

using yoloq::GraphIndex;
using yoloq::GraphBuilder;
using Indices = std::vector<std::size_t>;

namespace {

std::string cycle_error(const onnx::GraphProto& g) {
  return yoloq::testing::error_message([&] { GraphIndex index(g); });
}

}  // namespace

// x -> Relu -> a -> Sigmoid -> b -> Neg -> y
TEST(GraphIndex, Chain) {
  GraphBuilder g;
  g.input("x", {1, 4});
  g.output("y", {1, 4});
  g.node("Relu", "r", {"x"}, {"a"});
  g.node("Sigmoid", "s", {"a"}, {"b"});
  g.node("Neg", "n", {"b"}, {"y"});
  GraphIndex index(g.graph());
  EXPECT_EQ(index.topological_order(), (Indices{0, 1, 2}));
  EXPECT_EQ(index.producer("x"), std::nullopt);
  EXPECT_EQ(index.producer("a"), 0u);
  EXPECT_EQ(index.producer("b"), 1u);
  EXPECT_EQ(index.producer("y"), 2u);
  EXPECT_EQ(index.producer("nonexistent"), std::nullopt);
  EXPECT_EQ(index.consumers("x"), (Indices{0}));
  EXPECT_EQ(index.consumers("a"), (Indices{1}));
  EXPECT_EQ(index.consumers("b"), (Indices{2}));
  EXPECT_EQ(index.consumers("y"), Indices{});
  EXPECT_TRUE(index.is_graph_input("x"));
  EXPECT_FALSE(index.is_graph_input("a"));
  EXPECT_TRUE(index.is_graph_output("y"));
  EXPECT_FALSE(index.is_graph_output("b"));
  EXPECT_EQ(index.op_histogram(), (std::map<std::string, std::size_t>{{"Neg", 1}, {"Relu", 1}, {"Sigmoid", 1}}));
  ASSERT_EQ(index.inputs().size(), 1u);
  EXPECT_EQ(index.inputs()[0].name, "x");
  EXPECT_EQ(index.inputs()[0].shape, (std::vector<std::int64_t>{1, 4}));
  EXPECT_EQ(index.outputs()[0].elem_type, onnx::TensorProto::FLOAT);
  EXPECT_EQ(index.value_info("a"), std::nullopt);  // not declared anywhere
}

// x -> A -> a; a -> B -> b; a -> C -> c; (b, c) -> D -> y
TEST(GraphIndex, Diamond) {
  GraphBuilder g;
  g.input("x", {2});
  g.output("y", {2});
  g.node("Relu", "A", {"x"}, {"a"});
  g.node("Sigmoid", "B", {"a"}, {"b"});
  g.node("Tanh", "C", {"a"}, {"c"});
  g.node("Add", "D", {"b", "c"}, {"y"});
  GraphIndex index(g.graph());
  EXPECT_EQ(index.topological_order(), (Indices{0, 1, 2, 3}));
  EXPECT_EQ(index.consumers("a"), (Indices{1, 2}));
  EXPECT_EQ(index.producer("b"), 1u);
  EXPECT_EQ(index.producer("c"), 2u);
  EXPECT_EQ(index.consumers("b"), (Indices{3}));
  EXPECT_EQ(index.consumers("c"), (Indices{3}));
}

// The same diamond stored backwards: D, C, B, A. The order is by dependency; among nodes that are
// ready at the same time, the one stored first comes first.
TEST(GraphIndex, GraphGivenOutOfOrder) {
  GraphBuilder g;
  g.input("x", {2});
  g.output("y", {2});
  g.node("Add", "D", {"b", "c"}, {"y"});
  g.node("Tanh", "C", {"a"}, {"c"});
  g.node("Sigmoid", "B", {"a"}, {"b"});
  g.node("Relu", "A", {"x"}, {"a"});
  GraphIndex index(g.graph());
  EXPECT_EQ(index.topological_order(), (Indices{3, 1, 2, 0}));
  EXPECT_EQ(index.producer("a"), 3u);
  EXPECT_EQ(index.consumers("a"), (Indices{1, 2}));
  EXPECT_EQ(index.producer("y"), 0u);
}

// x -> Split -> (s0, s1); s0 -> Relu -> r; s1 -> Mul(s1, s1) -> m; (r, m) -> Concat -> y;
// the Split's second output is read twice by one node, and one output of TopK is unused.
TEST(GraphIndex, NodeWithTwoOutputs) {
  GraphBuilder g;
  g.input("x", {4});
  g.output("y", {4});
  g.node("Split", "split", {"x"}, {"s0", "s1"});
  g.node("Mul", "square", {"s1", "s1"}, {"m"});
  g.node("Relu", "relu", {"s0"}, {"r"});
  g.node("Concat", "concat", {"r", "m"}, {"y"});
  GraphIndex index(g.graph());
  EXPECT_EQ(index.topological_order(), (Indices{0, 1, 2, 3}));
  EXPECT_EQ(index.producer("s0"), 0u);
  EXPECT_EQ(index.producer("s1"), 0u);
  EXPECT_EQ(index.consumers("s0"), (Indices{2}));
  EXPECT_EQ(index.consumers("s1"), (Indices{1}));  // each node once
  EXPECT_EQ(index.consumers("r"), (Indices{3}));
}

// A node that only depends on a later node's second output must wait for it, and optional
// (empty) inputs and outputs are neither tensors nor edges.
TEST(GraphIndex, SecondOutputOrdersItsConsumer) {
  GraphBuilder g;
  g.input("x", {4});
  g.node("Relu", "uses_second", {"idx"}, {"r"});
  g.node("TopK", "topk", {"x", "k"}, {"values", "idx"});
  g.node("Resize", "resize", {"x", "", "scales"}, {"z", ""});
  g.node("Constant", "k_const", {}, {"k"});
  GraphIndex index(g.graph());
  EXPECT_EQ(index.topological_order(), (Indices{2, 3, 1, 0}));
  EXPECT_EQ(index.consumers(""), Indices{});
  EXPECT_EQ(index.producer(""), std::nullopt);
  EXPECT_EQ(index.consumers("values"), Indices{});
  EXPECT_TRUE(index.is_constant("k"));
  EXPECT_FALSE(index.is_constant("idx"));
}

TEST(GraphIndex, InitializersAreNotInputs) {
  GraphBuilder g;
  g.input("x", {-1, 3});
  g.input("w", {3});  // old exporters list initializers as inputs too
  g.output("y", {-1, 3});
  yoloq::Tensor w(yoloq::DType::Float32, {3});
  g.initializer("w", w);
  g.node("Add", "add", {"x", "w"}, {"y"});
  GraphIndex index(g.graph());
  ASSERT_EQ(index.inputs().size(), 1u);
  EXPECT_EQ(index.inputs()[0].name, "x");
  EXPECT_EQ(index.inputs()[0].shape, (std::vector<std::int64_t>{-1, 3}));
  EXPECT_EQ(index.inputs()[0].dim_names, (std::vector<std::string>{"batch", ""}));
  EXPECT_TRUE(index.is_initializer("w"));
  EXPECT_TRUE(index.is_constant("w"));
  EXPECT_FALSE(index.is_constant("x"));
  EXPECT_EQ(index.initializer("w")->dims_size(), 1);
  EXPECT_EQ(index.initializer("x"), nullptr);
  EXPECT_EQ(index.producer("w"), std::nullopt);
  EXPECT_EQ(index.consumers("w"), (Indices{0}));
  auto info = index.value_info("w");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->shape, (std::vector<std::int64_t>{3}));
}

TEST(GraphIndex, RejectsCycles) {
  GraphBuilder g;
  g.node("Relu", "A", {"b"}, {"a"});
  g.node("Relu", "B", {"a"}, {"b"});
  g.node("Relu", "C", {"b"}, {"c"});  // downstream of the cycle
  g.node("Relu", "D", {"x"}, {"d"});
  EXPECT_EQ(cycle_error(g.graph()), "the graph has a cycle: 3 of 4 nodes cannot be ordered, the first is 'A' (Relu)");

  GraphBuilder self;
  self.node("Add", "A", {"x", "a"}, {"a"});
  EXPECT_EQ(cycle_error(self.graph()), "the graph has a cycle: 1 of 1 nodes cannot be ordered, the first is 'A' (Add)");
}

TEST(GraphIndex, AttributeHelpers) {
  GraphBuilder g;
  auto& conv = g.node("Conv", "conv", {"x", "w"}, {"y"},
                      {{"group", 4}, {"pads", std::vector<std::int64_t>{1, 1, 2, 2}}});
  const auto* pads = &conv.attribute(1);
  EXPECT_EQ(yoloq::attribute_int(conv, "group", 1), 4);
  EXPECT_EQ(yoloq::attribute_int(conv, "axis", -7), -7);
  EXPECT_EQ(yoloq::attribute_ints(conv, "pads"), (std::vector<std::int64_t>{1, 1, 2, 2}));
  EXPECT_EQ(yoloq::attribute_ints(conv, "strides"), std::vector<std::int64_t>{});
  EXPECT_EQ(yoloq::find_attribute(conv, "pads"), pads);
  EXPECT_EQ(yoloq::find_attribute(conv, "dilations"), nullptr);
}
