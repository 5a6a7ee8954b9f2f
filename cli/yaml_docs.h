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

/// Parses one document; scalars get YAML 1.2 core types (quoted scalars stay strings).
/// kBadRequest with the parser's line/column on malformed input.
Result<nlohmann::json> yamlToJson(const std::string& document);

}  // namespace vane::cli
