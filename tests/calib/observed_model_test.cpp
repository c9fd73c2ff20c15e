#include "calib/observed_model.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <stdexcept>

#include "test_models.hpp"
#include "test_support.hpp"
#include "yoloq/runtime/session.hpp"

namespace yoloq {
namespace {

using testing::error_message;

// Records what a run shows it: per id, the element type and values; and how many pieces of work
// each parallel_for ran.
struct RecordingObserver : TensorObserver {
  std::map<std::size_t, std::pair<std::string, std::vector<float>>> seen;
  std::vector<std::size_t> order;
  std::size_t pieces_run = 0;
  bool fail = false;

  void observe(std::size_t id, std::string_view type, std::span<const float> values,
               const ParallelFor& parallel_for) override {
    if (fail) throw std::runtime_error("observer refused tensor " + std::to_string(id));
    order.push_back(id);
    seen[id] = {std::string(type), {values.begin(), values.end()}};
    std::atomic<std::size_t> ran{0};
    parallel_for(5, [&](std::size_t) { ++ran; });
    pieces_run += ran;
  }
};

Tensor input(std::initializer_list<float> values) {
  Tensor x(DType::Float32, {1, static_cast<std::int64_t>(values.size())});
  std::copy(values.begin(), values.end(), x.values<float>().begin());
  return x;
}

// y = x + w (w = 0, 0.5, 1, 1.5), observed with the graph input x: the observer sees both, with
// the values the run computes, once per run; the model's own output is unchanged.
TEST(AddObservers, TheRunShowsEachObservedTensorOncePerRun) {
  Model model = testing::add_model(4);
  const auto fetch = add_observers(model, {"y", "x"});
  ASSERT_EQ(fetch, (std::vector<std::string>{"y/observed", "x/observed"}));
  EXPECT_EQ(model.opset(kObserveDomain), 1);
  RecordingObserver observer;
  RuntimeOptions options;
  options.threads = 2;
  options.observer = &observer;
  Session session(serialize_model(model), "add.onnx", options);
  const auto outputs = session.run({{"x", input({1, -2, 3.25f, 100})}}, fetch);
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(outputs[0].numel(), 0u);
  EXPECT_EQ(observer.order, (std::vector<std::size_t>{1, 0}));  // x when the run starts, then y
  EXPECT_EQ(observer.seen.at(0), (std::pair<std::string, std::vector<float>>{"float32", {1, -1.5f, 4.25f, 101.5f}}));
  EXPECT_EQ(observer.seen.at(1), (std::pair<std::string, std::vector<float>>{"float32", {1, -2, 3.25f, 100}}));
  EXPECT_EQ(observer.pieces_run, 10u);  // every piece of both parallel_for calls, on ONNX Runtime's threads
  const auto y = session.run({{"x", input({0, 0, 0, 0})}}, {"y"});
  EXPECT_EQ(y[0].values<float>()[3], 1.5f);
}

// x -> Relu -> a -> Relu -> b -> Relu -> c: the Observe nodes go last in the node list, the latest
// tensor's first (the order in which ONNX Runtime's walk reads each tensor as soon as it exists),
// and the run observes the tensors in the order it computes them.
TEST(AddObservers, ObserveNodesGoLastLatestTensorFirst) {
  GraphBuilder g;
  g.input("x", {1, 3});
  g.node("Relu", "r1", {"x"}, {"a"});
  g.node("Relu", "r2", {"a"}, {"b"});
  g.node("Relu", "r3", {"b"}, {"c"});
  g.output("c", {1, 3});
  Model model = std::move(g.model());
  const auto fetch = add_observers(model, {"c", "a", "b"});
  std::vector<std::string> inputs;
  for (const auto& n : model.graph().node()) inputs.push_back(n.input(0));
  EXPECT_EQ(inputs, (std::vector<std::string>{"x", "a", "b", "c", "b", "a"}));
  RecordingObserver observer;
  RuntimeOptions options;
  options.threads = 1;
  options.observer = &observer;
  Session session(serialize_model(model), "relu.onnx", options);
  session.run({{"x", input({1, -2, 3})}}, fetch);
  EXPECT_EQ(observer.order, (std::vector<std::size_t>{1, 2, 0}));
  EXPECT_EQ(observer.seen.at(0).second, (std::vector<float>{1, 0, 3}));
}

TEST(AddObservers, NewNamesDoNotTakeExistingOnes) {
  Model model = testing::add_model(4);
  model.graph().mutable_node(0)->set_name("yoloq_observe/y");
  const auto fetch = add_observers(model, {"y", "y"});
  EXPECT_EQ(fetch, (std::vector<std::string>{"y/observed", "y/observed_1"}));
  EXPECT_EQ(model.graph().node(1).name(), "yoloq_observe/y_1");
  EXPECT_EQ(model.graph().node(2).name(), "yoloq_observe/y_2");
}

// An observer's exception fails the run with its message; a session without an observer cannot
// load a model with Observe nodes.
TEST(AddObservers, ErrorsReachTheCaller) {
  Model model = testing::add_model(4);
  const auto fetch = add_observers(model, {"y"});
  RecordingObserver observer;
  observer.fail = true;
  RuntimeOptions options;
  options.threads = 1;
  options.observer = &observer;
  Session session(serialize_model(model), "add.onnx", options);
  EXPECT_NE(error_message([&] { session.run({{"x", input({1, 2, 3, 4})}}, fetch); }).find("observer refused tensor 0"),
            std::string::npos);
  options.observer = nullptr;
  EXPECT_NE(error_message([&] { Session(serialize_model(model), "add.onnx", options); }).find("add.onnx"),
            std::string::npos);
}

}  // namespace
}  // namespace yoloq
