#include <gtest/gtest.h>

#include "onnx/graph_builder.hpp"
#include "test_support.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/onnx/model.hpp"

using yoloq::GraphIndex;
using yoloq::testing::add_node;
using yoloq::testing::add_value;
using Indices = std::vector<std::size_t>;

namespace {

std::string cycle_error(const onnx::GraphProto& g) {
  return yoloq::testing::error_message([&] { GraphIndex index(g); });
}

}  // namespace

// x -> Relu -> a -> Sigmoid -> b -> Neg -> y
TEST(GraphIndex, Chain) {
  onnx::GraphProto g;
  add_value(*g.mutable_input(), "x", {1, 4});
  add_value(*g.mutable_output(), "y", {1, 4});
  add_node(g, "Relu", "r", {"x"}, {"a"});
  add_node(g, "Sigmoid", "s", {"a"}, {"b"});
  add_node(g, "Neg", "n", {"b"}, {"y"});
  GraphIndex index(g);
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
  onnx::GraphProto g;
  add_value(*g.mutable_input(), "x", {2});
  add_value(*g.mutable_output(), "y", {2});
  add_node(g, "Relu", "A", {"x"}, {"a"});
  add_node(g, "Sigmoid", "B", {"a"}, {"b"});
  add_node(g, "Tanh", "C", {"a"}, {"c"});
  add_node(g, "Add", "D", {"b", "c"}, {"y"});
  GraphIndex index(g);
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
  onnx::GraphProto g;
  add_value(*g.mutable_input(), "x", {2});
  add_value(*g.mutable_output(), "y", {2});
  add_node(g, "Add", "D", {"b", "c"}, {"y"});
  add_node(g, "Tanh", "C", {"a"}, {"c"});
  add_node(g, "Sigmoid", "B", {"a"}, {"b"});
  add_node(g, "Relu", "A", {"x"}, {"a"});
  GraphIndex index(g);
  EXPECT_EQ(index.topological_order(), (Indices{3, 1, 2, 0}));
  EXPECT_EQ(index.producer("a"), 3u);
  EXPECT_EQ(index.consumers("a"), (Indices{1, 2}));
  EXPECT_EQ(index.producer("y"), 0u);
}

// x -> Split -> (s0, s1); s0 -> Relu -> r; s1 -> Mul(s1, s1) -> m; (r, m) -> Concat -> y;
// the Split's second output is read twice by one node, and one output of TopK is unused.
TEST(GraphIndex, NodeWithTwoOutputs) {
  onnx::GraphProto g;
  add_value(*g.mutable_input(), "x", {4});
  add_value(*g.mutable_output(), "y", {4});
  add_node(g, "Split", "split", {"x"}, {"s0", "s1"});
  add_node(g, "Mul", "square", {"s1", "s1"}, {"m"});
  add_node(g, "Relu", "relu", {"s0"}, {"r"});
  add_node(g, "Concat", "concat", {"r", "m"}, {"y"});
  GraphIndex index(g);
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
  onnx::GraphProto g;
  add_value(*g.mutable_input(), "x", {4});
  add_node(g, "Relu", "uses_second", {"idx"}, {"r"});
  add_node(g, "TopK", "topk", {"x", "k"}, {"values", "idx"});
  add_node(g, "Resize", "resize", {"x", "", "scales"}, {"z", ""});
  add_node(g, "Constant", "k_const", {}, {"k"});
  GraphIndex index(g);
  EXPECT_EQ(index.topological_order(), (Indices{2, 3, 1, 0}));
  EXPECT_EQ(index.consumers(""), Indices{});
  EXPECT_EQ(index.producer(""), std::nullopt);
  EXPECT_EQ(index.consumers("values"), Indices{});
  EXPECT_TRUE(index.is_constant("k"));
  EXPECT_FALSE(index.is_constant("idx"));
}

TEST(GraphIndex, InitializersAreNotInputs) {
  onnx::GraphProto g;
  add_value(*g.mutable_input(), "x", {-1, 3});
  add_value(*g.mutable_input(), "w", {3});  // old exporters list initializers as inputs too
  add_value(*g.mutable_output(), "y", {-1, 3});
  yoloq::Tensor w(yoloq::DType::Float32, {3});
  *g.add_initializer() = yoloq::to_proto(w, "w");
  add_node(g, "Add", "add", {"x", "w"}, {"y"});
  GraphIndex index(g);
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
  onnx::GraphProto g;
  add_node(g, "Relu", "A", {"b"}, {"a"});
  add_node(g, "Relu", "B", {"a"}, {"b"});
  add_node(g, "Relu", "C", {"b"}, {"c"});  // downstream of the cycle
  add_node(g, "Relu", "D", {"x"}, {"d"});
  EXPECT_EQ(cycle_error(g), "the graph has a cycle: 3 of 4 nodes cannot be ordered, the first is 'A' (Relu)");

  onnx::GraphProto self;
  add_node(self, "Add", "A", {"x", "a"}, {"a"});
  EXPECT_EQ(cycle_error(self), "the graph has a cycle: 1 of 1 nodes cannot be ordered, the first is 'A' (Add)");
}

TEST(GraphIndex, AttributeHelpers) {
  onnx::GraphProto g;
  auto& conv = add_node(g, "Conv", "conv", {"x", "w"}, {"y"});
  auto* group = conv.add_attribute();
  group->set_name("group");
  group->set_type(onnx::AttributeProto::INT);
  group->set_i(4);
  auto* pads = conv.add_attribute();
  pads->set_name("pads");
  pads->set_type(onnx::AttributeProto::INTS);
  for (int p : {1, 1, 2, 2}) pads->add_ints(p);
  EXPECT_EQ(yoloq::attribute_int(conv, "group", 1), 4);
  EXPECT_EQ(yoloq::attribute_int(conv, "axis", -7), -7);
  EXPECT_EQ(yoloq::attribute_ints(conv, "pads"), (std::vector<std::int64_t>{1, 1, 2, 2}));
  EXPECT_EQ(yoloq::attribute_ints(conv, "strides"), std::vector<std::int64_t>{});
  EXPECT_EQ(yoloq::find_attribute(conv, "pads"), pads);
  EXPECT_EQ(yoloq::find_attribute(conv, "dilations"), nullptr);
}
