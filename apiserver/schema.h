// Validation, pruning and defaulting of custom resources against a CRD version's structural
// openAPIV3Schema, with the exact cause texts of kube-apiserver (k8s.io/apiextensions-apiserver
// and kube-openapi validate), and the 422 Status body built from the causes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace vane::apiserver {

/// One field error, as in metav1.StatusCause.
struct SchemaCause {
  std::string reason;   // "FieldValueRequired", "FieldValueInvalid", "FieldValueTypeInvalid",
                        // "FieldValueNotSupported", "FieldValueTooLong", ...
  std::string field;    // "spec.replicas", "spec.items[2].name"
  std::string message;  // e.g. `Invalid value: "string": spec.replicas in body must be of type
                        // integer: "string"`, `Required value`,
                        // `Unsupported value: "x": supported values: "a", "b"`
  nlohmann::json toJson() const;  // {"reason","message","field"}
};

/// Validates obj (a whole custom resource: apiVersion, kind, metadata, spec, ...) against
/// schema (the version's `schema.openAPIV3Schema`). metadata is not validated beyond its type
/// (the REST layer owns name rules). Returns every cause found, in document order. Pure function.
std::vector<SchemaCause> validateAgainstSchema(const nlohmann::json& obj,
                                               const nlohmann::json& schema);

/// Removes fields the schema does not declare (unless x-kubernetes-preserve-unknown-fields or
/// additionalProperties allow them) in place. apiVersion, kind and metadata at the root are kept
/// (embedded resources likewise keep apiVersion/kind/metadata). Returns the pruned paths in
/// document order, e.g. "spec.bogusField", "spec.template.spec.containers[0].imagePullPolicyX".
std::vector<std::string> pruneUnknownFields(nlohmann::json& obj, const nlohmann::json& schema);

/// Applies `default` values from the schema in place: a missing property with a default gets it
/// (recursively, also inside array items and additionalProperties). Run before validation.
void applyDefaults(nlohmann::json& obj, const nlohmann::json& schema);

/// The 422 Status body: kind Status, reason Invalid, code 422, details{name, group (omitted when
/// empty), kind, causes}, message `<Kind>.<group> "<name>" is invalid: <field>: <message>` for
/// one cause or `... is invalid: [<field>: <message>, <field>: <message>]` for several (no
/// ".<group>" for the core group).
nlohmann::json invalidStatus(const std::string& kind, const std::string& group,
                             const std::string& name, const std::vector<SchemaCause>& causes);

/// The 400 strict-decoding message for pruned fields with fieldValidation=Strict:
/// `<Kind> in version "<version>" cannot be handled as a <Kind>: strict decoding error: unknown
/// field "spec.x", unknown field "spec.y"`.
std::string strictDecodingMessage(const std::string& kind, const std::string& version,
                                  const std::vector<std::string>& pruned_paths);

/// The warning text for fieldValidation=Warn, one per path: `unknown field "spec.x"`.
std::string unknownFieldWarning(const std::string& path);

}  // namespace vane::apiserver
