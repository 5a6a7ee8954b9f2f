// Multi-document YAML -> JSON, without YAML::LoadAll (which hangs on some inputs): documents are
// split on `---` lines here and each is loaded with YAML::Load.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kube/status.h"

namespace vane::cli {

struct YamlDocument {
  int index = 0;       // 0-based position in the file
  int first_line = 1;  // 1-based line where the document starts
  std::string text;
};

/// Splits on lines that are exactly `---` (optionally followed by spaces or a comment); a leading
/// `---` does not create an empty document. Documents holding only comments/blank lines are
/// dropped.
std::vector<YamlDocument> splitYamlDocuments(const std::string& text);

/// Limits of yamlToJson on untrusted input (kBadRequest past them).
inline constexpr size_t kMaxYamlDocumentBytes = 3 * 1024 * 1024;  // as the API server's bodies
inline constexpr size_t kMaxYamlNodes = 250'000;  // values after aliases are expanded
inline constexpr int kMaxYamlDepth = 512;

/// Parses one document (within the limits above); scalars get YAML 1.2 core types (quoted scalars
/// stay strings). kBadRequest with the parser's line/column on malformed input.
Result<nlohmann::json> yamlToJson(const std::string& document);

}  // namespace vane::cli
