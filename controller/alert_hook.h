// Alertmanager webhook receiver: a firing alert aborts the Rollouts it names, at once.
// Payload: Alertmanager's webhook version 4 (peers.md 4.5). A Rollout is named by the alert's
// labels (`rollout`, `namespace`; names configurable) or selects alerts itself with the annotation
// `vane.dev/abort-on-alert: alertname=HighErrorRate,service=checkout`. Only Rollouts in the middle
// of an update are aborted. The abort is the same intent the plugin writes (`status.abort: true`),
// with the alert recorded in annotations so the controller's abort message can name it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "controller/conditions.h"
#include "kube/client.h"
#include "kube/http.h"
#include "kube/informer.h"
#include "kube/status.h"

namespace prometheus {
class Registry;
template <typename T>
class Family;
class Counter;
}  // namespace prometheus

namespace vane::controller {

inline constexpr const char* kAbortOnAlertAnnotation = "vane.dev/abort-on-alert";
inline constexpr const char* kAbortReasonAnnotation = kAnnotationAbortReason;
inline constexpr const char* kAbortAlertFingerprintAnnotation = "vane.dev/abort-alert-fingerprint";
inline constexpr std::size_t kAlertHookMaxBody = 1 << 20;

struct Alert {
  std::string status;  // "firing" | "resolved"
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::string starts_at;
  std::string fingerprint;
};

struct AlertPayload {
  std::string version;
  std::string status;
  std::string receiver;
  std::string group_key;
  std::vector<Alert> alerts;
};

/// Parses and validates a version 4 payload; kBadRequest names the bad field
/// (e.g. "alerts[0].labels: expected object").
Result<AlertPayload> parseAlertmanagerPayload(std::string_view body);

/// One label matcher of the abort-on-alert annotation: name op value, op one of = != =~ !~.
struct LabelMatcher {
  std::string name;
  std::string op;
  std::string value;
  bool matches(const std::map<std::string, std::string>& labels) const;
};
/// Parses "alertname=HighErrorRate, service=~check.*" (values may be double-quoted).
Result<std::vector<LabelMatcher>> parseLabelMatchers(std::string_view text);

/// True while a Rollout is between revisions: its desired pod hash differs from the stable one.
bool isMidUpdate(const nlohmann::json& rollout);

/// "alert HighErrorRate firing {namespace=shop, rollout=checkout}: 5xx ratio above 5%"
std::string describeAlert(const Alert& alert);

struct AlertHookOptions {
  std::string token;  // required bearer token; empty: no authentication (tests only)
  std::string rollout_label = "rollout";
  std::string namespace_label = "namespace";
};

struct AbortTarget {
  std::string namespace_;
  std::string name;
};

/// The Rollouts a firing alert names and that are mid-update (pure; rollouts from the cache).
std::vector<AbortTarget> selectAbortTargets(
    const Alert& alert, const std::vector<std::shared_ptr<const nlohmann::json>>& rollouts,
    const AlertHookOptions& options);

/// Indexes on the Rollout informer that find an alert's candidates without a scan: by name, and
/// the Rollouts with the abort-on-alert annotation. Added before the informer starts.
inline constexpr const char* kIndexRolloutName = "alertHookName";
inline constexpr const char* kIndexAbortOnAlert = "alertHookAbortOnAlert";
void addAlertHookIndexes(kube::Informer& rollouts);

/// The cached Rollouts an alert may name (the superset selectAbortTargets filters): the one its
/// rollout (and namespace) labels name, and those that select alerts by annotation.
std::vector<std::shared_ptr<const nlohmann::json>> alertCandidates(const kube::Informer& rollouts,
                                                                   const Alert& alert,
                                                                   const AlertHookOptions& options);

/// The HTTP handler for POST /hooks/alertmanager. Answers 200 only after every abort it decided
/// is persisted, 500 when a write failed (Alertmanager then retries), 400 for a malformed payload,
/// 401 without the token, 413 over 1 MiB, 405 for other methods.
class AlertHook {
 public:
  /// The Rollouts an alert may name (at least those selectAbortTargets would pick).
  using RolloutLister =
      std::function<std::vector<std::shared_ptr<const nlohmann::json>>(const Alert& alert)>;
  AlertHook(kube::Client& client, RolloutLister list_rollouts, AlertHookOptions options,
            prometheus::Registry* registry = nullptr);
  http::Response handle(const http::Request& request);

 private:
  http::Response respond(int status, const std::string& message);
  Status abortRollout(const AbortTarget& target, const Alert& alert);

  kube::Client& client_;
  RolloutLister list_rollouts_;
  AlertHookOptions options_;
  prometheus::Family<prometheus::Counter>* requests_ = nullptr;
  std::mutex mu_;
  std::set<std::string> handled_;  // "<fingerprint>/<startsAt>/<ns>/<name>" already aborted
};

}  // namespace vane::controller
