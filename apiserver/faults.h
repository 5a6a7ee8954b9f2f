// Fault injection for vane-apiserver (--faults FILE): rules per verb and resource that answer 409,
// 429 (Retry-After), 500, 503 or 410 instead of serving, add latency, or end a watch stream
// mid-way (closed, or an ERROR event with a 410 Expired Status as kube-apiserver sends for a
// too-old resourceVersion). Decisions come from one seeded generator, so a run with the same
// seed and the same request order injects the same faults. Off unless a file is given.
//
//   seed: 42
//   rules:
//   - verbs: [update, patch]          # get list watch create update patch delete deletecollection,
//   *
//     resources: [rollouts/status]    # plural, optionally /subresource; * for any
//     rate: 0.1                       # and/or nth: 3 (the 3rd match), every: 5 (each 5th match)
//     fault: conflict                 # conflict tooManyRequests internalError serviceUnavailable
//                                     # latency gone watchClose watchGone
//     retryAfterSeconds: 1            # tooManyRequests
//     latency: 50ms                   # latency
//     afterEvents: 5                  # watchClose / watchGone: after N events and/or T
//     afterSeconds: 2                 #   (watchGone with neither: at once)
//     limit: 20                       # at most N injections by this rule
//     userAgent: vane-controller      # only requests whose User-Agent starts so
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kube/http.h"
#include "kube/status.h"

namespace vane::apiserver {

enum class FaultKind {
  kConflict,
  kTooManyRequests,
  kInternalError,
  kServiceUnavailable,
  kLatency,
  kGone,
  kWatchClose,
  kWatchGone,
};

const char* faultKindName(FaultKind k);

struct FaultRule {
  std::vector<std::string> verbs;      // empty or "*": any
  std::vector<std::string> resources;  // "rollouts", "rollouts/status", "*"
  std::string user_agent;              // prefix of the User-Agent; "": any client
  double rate = 0;                     // 0..1
  uint64_t nth = 0;                    // fire on the nth matching request (1-based); 0: unset
  uint64_t every = 0;                  // fire on every nth matching request; 0: unset
  uint64_t limit = 0;                  // at most this many injections; 0: unlimited
  FaultKind fault = FaultKind::kInternalError;
  int64_t retry_after_seconds = 1;
  std::chrono::milliseconds latency{0};
  uint64_t after_events = 0;
  std::chrono::milliseconds after_time{0};
};

struct FaultConfig {
  std::optional<uint64_t> seed;
  std::vector<FaultRule> rules;
};

/// Parses the YAML of --faults; kInvalid naming the field (`rules[1].rate: ...`) otherwise.
Result<FaultConfig> parseFaultConfig(const std::string& yaml);

/// What a request is, in the terms the rules use.
struct FaultRequest {
  std::string verb;      // get list watch create update patch delete deletecollection
  std::string resource;  // plural
  std::string sub;       // "" or "status", "scale"
  std::string ns;
  std::string name;
  std::string group;  // for the Status details of a conflict
  std::string kind;
  std::string user_agent;
};

/// True when the rule applies to the request (verb and resource; not the firing decision).
bool faultRuleMatches(const FaultRule& rule, const FaultRequest& req);

/// A watch stream's planned end.
struct WatchFault {
  bool gone = false;  // an ERROR event with a 410 Expired Status before closing
  uint64_t after_events = 0;
  std::chrono::milliseconds after_time{0};
};

/// The decision for one request.
struct FaultDecision {
  std::chrono::milliseconds latency{0};    // slept before serving (or before the error)
  std::optional<http::Response> response;  // sent instead of serving
  std::optional<WatchFault> watch;         // applied to the watch stream served
};

class FaultInjector {
 public:
  /// seed: the config's seed unless overridden (--faults-seed); neither: 1.
  FaultInjector(FaultConfig config, std::optional<uint64_t> seed_override);
  ~FaultInjector();
  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;

  uint64_t seed() const { return seed_; }
  /// Decides which faults fire for req; every rule matching req counts it. Thread-safe.
  FaultDecision decide(const FaultRequest& req);
  /// decide(), then sleeps the latency. The caller sends decision.response when set.
  FaultDecision apply(const FaultRequest& req);
  /// Makes a watch response end as planned: closed after N events or T, with a 410 ERROR event
  /// first when planned.
  void wrapWatch(const WatchFault& fault, http::Response& response);
  /// vane_apiserver_injected_faults_total{fault,verb,resource} in the text exposition format.
  std::string renderMetrics() const;

  struct Impl;

 private:
  uint64_t seed_;
  std::unique_ptr<Impl> impl_;
};

/// The Status responses the faults send, with kube-apiserver's reasons and messages.
http::Response tooManyRequestsResponse(int64_t retry_after_seconds);
http::Response internalErrorResponse(const std::string& cause);
http::Response serviceUnavailableResponse();
http::Response expiredResponse();

}  // namespace vane::apiserver
