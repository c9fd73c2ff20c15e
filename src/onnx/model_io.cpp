// Reading and writing model files, with external data confined to the model's folder.
#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <set>
#include <vector>

#include <google/protobuf/message.h>

#include "yoloq/onnx/model.hpp"
#include "yoloq/support/error.hpp"
#include "yoloq/support/file_io.hpp"

namespace fs = std::filesystem;

namespace yoloq {

namespace {


std::map<std::string, std::string> external_fields(const onnx::TensorProto& t) {
  std::map<std::string, std::string> kv;
  for (const auto& e : t.external_data()) kv[e.key()] = e.value();
  return kv;
}

std::uint64_t parse_u64(const std::string& text, const std::string& what) {
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size())
    throw Error(what + " is not a valid number: '" + text + "'");
  return value;
}

// Resolves an external data location so that it cannot name a file outside the model's folder:
// no absolute paths, no "..", and no symlink whose target leaves the folder.
fs::path confined_location(const fs::path& model_dir, const std::string& location, const std::string& what) {
  fs::path rel(location);
  if (location.empty()) throw Error(what + ": external data has an empty location");
  if (rel.is_absolute()) throw Error(what + ": external data location '" + location + "' is absolute; only files in the model's folder are read");
  for (const auto& part : rel)
    if (part == "..") throw Error(what + ": external data location '" + location + "' leaves the model's folder");
  fs::path full = model_dir / rel;
  std::error_code ec;
  if (!fs::exists(full, ec)) throw Error(what + ": external data file '" + location + "' is missing");
  std::error_code dir_ec;
  fs::path real = fs::canonical(full, ec);
  fs::path real_dir = fs::canonical(model_dir.empty() ? fs::path(".") : model_dir, dir_ec);
  if (ec || dir_ec) throw Error(what + ": cannot resolve external data file '" + location + "'");
  auto mismatch = std::mismatch(real_dir.begin(), real_dir.end(), real.begin(), real.end());
  if (mismatch.first != real_dir.end())
    throw Error(what + ": external data file '" + location + "' resolves outside the model's folder");
  if (!fs::is_regular_file(real)) throw Error(what + ": external data location '" + location + "' is not a regular file");
  return real;
}

void read_external_data(onnx::GraphProto& graph, const fs::path& model_dir, const std::string& what) {
  std::map<fs::path, std::uint64_t> file_sizes;
  for (auto& t : *graph.mutable_initializer()) {
    if (t.data_location() != onnx::TensorProto::EXTERNAL) continue;
    auto kv = external_fields(t);
    std::string where = what + ": initializer '" + t.name() + "'";
    fs::path file = confined_location(model_dir, kv["location"], where);
    std::uint64_t offset = kv.count("offset") ? parse_u64(kv["offset"], where + " offset") : 0;
    if (!file_sizes.count(file)) file_sizes[file] = fs::file_size(file);
    std::uint64_t size = file_sizes[file];
    std::uint64_t length = kv.count("length") ? parse_u64(kv["length"], where + " length") : size - std::min(offset, size);
    if (offset > size || length > size - offset)
      throw Error(where + ": external data [" + std::to_string(offset) + ", +" + std::to_string(length) +
                  ") runs past the end of '" + kv["location"] + "' (" + std::to_string(size) + " bytes)");
    std::string bytes(length, '\0');
    std::ifstream in(file, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(bytes.data(), static_cast<std::streamsize>(length));
    if (!in) throw Error(where + ": cannot read external data from '" + kv["location"] + "'");
    t.set_raw_data(std::move(bytes));
    t.clear_external_data();
    t.clear_data_location();  // as if the weight had always been inline
  }
}

// Bytes per element of the types whose raw_data has a fixed size; 0 for the others.
std::size_t fixed_element_size(std::int32_t elem_type) {
  switch (elem_type) {
    case onnx::TensorProto::BOOL:
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8: return 1;
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16:
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::UINT16: return 2;
    case onnx::TensorProto::FLOAT:
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::UINT32: return 4;
    case onnx::TensorProto::DOUBLE:
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::UINT64: return 8;
    default: return 0;
  }
}

// A weight whose byte count disagrees with its shape is what a damaged file or a bad external
// data range produces; catching it here keeps every later stage from reading garbage.
void check_initializer_size(const onnx::TensorProto& t, const std::string& what) {
  std::size_t element = fixed_element_size(t.data_type());
  if (!t.has_raw_data() || element == 0) return;
  std::uint64_t needed = element;
  for (auto d : t.dims())
    if (d < 0 || __builtin_mul_overflow(needed, static_cast<std::uint64_t>(d), &needed))
      throw Error(what + ": initializer '" + t.name() + "' has an invalid shape");
  if (t.raw_data().size() != needed)
    throw Error(what + ": initializer '" + t.name() + "' has " + std::to_string(t.raw_data().size()) +
                " bytes, its shape " + shape_string({t.dims().begin(), t.dims().end()}) + " needs " +
                std::to_string(needed));
}

// The definition nlohmann's JSON writer applies: no overlong forms, no surrogates, <= U+10FFFF.
bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    if (c < 0x80) extra = 0;
    else if (c >= 0xc2 && c <= 0xdf) extra = 1;
    else if (c >= 0xe0 && c <= 0xef) extra = 2;
    else if (c >= 0xf0 && c <= 0xf4) extra = 3;
    else return false;
    if (extra > s.size() - i - 1) return false;
    for (std::size_t k = 1; k <= extra; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    if (extra >= 2) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f) || (c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 > 0x8f))
        return false;
    }
    i += extra + 1;
  }
  return true;
}

// Where a field sits in the model, as a user reads it: "graph.node[3].name".
std::string field_path(const std::string& parent, const std::string& field, int index) {
  std::string path = parent.empty() ? field : parent + "." + field;
  return index < 0 ? path : path + "[" + std::to_string(index) + "]";
}

// ONNX strings are UTF-8. Names, op types, opset domains, symbolic dimensions and metadata end
// up in JSON (inspect --json, plans, caches, reports), whose writer throws on anything else, so a
// model that breaks the rule is refused here, once, naming the field. Every string field is
// walked by reflection rather than by a list, because fuzzing found each field a list forgot
// (a node name, then an opset domain). Bytes fields (raw_data, string tensors) are not text.
void check_strings(const google::protobuf::Message& message, const std::string& path, const std::string& what) {
  using google::protobuf::FieldDescriptor;
  const auto* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const auto* field : fields) {
    const bool text = field->type() == FieldDescriptor::TYPE_STRING;
    const bool nested = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    if (!text && !nested) continue;
    const int count = field->is_repeated() ? reflection->FieldSize(message, field) : 1;
    for (int i = 0; i < count; ++i) {
      const int index = field->is_repeated() ? i : -1;
      const std::string where = field_path(path, field->name(), index);
      if (nested) {
        check_strings(index < 0 ? reflection->GetMessage(message, field)
                                : reflection->GetRepeatedMessage(message, field, i),
                      where, what);
      } else {
        std::string scratch;
        const std::string& value = index < 0 ? reflection->GetStringReference(message, field, &scratch)
                                             : reflection->GetRepeatedStringReference(message, field, i, &scratch);
        if (!valid_utf8(value)) throw Error(what + ": " + where + " is not valid UTF-8 (ONNX strings must be)");
      }
    }
  }
}

void check_structure(const Model& model, const std::string& what) {
  if (!model.proto.has_graph() || model.proto.ir_version() <= 0)
    throw Error(what + ": not an ONNX model (no graph or IR version)");
  check_strings(model.proto, "", what);
  if (model.opset() == 0) throw Error(what + ": the model imports no ai.onnx opset");
  if (model.graph().node_size() == 0) throw Error(what + ": the model's graph has no nodes");
  std::set<std::string> known;
  for (const auto& i : model.graph().input()) known.insert(i.name());
  for (const auto& i : model.graph().initializer()) {
    known.insert(i.name());
    check_initializer_size(i, what);
  }
  std::map<std::string, const onnx::NodeProto*> producers;
  for (const auto& n : model.graph().node())
    for (const auto& o : n.output()) {
      if (o.empty()) continue;
      auto [it, added] = producers.emplace(o, &n);
      if (!added)
        throw Error(what + ": tensor '" + o + "' is produced by two nodes, '" + it->second->name() + "' and '" +
                    n.name() + "'");
      known.insert(o);
    }
  for (const auto& n : model.graph().node())
    for (const auto& i : n.input())
      if (!i.empty() && !known.count(i))
        throw Error(what + ": node '" + n.name() + "' (" + n.op_type() + ") reads tensor '" + i +
                    "' that nothing produces (truncated or invalid model?)");
  for (const auto& o : model.graph().output())
    if (!known.count(o.name())) throw Error(what + ": graph output '" + o.name() + "' is not produced by any node");
  try {
    GraphIndex index(model.graph());  // throws on a cycle
  } catch (const Error& e) {
    throw Error(what + ": " + e.what());
  }
}

Model parse_bytes(const std::string& bytes, const std::string& what) {
  if (bytes.empty()) throw Error(what + ": empty file, expected an ONNX model");
  Model model;
  if (!model.proto.ParseFromString(bytes)) throw Error(what + ": not a valid ONNX model (protobuf parse failed)");
  return model;
}

}  // namespace

std::int64_t Model::opset(const std::string& domain) const {
  for (const auto& o : proto.opset_import())
    if (o.domain() == domain || (domain.empty() && o.domain() == "ai.onnx")) return o.version();
  return 0;
}

Model parse_model(const std::string& bytes, const std::string& what) {
  Model model = parse_bytes(bytes, what);
  check_structure(model, what);
  return model;
}

Model load_model(const fs::path& path) {
  std::string what = path.string();
  Model model = parse_bytes(read_file(path), what);
  model.path = path;
  // mutable_graph() would create an empty graph and hide that the file has none.
  if (model.proto.has_graph()) read_external_data(*model.proto.mutable_graph(), path.parent_path(), what);
  check_structure(model, what);
  return model;
}

std::string serialize_model(const Model& model) {
  if (model.proto.ByteSizeLong() > kMaxSerializedModelBytes)
    throw Error("model is larger than 2 GB: it must be saved with external data");
  std::string bytes;
  if (!model.proto.SerializeToString(&bytes)) throw Error("model serialization failed");
  return bytes;
}

void save_model(const Model& model, const fs::path& path, const SaveOptions& options) {
  bool external = options.external_data || model.proto.ByteSizeLong() > options.external_data_threshold;
  if (!external) {
    write_file_atomically(path, serialize_model(model));
    return;
  }
  // Large initializers go to "<model file name>.data" beside the model, each 64-byte aligned
  // (what ONNX Runtime memory-maps best); the data file is written before the model, so a
  // model file only ever exists with its data complete.
  check_writable_output(path);
  Model out = model;
  std::string data_name = path.filename().string() + ".data";
  std::string data;
  for (auto& t : *out.graph().mutable_initializer()) {
    if (!t.has_raw_data() || t.raw_data().size() < options.external_min_bytes) continue;
    while (data.size() % 64) data.push_back('\0');
    std::uint64_t offset = data.size(), length = t.raw_data().size();
    data += t.raw_data();
    t.clear_raw_data();
    t.set_data_location(onnx::TensorProto::EXTERNAL);
    auto add = [&](const std::string& k, const std::string& v) {
      auto* e = t.add_external_data();
      e->set_key(k);
      e->set_value(v);
    };
    add("location", data_name);
    add("offset", std::to_string(offset));
    add("length", std::to_string(length));
  }
  if (data.empty()) {  // nothing was large enough to move out
    write_file_atomically(path, serialize_model(out));
    return;
  }
  write_file_atomically(path.parent_path() / data_name, data);
  try {
    write_file_atomically(path, serialize_model(out));
  } catch (...) {
    std::error_code ec;
    fs::remove(path.parent_path() / data_name, ec);
    throw;
  }
}

}  // namespace yoloq
