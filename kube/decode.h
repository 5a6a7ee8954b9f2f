// Field-path-aware decoding of JSON objects into typed structs. The first bad field is reported
// with its full path, e.g. "spec.strategy.canary.steps[2].setWeight: expected integer".
//
//   Decoder d(obj, "spec");
//   auto replicas = d.optInt("replicas");            // nullopt when absent or null
//   auto steps = d.child("strategy").child("canary").array("steps");
//   for (size_t i = 0; i < steps.size(); ++i) { Decoder s = steps[i]; ... }
//   if (!d.status()) return d.status();
//
// Errors are recorded once (the first one wins) in a state shared by the decoder and its children.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube/status.h"

namespace vane::kube {

class Decoder {
 public:
  /// path is the prefix for error messages ("" for the root).
  Decoder(const nlohmann::json& value, std::string path);

  const nlohmann::json& value() const { return *value_; }
  const std::string& path() const { return path_; }
  bool has(const std::string& key) const;  // present and not null

  /// Child object (a null/absent child decodes as an empty object without error).
  Decoder child(const std::string& key) const;
  /// Array elements (absent or null: empty); a non-array records "expected array".
  std::vector<Decoder> array(const std::string& key) const;

  std::optional<std::string> optString(const std::string& key) const;
  std::optional<int64_t> optInt(const std::string& key) const;  // rejects fractions
  std::optional<double> optNumber(const std::string& key) const;
  std::optional<bool> optBool(const std::string& key) const;
  std::string string(const std::string& key, const std::string& def = "") const;
  int64_t integer(const std::string& key, int64_t def = 0) const;
  bool boolean(const std::string& key, bool def = false) const;
  /// Like optString but the field is required.
  std::string requiredString(const std::string& key) const;
  /// An int-or-string field such as maxSurge ("25%" or 1); the value as written.
  std::optional<nlohmann::json> optIntOrString(const std::string& key) const;

  /// Records an error at path.key unless one is already recorded.
  void fail(const std::string& key, const std::string& message) const;
  /// kInvalid with the first error's field and message, or ok.
  Status status() const;
  bool ok() const;

  std::string fieldPath(const std::string& key) const;

 private:
  struct State {
    Status first;
  };
  Decoder(const nlohmann::json* value, std::string path, std::shared_ptr<State> state);
  const nlohmann::json* field(const std::string& key) const;

  const nlohmann::json* value_;
  std::string path_;
  std::shared_ptr<State> state_;
};

}  // namespace vane::kube
