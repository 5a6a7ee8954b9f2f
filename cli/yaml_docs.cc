#include "cli/yaml_docs.h"

#include <yaml-cpp/yaml.h>

#include <regex>
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

json scalarToJson(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") return s;  // quoted: always a string
  static const std::regex kInt(R"([-+]?[0-9]+)");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (std::regex_match(s, kInt)) {
    try {
      return std::stoll(s);
    } catch (const std::exception&) {
      return s;  // out of range: keep the text
    }
  }
  if (std::regex_match(s, kFloat)) {
    try {
      return std::stod(s);
    } catch (const std::exception&) {
      return s;
    }
  }
  return s;
}

json toJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json obj = json::object();
      for (const auto& kv : node) {
        // A non-scalar key (e.g. an unquoted `{{arg}}`) is kept as its YAML text.
        std::string key = kv.first.IsScalar() ? kv.first.Scalar() : YAML::Dump(kv.first);
        obj[key] = toJson(kv.second);
      }
      return obj;
    }
    case YAML::NodeType::Sequence: {
      json arr = json::array();
      for (const auto& item : node) arr.push_back(toJson(item));
      return arr;
    }
    case YAML::NodeType::Scalar:
      return scalarToJson(node);
    default:
      return nullptr;
  }
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
  try {
    return toJson(YAML::Load(document));
  } catch (const YAML::Exception& e) {
    return Status(Code::kBadRequest, "invalid YAML: " + e.msg + " at line " +
                                         std::to_string(e.mark.line + 1) + ", column " +
                                         std::to_string(e.mark.column + 1));
  }
}

}  // namespace vane::cli
