#include "cli/yaml_docs.h"

#include <yaml-cpp/yaml.h>

#include <sstream>

namespace vane::cli {
namespace {

using nlohmann::json;

bool isSeparator(const std::string& line) {
  if (line.rfind("---", 0) != 0) return false;
  for (size_t i = 3; i < line.size(); ++i) {
    if (line[i] == '#') return true;
    if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r') return false;
  }
  return true;
}

bool hasContent(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto pos = line.find_first_not_of(" \t\r");
    if (pos != std::string::npos && line[pos] != '#') return true;
  }
  return false;
}

// [-+]?[0-9]+ ; by hand, not std::regex: libstdc++'s regex recurses per character and a long
// scalar overflowed the stack.
bool isInt(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool isFloat(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    size_t from = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - from;
  };
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  } else {
    if (digits() == 0) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

json scalarToJson(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") return s;  // quoted: always a string
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (isInt(s)) {
    try {
      return std::stoll(s);
    } catch (const std::exception&) {
      return s;  // out of range: keep the text
    }
  }
  if (isFloat(s)) {
    try {
      return std::stod(s);
    } catch (const std::exception&) {
      return s;
    }
  }
  return s;
}

// Bounds on the JSON a document expands to. Aliases share one node in yaml-cpp but are copied
// here, so a few lines of nested aliases ("billion laughs") would otherwise expand to billions of
// values; nesting is bounded so that the recursion cannot exhaust the stack.
struct Budget {
  size_t nodes = kMaxYamlNodes;
};

Status toJson(const YAML::Node& node, int depth, Budget& budget, json& out) {
  if (budget.nodes == 0) {
    return Status(Code::kBadRequest, "invalid YAML: the document expands to more than " +
                                         std::to_string(kMaxYamlNodes) + " values");
  }
  --budget.nodes;
  if (depth > kMaxYamlDepth) {
    return Status(Code::kBadRequest,
                  "invalid YAML: nested deeper than " + std::to_string(kMaxYamlDepth) + " levels");
  }
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      out = json::object();
      for (const auto& kv : node) {
        // A non-scalar key (e.g. an unquoted `{{arg}}`) is kept as its YAML text.
        std::string key = kv.first.IsScalar() ? kv.first.Scalar() : YAML::Dump(kv.first);
        if (Status st = toJson(kv.second, depth + 1, budget, out[key]); !st.isOk()) return st;
      }
      return Status::ok();
    }
    case YAML::NodeType::Sequence: {
      out = json::array();
      for (const auto& item : node) {
        if (Status st = toJson(item, depth + 1, budget, out.emplace_back()); !st.isOk()) return st;
      }
      return Status::ok();
    }
    case YAML::NodeType::Scalar:
      out = scalarToJson(node);
      return Status::ok();
    default:
      out = nullptr;
      return Status::ok();
  }
}

// Offset of the first byte that is not printable, well-formed UTF-8, or npos. YAML text is Unicode,
// and a JSON string holding invalid UTF-8 makes nlohmann's dump() throw (found by yaml_docs_fuzz).
size_t invalidUtf8At(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    // YAML's printable set excludes the C0 controls but tab, LF and CR, and DEL; NULs would also
    // make yaml-cpp take the text for UTF-16/32 and emit invalid UTF-8 (yaml_docs_fuzz).
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return i;
    if (c == 0x7F || len == 0 || i + len > s.size()) return i;
    uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    bool overlong =
        (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::string_view::npos;
}

}  // namespace

std::vector<YamlDocument> splitYamlDocuments(const std::string& text) {
  std::vector<YamlDocument> docs;
  std::istringstream in(text);
  std::string line, current;
  int line_no = 0, start = 1;
  auto flush = [&](int next_start) {
    if (hasContent(current)) {
      docs.push_back({static_cast<int>(docs.size()), start, current});
    }
    current.clear();
    start = next_start;
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (isSeparator(line)) {
      flush(line_no + 1);
      continue;
    }
    current += line;
    current += '\n';
  }
  flush(line_no + 1);
  return docs;
}

Result<nlohmann::json> yamlToJson(const std::string& document) {
  if (document.size() > kMaxYamlDocumentBytes) {
    return Status(Code::kBadRequest, "invalid YAML: the document is larger than " +
                                         std::to_string(kMaxYamlDocumentBytes) + " bytes");
  }
  if (size_t at = invalidUtf8At(document); at != std::string_view::npos) {
    return Status(Code::kBadRequest, "invalid YAML: not printable UTF-8 at byte " +
                                         std::to_string(at + 1) + " of the document");
  }
  try {
    json out;
    Budget budget;
    if (Status st = toJson(YAML::Load(document), 0, budget, out); !st.isOk()) return st;
    return out;
  } catch (const YAML::Exception& e) {
    return Status(Code::kBadRequest, "invalid YAML: " + e.msg + " at line " +
                                         std::to_string(e.mark.line + 1) + ", column " +
                                         std::to_string(e.mark.column + 1));
  }
}

}  // namespace vane::cli
