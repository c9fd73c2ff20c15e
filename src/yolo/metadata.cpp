#include <cctype>
#include <map>
#include <sstream>

#include "yoloq/support/error.hpp"
#include "yoloq/yolo/metadata.hpp"

namespace yoloq {

namespace {

struct Cursor {
  const std::string& s;
  std::size_t i = 0;
  void skip_space() {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  }
  bool eat(char c) {
    skip_space();
    if (i < s.size() && s[i] == c) return ++i, true;
    return false;
  }
  void expect(char c) {
    if (!eat(c))
      throw Error(std::string("class names: expected '") + c + "' at offset " + std::to_string(i));
  }
  std::int64_t integer() {
    skip_space();
    std::size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (start == i || i - start > 9)
      throw Error("class names: expected a class id at offset " + std::to_string(start));
    return std::stoll(s.substr(start, i - start));
  }
  std::string quoted() {
    skip_space();
    if (i >= s.size() || (s[i] != '\'' && s[i] != '"'))
      throw Error("class names: expected a quoted name at offset " + std::to_string(i));
    char q = s[i++];
    std::string out;
    while (i < s.size() && s[i] != q) {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      out += s[i++];
    }
    if (i >= s.size()) throw Error("class names: unterminated string");
    ++i;
    return out;
  }
};

std::vector<std::int64_t> parse_int_list(const std::string& text) {
  std::vector<std::int64_t> v;
  std::string digits;
  for (char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits += c;
    } else if (!digits.empty()) {
      v.push_back(std::stoll(digits.substr(0, 12)));
      digits.clear();
    }
  }
  if (!digits.empty()) v.push_back(std::stoll(digits.substr(0, 12)));
  return v;
}

}  // namespace

std::vector<std::string> parse_class_names(const std::string& text) {
  Cursor c{text};
  std::map<std::int64_t, std::string> by_id;
  c.expect('{');
  if (!c.eat('}')) {
    do {
      auto id = c.integer();
      c.expect(':');
      by_id[id] = c.quoted();
    } while (c.eat(','));
    c.expect('}');
  }
  std::vector<std::string> names;
  for (const auto& [id, name] : by_id) {
    if (id != static_cast<std::int64_t>(names.size()))
      throw Error("class names: ids are not 0..N-1 (missing id " + std::to_string(names.size()) +
                  ")");
    names.push_back(name);
  }
  return names;
}

std::optional<YoloMetadata> read_yolo_metadata(const Model& model) {
  std::map<std::string, std::string> props;
  for (const auto& p : model.proto.metadata_props()) props[p.key()] = p.value();
  if (!props.count("names") && !props.count("task")) return std::nullopt;
  YoloMetadata m;
  m.task = props.count("task") ? props["task"] : "";
  if (props.count("imgsz")) m.imgsz = parse_int_list(props["imgsz"]);
  if (props.count("stride")) {
    auto s = parse_int_list(props["stride"]);
    if (!s.empty()) m.stride = s.front();
  }
  if (props.count("names")) m.names = parse_class_names(props["names"]);
  if (props.count("kpt_shape")) m.kpt_shape = parse_int_list(props["kpt_shape"]);
  return m;
}

nlohmann::json metadata_json(const std::optional<YoloMetadata>& metadata) {
  if (!metadata) return nullptr;
  return {{"task", metadata->task},
          {"imgsz", metadata->imgsz},
          {"stride", metadata->stride},
          {"num_classes", metadata->names.size()},
          {"names", metadata->names}};
}

std::string metadata_text(const YoloMetadata& m) {
  std::ostringstream o;
  o << "ultralytics: task " << (m.task.empty() ? "?" : m.task) << ", imgsz " << shape_string(m.imgsz) << ", stride "
    << m.stride << ", " << m.names.size() << " classes";
  for (std::size_t i = 0; i < m.names.size() && i < 5; ++i) o << (i ? ", " : " (") << m.names[i];
  if (!m.names.empty()) o << (m.names.size() > 5 ? ", ...)" : ")");
  o << "\n";
  return o.str();
}

}  // namespace yoloq
