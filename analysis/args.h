// Analysis arguments and {{args.name}} templating (Argo: utils/analysis/helpers.go ResolveArgs,
// MergeArgs; fasttemplate with the tag trimmed of spaces).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/types.h"

namespace vane::analysis {

/// args[] entry: {name, value, valueFrom: {secretKeyRef: {name, key}, fieldRef: {fieldPath},
/// podTemplateHashValue: Stable|Latest}}.
struct Argument {
  std::string name;
  std::optional<std::string> value;
  std::optional<std::string> secretName, secretKey;  // valueFrom.secretKeyRef
  std::optional<std::string> fieldPath;              // valueFrom.fieldRef.fieldPath
  std::optional<std::string> podTemplateHashValue;   // valueFrom.podTemplateHashValue

  bool hasValueFrom() const { return secretName || fieldPath || podTemplateHashValue; }
  json toJson() const;
};

/// Decodes an args array; errors name the field ("spec.args[1].name").
Result<std::vector<Argument>> decodeArgs(const json& args, const std::string& path);
json argsToJson(const std::vector<Argument>& args);

/// Returns a secret's data value (decoded from base64) in namespace ns.
using SecretLookup = std::function<Result<std::string>(
    const std::string& ns, const std::string& name, const std::string& key)>;

/// Argument values for templating. Secrets are looked up (lookup may be empty: then a
/// secret argument is an error); secret_values collects them for masking. An argument with
/// neither value nor valueFrom -> `argument "x" was not supplied`.
Result<std::map<std::string, std::string>> argumentValues(const std::vector<Argument>& args,
                                                          const std::string& ns,
                                                          const SecretLookup& lookup,
                                                          std::vector<std::string>* secret_values);

/// Replaces {{args.name}} (also {{ args.name }}) in every string of value, keys excluded.
/// An unknown tag -> "failed to resolve {{args.x}}".
Result<json> substituteArgs(const json& value, const std::map<std::string, std::string>& args);
Result<std::string> substituteArgs(const std::string& text,
                                   const std::map<std::string, std::string>& args);

/// Replaces every occurrence of each secret (non-empty) in text with "*****".
std::string maskSecrets(std::string text, const std::vector<std::string>& secrets);

/// Downward-API style path on a JSON object: "metadata.name", "metadata.labels['app']",
/// "spec.template.spec.containers[0].image". Scalars are rendered as strings.
Result<std::string> resolveFieldPath(const json& obj, const std::string& path);

}  // namespace vane::analysis
