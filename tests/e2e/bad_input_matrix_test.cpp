// Issue 7's bad-input matrix: every case runs the real CLI under a timeout and must end with the
// expected exit code and message, leave the output folder as it was and the inputs unchanged.
// Cases that must work are in the same table with exit code 0.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <sstream>
#include <opencv2/imgcodecs.hpp>

#include "e2e/cli_runner.hpp"
#include "yoloq/onnx/model.hpp"
#include "yoloq/synth/graph_builder.hpp"
#include "yoloq/tensor/npy.hpp"

namespace yoloq::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Generous: the ASan pass of .ci/run is several times slower than Release.
constexpr int kTimeoutSeconds = 240;

CliResult run_with_timeout(const std::vector<std::string>& args, const std::string& prefix = "") {
  return run_cli(args, prefix + "timeout -k 10 " + std::to_string(kTimeoutSeconds) + " ");
}

std::map<std::string, std::string> folder_snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_symlink()) files[e.path().string()] = "-> " + fs::read_symlink(e.path()).string();
    else if (e.is_regular_file()) files[e.path().string()] = slurp(e.path());
    else files[e.path().string()] = "(dir)";
  }
  return files;
}

GraphBuilder conv_graph(std::int64_t opset = 13) {
  GraphBuilder g(opset);
  g.input("x", {1, 3, 8, 8});
  auto a = g.conv_silu("c1", "x", 4, 3);
  g.conv("c2", a, "y", 2, 4);
  g.output("y", {1, 2, 8, 8});
  return g;
}

void set_dim_param(onnx::ValueInfoProto& v, int dim, const std::string& name) {
  auto* d = v.mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(dim);
  d->clear_dim_value();
  d->set_dim_param(name);
}

void make_external(Model& model, const std::string& initializer, const std::string& location) {
  for (auto& t : *model.graph().mutable_initializer()) {
    if (t.name() != initializer) continue;
    const auto length = t.raw_data().size();
    t.clear_raw_data();
    t.set_data_location(onnx::TensorProto::EXTERNAL);
    auto* l = t.add_external_data();
    l->set_key("location");
    l->set_value(location);
    auto* n = t.add_external_data();
    n->set_key("length");
    n->set_value(std::to_string(length));
  }
}

Tensor filled(std::vector<std::int64_t> shape, float value) {
  Tensor t(DType::Float32, std::move(shape));
  for (auto& v : t.values<float>()) v = value;
  return t;
}

struct Case {
  Case(std::string n, std::vector<std::string> a, int code, std::string m, std::string p = "")
      : name(std::move(n)), args(std::move(a)), exit_code(code), message(std::move(m)), prefix(std::move(p)) {}
  std::string name;
  std::vector<std::string> args;  // "{in}" and "{out}" become the input folder and the output model
  int exit_code;                  // 0: must work and write {out}
  std::string message;            // in the one error line, or (exit 0) on stdout or stderr
  std::string prefix;             // shell text before the CLI (e.g. a ulimit)
};

class BadInputMatrix : public ::testing::Test {
 protected:
  void SetUp() override { build_inputs(); }

  // Every input of the table, built once per test in the scratch folder `in_`; the outputs go
  // to `out_`, which must be empty after every failing case.
  void build_inputs() {
    auto model = conv_graph();
    save_model(model.model(), in_ / "small.onnx");
    const std::string bytes = slurp(in_ / "small.onnx");
    spit(in_ / "text.onnx", "this is not an ONNX model, just text\n");
    spit(in_ / "empty.onnx", "");
    for (double f : {0.1, 0.5, 0.9}) {
      auto cut = static_cast<std::size_t>(static_cast<double>(bytes.size()) * f);
      spit(in_ / ("truncated" + std::to_string(static_cast<int>(f * 100)) + ".onnx"), bytes.substr(0, cut));
    }
    spit(in_ / "truncated_last_byte.onnx", bytes.substr(0, bytes.size() - 1));
    // Field 7 (graph), length-delimited, declaring 1 GB, followed by 3 bytes.
    spit(in_ / "length_past_eof.onnx", std::string("\x08\x07\x3a\x80\x80\x80\x80\x04\x0a\x01\x78", 11));

    // External data: a weight moved to a file named by a hostile or missing location.
    fs::create_directories(in_ / "ext");
    fs::create_directories(in_ / "outside");
    spit(in_ / "outside" / "w.bin", std::string(4 * 3 * 4, '\0'));
    fs::create_symlink("../outside/w.bin", in_ / "ext" / "link.bin");
    spit(in_ / "ext" / "ok.bin", std::string(4 * 3 * 4, '\0'));
    for (auto [file, location] : std::vector<std::pair<std::string, std::string>>{
             {"dotdot.onnx", "../outside/w.bin"},
             {"absolute.onnx", (in_ / "outside" / "w.bin").string()},
             {"symlink.onnx", "link.bin"},
             {"missing.onnx", "nothere.bin"},
             {"ok.onnx", "ok.bin"}}) {
      auto g = conv_graph();
      make_external(g.model(), "c1/conv.weight", location);
      save_model(g.model(), in_ / "ext" / file);
    }

    {  // no graph inputs: a Constant feeds the convolution
      GraphBuilder g(13);
      g.node("Constant", "const", {}, {"x"}, {{"value", filled({1, 3, 8, 8}, 0.5f)}});
      g.conv("c1", "x", "y", 2, 3);
      g.output("y", {1, 2, 8, 8});
      save_model(g.model(), in_ / "no_inputs.onnx");
    }
    {  // dynamic batch
      auto g = conv_graph();
      set_dim_param(*g.model().graph().mutable_input(0), 0, "batch");
      set_dim_param(*g.model().graph().mutable_output(0), 0, "batch");
      save_model(g.model(), in_ / "dyn_batch.onnx");
    }
    {  // dynamic batch, height and width
      auto g = conv_graph();
      for (int d : {0, 2, 3}) {
        set_dim_param(*g.model().graph().mutable_input(0), d, "d" + std::to_string(d));
        set_dim_param(*g.model().graph().mutable_output(0), d, "d" + std::to_string(d));
      }
      save_model(g.model(), in_ / "dyn_spatial.onnx");
    }
    {  // two inputs, added, then a convolution
      GraphBuilder g(13);
      g.input("a", {1, 3, 8, 8});
      g.input("b", {1, 3, 8, 8});
      g.node("Add", "add", {"a", "b"}, {"sum"});
      g.conv("c1", "sum", "y", 2, 3);
      g.output("y", {1, 2, 8, 8});
      save_model(g.model(), in_ / "two_inputs.onnx");
      write_npz(in_ / "two_inputs.npz", {{"a", filled({4, 3, 8, 8}, 0.25f)}, {"b", filled({4, 3, 8, 8}, 0.5f)}});
      write_npz(in_ / "two_inputs_missing_b.npz", {{"a", filled({4, 3, 8, 8}, 0.25f)}});
      for (int i : {0, 1})
        for (int d : {2, 3}) set_dim_param(*g.model().graph().mutable_input(i), d, d == 2 ? "h" : "w");
      for (int d : {2, 3}) set_dim_param(*g.model().graph().mutable_output(0), d, d == 2 ? "h" : "w");
      save_model(g.model(), in_ / "two_inputs_dynamic.onnx");
    }
    {  // 150 KB of weights, for the file size limit
      GraphBuilder g(13);
      g.input("x", {1, 3, 8, 8});
      g.conv("c1", "x", "h", 64, 3);
      g.conv("c2", "h", "y", 64, 64, 3);
      g.output("y", {1, 64, 8, 8});
      save_model(g.model(), in_ / "big.onnx");
    }
    {
      auto g = conv_graph(9);
      save_model(g.model(), in_ / "opset9.onnx");
    }
    {  // a node name that is not UTF-8 (found by fuzzing: inspect --json threw from the JSON writer)
      auto g = conv_graph();
      g.model().graph().mutable_node(0)->set_name("conv\xaa");
      save_model(g.model(), in_ / "non_utf8.onnx");
    }
    {  // an opset domain that is not UTF-8 (found by fuzzing after the names were checked)
      auto g = conv_graph();
      g.model().proto.mutable_opset_import(0)->set_domain("ai\xc3(");
      save_model(g.model(), in_ / "non_utf8_domain.onnx");
    }
    {  // an op no ONNX Runtime kernel implements
      auto g = conv_graph();
      g.model().graph().mutable_output(0)->set_name("z");
      g.node("NoSuchOpForYoloq", "bad", {"y"}, {"z"});
      save_model(g.model(), in_ / "unknown_op.onnx");
    }

    write_npy(in_ / "good.npy", filled({4, 3, 8, 8}, 0.5f));
    write_npy(in_ / "wrong_shape.npy", filled({4, 3, 16, 16}, 0.5f));
    write_npy(in_ / "four_channels.npy", filled({4, 4, 8, 8}, 0.5f));
    write_npy(in_ / "wrong_dtype.npy", Tensor(DType::Int32, {4, 3, 8, 8}));
    auto nan = filled({4, 3, 8, 8}, 0.5f);
    nan.values<float>()[7] = std::numeric_limits<float>::quiet_NaN();
    write_npy(in_ / "nan.npy", nan);
    auto inf = filled({4, 3, 8, 8}, 0.5f);
    inf.values<float>()[7] = std::numeric_limits<float>::infinity();
    write_npy(in_ / "inf.npy", inf);
    write_npy(in_ / "zeros.npy", filled({4, 3, 8, 8}, 0.0f));
    ASSERT_EQ(::mkfifo((in_ / "fifo.npy").c_str(), 0600), 0);

    // Image folders: one good image beside damaged ones, and one with nothing decodable.
    cv::Mat image(8, 8, CV_8UC3, cv::Scalar(40, 80, 120));
    fs::create_directories(in_ / "mixed_images");
    fs::create_directories(in_ / "bad_images");
    cv::imwrite((in_ / "mixed_images" / "good.png").string(), image);
    for (auto* dir : {"mixed_images", "bad_images"}) {
      spit(in_ / dir / "corrupt.jpg", "\xff\xd8\xff\xe0 garbage garbage garbage");
      spit(in_ / dir / "empty.png", "");
      spit(in_ / dir / "notes.jpg", "just text, named like an image\n");
      spit(in_ / dir / "readme.txt", "not an image\n");
    }
  }

  void run_case(const Case& c) {
    SCOPED_TRACE(c.name);
    auto replace = [&](std::string s) {
      for (auto [key, value] : {std::pair<std::string, std::string>{"{in}", in_.path().string()},
                                {"{out}", (out_ / "out.onnx").string()}}) {
        for (std::size_t at; (at = s.find(key)) != std::string::npos;) s.replace(at, key.size(), value);
      }
      return s;
    };
    std::vector<std::string> args;
    for (const auto& a : c.args) args.push_back(replace(a));
    const auto inputs_before = folder_snapshot(in_.path());
    const auto r = run_with_timeout(args, c.prefix);
    EXPECT_NE(r.exit_code, 124) << "timed out after " << kTimeoutSeconds << " s";
    EXPECT_LT(r.exit_code, 128) << "crashed: " << r.err;
    EXPECT_EQ(folder_snapshot(in_.path()), inputs_before) << "an input changed";
    if (c.exit_code == 0) {
      EXPECT_EQ(r.exit_code, 0) << r.err;
      EXPECT_TRUE(fs::exists(out_ / "out.onnx"));
      EXPECT_THAT(r.out + r.err, HasSubstr(replace(c.message)));
    } else {
      EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
      // One error line, last; before it only warnings (random calibration data always warns).
      std::vector<std::string> lines;
      std::stringstream ss(r.err);
      for (std::string line; std::getline(ss, line);) lines.push_back(line);
      ASSERT_FALSE(lines.empty());
      for (std::size_t i = 0; i + 1 < lines.size(); ++i) EXPECT_THAT(lines[i], StartsWith("yoloq: warning: ")) << r.err;
      EXPECT_THAT(lines.back(), StartsWith("yoloq: error: "));
      EXPECT_THAT(lines.back(), HasSubstr(replace(c.message)));
      EXPECT_TRUE(fs::is_empty(out_.path())) << "the failed run left a file in the output folder";
    }
    for (const auto& e : fs::directory_iterator(out_.path())) fs::remove_all(e.path());
  }

  ScratchDir in_{"matrix-in"}, out_{"matrix-out"};
};

std::vector<std::string> quantize(const std::string& model, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"quantize", "--onnx_path", "{in}/" + model, "--output_path", "{out}", "--quiet"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST_F(BadInputMatrix, ModelFiles) {
  const std::vector<Case> cases{
      {"not ONNX", quantize("text.onnx"), 1, "{in}/text.onnx: not"},
      {"zero bytes", quantize("empty.onnx"), 1, "{in}/empty.onnx: empty file, expected an ONNX model"},
      {"truncated at 10%", quantize("truncated10.onnx"), 1, "{in}/truncated10.onnx"},
      {"truncated at 50%", quantize("truncated50.onnx"), 1, "{in}/truncated50.onnx"},
      {"truncated at 90%", quantize("truncated90.onnx"), 1, "{in}/truncated90.onnx"},
      {"truncated by one byte", quantize("truncated_last_byte.onnx"), 1, "{in}/truncated_last_byte.onnx"},
      {"length past EOF", quantize("length_past_eof.onnx"), 1, "not a valid ONNX model (protobuf parse failed)"},
      {"inspect length past EOF", {"inspect", "{in}/length_past_eof.onnx"}, 1, "protobuf parse failed"},
      {"external ../", quantize("ext/dotdot.onnx"), 1, "external data location '../outside/w.bin' leaves the model's folder"},
      {"external absolute", quantize("ext/absolute.onnx"), 1, "is absolute; only files in the model's folder are read"},
      {"external symlink out", quantize("ext/symlink.onnx"), 1, "external data file 'link.bin' resolves outside the model's folder"},
      {"inspect external symlink out", {"inspect", "{in}/ext/symlink.onnx"}, 1, "resolves outside the model's folder"},
      {"external missing", quantize("ext/missing.onnx"), 1, "external data file 'nothere.bin' is missing"},
      {"external inside works", quantize("ext/ok.onnx", {"--no_verify"}), 0, "wrote {out}"},
      {"no inputs", quantize("no_inputs.onnx"), 1, "the model has no inputs to feed"},
      {"opset 9", quantize("opset9.onnx"), 1, "{in}/opset9.onnx: opset 9 is older than 10"},
      {"plan opset 9", {"plan", "{in}/opset9.onnx"}, 1, "opset 9 is older than 10"},
      {"non-UTF-8 name, inspect --json", {"inspect", "--json", "{in}/non_utf8.onnx"}, 1,
       "{in}/non_utf8.onnx: graph.node[0].name is not valid UTF-8 (ONNX strings must be)"},
      {"non-UTF-8 opset domain, inspect --json", {"inspect", "--json", "{in}/non_utf8_domain.onnx"}, 1,
       "{in}/non_utf8_domain.onnx: opset_import[0].domain is not valid UTF-8 (ONNX strings must be)"},
      {"op ORT cannot load", quantize("unknown_op.onnx"), 1, "NoSuchOpForYoloq"},
      {"head preset, no head", quantize("small.onnx", {"--yolo_head", "float-dfl"}), 1,
       "--yolo_head float-dfl: no YOLO head found in the model (looked for a DFL"},
      {"output is input", {"quantize", "--onnx_path", "{in}/small.onnx", "--output_path", "{in}/./small.onnx"}, 1,
       "the output path is the input model"},
  };
  for (const auto& c : cases) run_case(c);
}

TEST_F(BadInputMatrix, ShapesAndInputs) {
  const std::vector<Case> cases{
      {"dynamic batch, default 1", quantize("dyn_batch.onnx"), 0, "structure: loads in ONNX Runtime"},
      {"dynamic batch with shapes", quantize("dyn_batch.onnx", {"--calibration_shapes", "x:2x3x8x8"}), 0,
       "structure: loads in ONNX Runtime"},
      {"dynamic batch with npy", quantize("dyn_batch.onnx", {"--calibration_data_path", "{in}/good.npy"}), 0,
       "structure: loads in ONNX Runtime"},
      {"dynamic spatial without shapes", quantize("dyn_spatial.onnx"), 1,
       "give one with --calibration_shapes x:BxCxHxW"},
      {"dynamic spatial with shapes", quantize("dyn_spatial.onnx", {"--calibration_shapes", "x:1x3x16x16"}), 0,
       "structure: loads in ONNX Runtime"},
      // Tensor data sizes the dynamic dimensions itself (8x8 here, 16x16 below); the fixed ones
      // (3 channels) still have to match.
      {"dynamic spatial with npy, no shapes", quantize("dyn_spatial.onnx", {"--calibration_data_path", "{in}/good.npy"}),
       0, "structure: loads in ONNX Runtime"},
      {"dynamic spatial with a 16x16 npy", quantize("dyn_spatial.onnx", {"--calibration_data_path", "{in}/wrong_shape.npy"}),
       0, "structure: loads in ONNX Runtime"},
      {"dynamic spatial, 4 channels", quantize("dyn_spatial.onnx", {"--calibration_data_path", "{in}/four_channels.npy"}),
       1, "{in}/four_channels.npy: shape 4x4x8x8 does not match the model input 'x' (expected Nx3x*x*)"},
      {"dynamic spatial with npy and shapes",
       quantize("dyn_spatial.onnx", {"--calibration_data_path", "{in}/good.npy", "--calibration_shapes", "x:1x3x8x8"}), 0,
       "structure: loads in ONNX Runtime"},
      {"shape against fixed dims", quantize("small.onnx", {"--calibration_shapes", "x:1x3x16x16"}), 1,
       "--calibration_shapes: input 'x' is 1x3x8x8 in the model, got 1x3x16x16"},
      {"two inputs, random", quantize("two_inputs.onnx"), 0, "structure: loads in ONNX Runtime"},
      {"two inputs, npz", quantize("two_inputs.onnx", {"--calibration_data_path", "{in}/two_inputs.npz"}), 0,
       "structure: loads in ONNX Runtime"},
      // Verified on random inputs (two inputs): they take the calibration shapes too.
      {"two dynamic inputs with shapes",
       quantize("two_inputs_dynamic.onnx", {"--calibration_shapes", "a:1x3x16x16,b:1x3x16x16"}), 0,
       "structure: loads in ONNX Runtime"},
      {"two inputs, npz without b", quantize("two_inputs.onnx", {"--calibration_data_path", "{in}/two_inputs_missing_b.npz"}),
       1, "no array for the model input 'b'"},
      {"two inputs, npy", quantize("two_inputs.onnx", {"--calibration_data_path", "{in}/good.npy"}), 1,
       "a .npy file feeds a single-input model"},
  };
  for (const auto& c : cases) run_case(c);
}

TEST_F(BadInputMatrix, CalibrationData) {
  const std::vector<Case> cases{
      {"npy wrong shape", quantize("small.onnx", {"--calibration_data_path", "{in}/wrong_shape.npy"}), 1,
       "{in}/wrong_shape.npy: shape 4x3x16x16 does not match the model input 'x'"},
      {"npy wrong dtype", quantize("small.onnx", {"--calibration_data_path", "{in}/wrong_dtype.npy"}), 1,
       "calibration data must be little-endian float32 ('<f4'), got '<i4'"},
      {"npy NaN", quantize("small.onnx", {"--calibration_data_path", "{in}/nan.npy"}), 1, "{in}/nan.npy"},
      {"npy Inf", quantize("small.onnx", {"--calibration_data_path", "{in}/inf.npy"}), 1, "{in}/inf.npy"},
      {"npy all zeros", quantize("small.onnx", {"--calibration_data_path", "{in}/zeros.npy"}), 0, "wrote {out}"},
      {"npy is a FIFO", quantize("small.onnx", {"--calibration_data_path", "{in}/fifo.npy"}), 1,
       "{in}/fifo.npy: is not a regular file or a folder"},
      {"plan is a FIFO", quantize("small.onnx", {"--plan", "{in}/fifo.npy"}), 1, "{in}/fifo.npy: is not a regular file"},
      {"model is a FIFO", {"inspect", "{in}/fifo.npy"}, 1, "{in}/fifo.npy: is not a regular file"},
      {"model as calibration data", quantize("small.onnx", {"--calibration_data_path", "{in}/small.onnx"}), 1,
       "{in}/small.onnx"},
      {"images: damaged ones skipped", quantize("small.onnx", {"--calibration_data_path", "{in}/mixed_images"}), 0,
       "wrote {out}"},
      {"images: none decodes", quantize("small.onnx", {"--calibration_data_path", "{in}/bad_images"}), 1,
       "{in}/bad_images"},
  };
  for (const auto& c : cases) run_case(c);
}

TEST_F(BadInputMatrix, Outputs) {
  const std::vector<Case> cases{
      {"folder missing", {"quantize", "--onnx_path", "{in}/small.onnx", "--output_path", "{in}/nope/o.onnx"}, 1,
       "output folder {in}/nope does not exist"},
      {"unwritable folder", {"quantize", "--onnx_path", "{in}/small.onnx", "--output_path", "/proc/yoloq.onnx"}, 1,
       "/proc/yoloq.onnx: output folder /proc is not writable"},
      {"/dev/full", {"quantize", "--onnx_path", "{in}/small.onnx", "--output_path", "/dev/full"}, 1,
       "/dev/full: output path exists and is not a regular file"},
      // A 4 KB file size limit (dash counts 512-byte blocks): the write fails half way, like a full disk.
      {"disk full mid-write", quantize("big.onnx", {"--no_verify"}), 1, "write failed (disk full?)", "ulimit -f 8; "},
      {"calib-data to /dev/full", {"calib-data", "{in}/mixed_images", "-o", "/dev/full", "--imgsz", "8"}, 1,
       "/dev/full: output path exists and is not a regular file"},
  };
  for (const auto& c : cases) run_case(c);
  EXPECT_TRUE(fs::is_character_file("/dev/full"));
  for (const auto& e : fs::directory_iterator("/dev"))
    EXPECT_THAT(e.path().filename().string(), ::testing::Not(StartsWith("full.tmp"))) << "a temporary file was left in /dev";
}

// Running as root, access(2) says every folder is writable; an ordinary user gets the message.
TEST_F(BadInputMatrix, ReadOnlyFolderForOrdinaryUsers) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes into read-only folders";
  fs::permissions(out_.path(), fs::perms::owner_read | fs::perms::owner_exec);
  auto r = run_with_timeout({"quantize", "--onnx_path", (in_ / "small.onnx").string(), "--output_path",
                             (out_ / "o.onnx").string(), "--quiet"});
  fs::permissions(out_.path(), fs::perms::owner_all);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("is not writable"));
}

}  // namespace
}  // namespace yoloq::testing
