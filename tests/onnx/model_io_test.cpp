#include <gtest/gtest.h>

#include <random>

#include "test_models.hpp"
#include "test_support.hpp"
#include "yoloq/onnx/model.hpp"
#include "yoloq/support/error.hpp"

namespace fs = std::filesystem;
using yoloq::Model;
using yoloq::testing::add_model;
using yoloq::testing::ScratchDir;
using yoloq::testing::slurp;
using yoloq::testing::spit;
using yoloq::testing::write_model_with_external_weight;

namespace {

std::string load_error(const fs::path& path) {
  return yoloq::testing::error_message([&] { yoloq::load_model(path); });
}

// Compared as serialized bytes without printing them: a failure shows sizes, not megabytes.
bool same_proto(const onnx::ModelProto& a, const onnx::ModelProto& b) {
  std::string sa = a.SerializeAsString(), sb = b.SerializeAsString();
  if (sa == sb) return true;
  ADD_FAILURE() << "models differ: " << sa.size() << " vs " << sb.size() << " serialized bytes";
  return false;
}

}  // namespace

TEST(ModelIo, SaveAndLoadRoundTrip) {
  ScratchDir dir;
  Model model = add_model(8);
  yoloq::save_model(model, dir / "m.onnx");
  EXPECT_EQ(slurp(dir / "m.onnx"), model.proto.SerializeAsString());
  Model loaded = yoloq::load_model(dir / "m.onnx");
  EXPECT_EQ(loaded.path, dir / "m.onnx");
  EXPECT_TRUE(same_proto(loaded.proto, model.proto));
  EXPECT_EQ(loaded.opset(), 19);
  EXPECT_EQ(loaded.opset("com.microsoft"), 0);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(ModelIo, ExternalDataRoundTrip) {
  ScratchDir dir;
  Model model = add_model(300);  // w: 1200 bytes, above the 1024-byte inline limit
  yoloq::SaveOptions options;
  options.external_data_threshold = 100;  // the model is larger, so external data is used
  yoloq::save_model(model, dir / "m.onnx", options);
  ASSERT_TRUE(fs::exists(dir / "m.onnx.data"));
  EXPECT_EQ(fs::file_size(dir / "m.onnx.data"), 1200u);

  onnx::ModelProto on_disk;
  ASSERT_TRUE(on_disk.ParseFromString(slurp(dir / "m.onnx")));
  const auto& w = on_disk.graph().initializer(0);
  EXPECT_EQ(w.data_location(), onnx::TensorProto::EXTERNAL);
  EXPECT_FALSE(w.has_raw_data());
  ASSERT_EQ(w.external_data_size(), 3);
  EXPECT_EQ(w.external_data(0).value(), "m.onnx.data");
  EXPECT_EQ(w.external_data(1).value(), "0");
  EXPECT_EQ(w.external_data(2).value(), "1200");

  Model loaded = yoloq::load_model(dir / "m.onnx");
  EXPECT_TRUE(same_proto(loaded.proto, model.proto));
  EXPECT_EQ(yoloq::to_tensor(loaded.graph().initializer(0)).values<float>()[299], 149.5f);
}

TEST(ModelIo, ExternalDataIsAlignedAndSmallWeightsStayInline) {
  ScratchDir dir;
  Model model = add_model(300);
  auto big = yoloq::to_tensor(model.graph().initializer(0));
  big.shape = {100, 3};
  *model.graph().add_initializer() = yoloq::to_proto(big, "second");
  *model.graph().add_initializer() = yoloq::to_proto(yoloq::Tensor(yoloq::DType::Int64, {2}), "small");
  yoloq::SaveOptions options;
  options.external_data = true;
  yoloq::save_model(model, dir / "m.onnx", options);
  EXPECT_EQ(fs::file_size(dir / "m.onnx.data"), 1216u + 1200u);  // second array starts at 1216 = 19 * 64

  onnx::ModelProto on_disk;
  ASSERT_TRUE(on_disk.ParseFromString(slurp(dir / "m.onnx")));
  EXPECT_EQ(on_disk.graph().initializer(1).external_data(1).value(), "1216");
  EXPECT_EQ(on_disk.graph().initializer(2).data_location(), onnx::TensorProto::DEFAULT);
  EXPECT_EQ(on_disk.graph().initializer(2).raw_data().size(), 16u);
  EXPECT_TRUE(same_proto(yoloq::load_model(dir / "m.onnx").proto, model.proto));
}

TEST(ModelIo, NoDataFileWhenNothingIsLargeEnough) {
  ScratchDir dir;
  yoloq::SaveOptions options;
  options.external_data = true;
  yoloq::save_model(add_model(8), dir / "m.onnx", options);
  EXPECT_TRUE(fs::exists(dir / "m.onnx"));
  EXPECT_FALSE(fs::exists(dir / "m.onnx.data"));
}

TEST(ModelIo, SaveToAMissingFolderWritesNothing) {
  ScratchDir dir;
  try {
    yoloq::save_model(add_model(8), dir / "no" / "m.onnx");
    FAIL();
  } catch (const yoloq::Error& e) {
    EXPECT_EQ(std::string(e.what()),
              (dir / "no" / "m.onnx").string() + ": output folder " + (dir / "no").string() + " does not exist");
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(ModelIo, RejectsMissingPathDirectoryEmptyFileAndRandomBytes) {
  ScratchDir dir;
  std::string p = (dir / "m.onnx").string();
  EXPECT_EQ(load_error(dir / "m.onnx"), p + ": no such file");
  EXPECT_EQ(load_error(dir.path()), dir.path().string() + ": is a directory, expected a file");
  spit(dir / "m.onnx", "");
  EXPECT_EQ(load_error(dir / "m.onnx"), p + ": empty file, expected an ONNX model");
  std::mt19937 random(2024);
  std::string noise(4096, '\0');
  for (auto& c : noise) c = static_cast<char>(random());
  spit(dir / "m.onnx", noise);
  EXPECT_EQ(load_error(dir / "m.onnx"), p + ": not a valid ONNX model (protobuf parse failed)");
  // Valid protobuf, but no graph.
  onnx::ModelProto empty;
  empty.set_producer_name("nothing");
  spit(dir / "m.onnx", empty.SerializeAsString());
  EXPECT_EQ(load_error(dir / "m.onnx"), p + ": not an ONNX model (no graph or IR version)");
}

TEST(ModelIo, RejectsModelsThatAreStructurallyBroken) {
  ScratchDir dir;
  std::string p = (dir / "m.onnx").string();
  Model no_opset = add_model(4);
  no_opset.proto.clear_opset_import();
  spit(dir / "m.onnx", no_opset.proto.SerializeAsString());
  EXPECT_EQ(load_error(dir / "m.onnx"), p + ": the model imports no ai.onnx opset");

  Model dangling = add_model(4);
  dangling.graph().mutable_initializer()->Clear();
  spit(dir / "m.onnx", dangling.proto.SerializeAsString());
  EXPECT_EQ(load_error(dir / "m.onnx"),
            p + ": node 'add' (Add) reads tensor 'w' that nothing produces (truncated or invalid model?)");

  yoloq::GraphBuilder twice(add_model(4));
  twice.node("Relu", "again", {"x"}, {"y"});
  spit(dir / "m.onnx", twice.model().proto.SerializeAsString());
  EXPECT_EQ(load_error(dir / "m.onnx"), p + ": tensor 'y' is produced by two nodes, 'add' and 'again'");

  Model cycle = add_model(4);
  cycle.graph().mutable_node(0)->set_input(1, "y");
  spit(dir / "m.onnx", cycle.proto.SerializeAsString());
  EXPECT_EQ(load_error(dir / "m.onnx"),
            p + ": the graph has a cycle: 1 of 1 nodes cannot be ordered, the first is 'add' (Add)");
}

TEST(ModelIo, RejectsMissingExternalData) {
  ScratchDir dir;
  yoloq::SaveOptions options;
  options.external_data = true;
  yoloq::save_model(add_model(300), dir / "m.onnx", options);
  fs::remove(dir / "m.onnx.data");
  EXPECT_EQ(load_error(dir / "m.onnx"),
            (dir / "m.onnx").string() + ": initializer 'w': external data file 'm.onnx.data' is missing");
}

TEST(ModelIo, RejectsExternalDataOutsideTheModelFolder) {
  ScratchDir dir;
  fs::create_directories(dir / "model");
  spit(dir / "outside.data", std::string(1200, 'a'));
  std::string p = (dir / "model" / "m.onnx").string();

  write_model_with_external_weight(dir / "model" / "m.onnx", "../outside.data");
  EXPECT_EQ(load_error(dir / "model" / "m.onnx"),
            p + ": initializer 'w': external data location '../outside.data' leaves the model's folder");

  write_model_with_external_weight(dir / "model" / "m.onnx", "sub/../../outside.data");
  EXPECT_EQ(load_error(dir / "model" / "m.onnx"),
            p + ": initializer 'w': external data location 'sub/../../outside.data' leaves the model's folder");

  std::string absolute = (dir / "outside.data").string();
  write_model_with_external_weight(dir / "model" / "m.onnx", absolute);
  EXPECT_EQ(load_error(dir / "model" / "m.onnx"),
            p + ": initializer 'w': external data location '" + absolute +
                "' is absolute; only files in the model's folder are read");

  fs::create_symlink(dir / "outside.data", dir / "model" / "w.data");
  write_model_with_external_weight(dir / "model" / "m.onnx", "w.data");
  EXPECT_EQ(load_error(dir / "model" / "m.onnx"),
            p + ": initializer 'w': external data file 'w.data' resolves outside the model's folder");

  // A symlink that stays inside the folder is fine.
  spit(dir / "model" / "real.data", std::string(1200, '\0'));
  fs::create_symlink("real.data", dir / "model" / "inside.data");
  write_model_with_external_weight(dir / "model" / "m.onnx", "inside.data");
  EXPECT_EQ(load_error(dir / "model" / "m.onnx"), "(no error)");

  write_model_with_external_weight(dir / "model" / "m.onnx", "");
  EXPECT_EQ(load_error(dir / "model" / "m.onnx"), p + ": initializer 'w': external data has an empty location");

  fs::create_directories(dir / "model" / "folder.data");
  write_model_with_external_weight(dir / "model" / "m.onnx", "folder.data");
  EXPECT_EQ(load_error(dir / "model" / "m.onnx"),
            p + ": initializer 'w': external data location 'folder.data' is not a regular file");
}

TEST(ModelIo, RejectsExternalDataRangesPastTheEnd) {
  ScratchDir dir;
  spit(dir / "w.data", std::string(1200, '\0'));
  std::string p = (dir / "m.onnx").string();
  auto with_range = [&](const std::string& offset, const std::string& length) {
    write_model_with_external_weight(dir / "m.onnx", "w.data");
    Model model;
    model.proto.ParseFromString(slurp(dir / "m.onnx"));
    auto& w = *model.graph().mutable_initializer(0);
    auto add = [&](const char* k, const std::string& v) {
      auto* e = w.add_external_data();
      e->set_key(k);
      e->set_value(v);
    };
    add("offset", offset);
    add("length", length);
    spit(dir / "m.onnx", model.proto.SerializeAsString());
    return load_error(dir / "m.onnx");
  };
  EXPECT_EQ(with_range("0", "1200"), "(no error)");
  EXPECT_EQ(with_range("64", "1200"),
            p + ": initializer 'w': external data [64, +1200) runs past the end of 'w.data' (1200 bytes)");
  EXPECT_EQ(with_range("18446744073709551615", "1"),
            p + ": initializer 'w': external data [18446744073709551615, +1) runs past the end of 'w.data' (1200 bytes)");
  EXPECT_EQ(with_range("-1", "4"), p + ": initializer 'w' offset is not a valid number: '-1'");
  EXPECT_EQ(with_range("0", "99999999999999999999"),
            p + ": initializer 'w' length is not a valid number: '99999999999999999999'");
  EXPECT_EQ(with_range("0", "16"), p + ": initializer 'w' has 16 bytes, its shape 300 needs 1200");
}

TEST(ModelIo, RealDataLoadsTheYoloModel) {
  Model model = yoloq::load_model(yoloq::testing::real_model_path());
  yoloq::GraphIndex index(model.graph());
  EXPECT_EQ(index.node_count(), 320u);
  EXPECT_EQ(index.op_histogram().at("Conv"), 88u);
  EXPECT_EQ(model.opset(), 19);
  EXPECT_EQ(index.topological_order().size(), 320u);
}

TEST(ModelIo, RealDataRejectsTruncatedModels) {
  ScratchDir dir;
  const std::string bytes = slurp(yoloq::testing::real_model_path());
  ASSERT_EQ(bytes.size(), 10703426u);
  const std::string name = (dir / "cut.onnx").string();
  // The first two bytes are the whole IR version field: what is left parses, but has no graph.
  spit(dir / "cut.onnx", bytes.substr(0, 2));
  EXPECT_EQ(load_error(dir / "cut.onnx"), name + ": not an ONNX model (no graph or IR version)");
  for (std::size_t length : {std::size_t{1}, std::size_t{17}, std::size_t{1000}, std::size_t{65536}, bytes.size() / 3,
                             bytes.size() / 2, bytes.size() - 4096, bytes.size() - 1}) {
    spit(dir / "cut.onnx", bytes.substr(0, length));
    EXPECT_EQ(load_error(dir / "cut.onnx"), name + ": not a valid ONNX model (protobuf parse failed)")
        << "length " << length;
  }
}
