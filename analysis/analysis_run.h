// The AnalysisRun engine (Argo: analysis/analysis.go). One call = one level-triggered reconcile:
// take the measurements that are due, judge every metric by its limits, set the run phase, and
// say when to come back. Time lives in status: a metric's next measurement is due at the last
// measurement's finishedAt + interval (errors retry after min(10 s, interval)); initialDelay
// counts from status.startedAt. The caller writes the returned status once.
//
//   auto out = reconcileAnalysisRun(run, clock.now(), registry, {.secrets = lookup});
//   if (out.changed) client.updateStatus(...run with out.status...);
//   if (out.requeue_after) queue.addAfter(key, *out.requeue_after);
#pragma once

#include <chrono>
#include <optional>

#include "analysis/args.h"
#include "analysis/provider.h"
#include "analysis/types.h"

namespace vane::analysis {

struct ReconcileOptions {
  /// Resolves valueFrom.secretKeyRef arguments in the run's namespace; secret values are masked
  /// ("*****") in every message, value and metadata written to status.
  SecretLookup secrets;
  /// Take due measurements of different metrics concurrently (as Argo does).
  bool parallel = true;
};

struct ReconcileOutcome {
  json status;  // the complete new status
  /// When the next measurement (or initial delay, or error retry) falls due; nullopt when the
  /// run is completed or nothing is scheduled.
  std::optional<std::chrono::milliseconds> requeue_after;
  bool changed = false;  // status differs from the input's
};

/// Reconciles one AnalysisRun object (metadata, spec, status) at time now. Never throws; a bad
/// spec or unresolvable argument completes the run with phase Error and a message
/// ("Analysis spec invalid: ...", "Unable to resolve metric arguments: ..."). Every Failed,
/// Error or Inconclusive verdict explains itself in status.message and
/// metricResults[].message: metric, query as sent (secrets masked), value, condition, limit.
ReconcileOutcome reconcileAnalysisRun(const json& run, TimePoint now, ProviderRegistry& providers,
                                      const ReconcileOptions& options = {});

/// spec.ttlStrategy (Argo isAnalysisRunTtlExceeded): when a completed run may be deleted:
/// status.completedAt + secondsAfterSuccess (Successful) / secondsAfterFailure (Failed), else
/// secondsAfterCompletion. nullopt when the run is not completed, has no completedAt or no TTL
/// applies. A malformed ttlStrategy gives kInvalid naming the field (spec.ttlStrategy.<field>).
Result<std::optional<TimePoint>> ttlExpiry(const json& run);

/// Argo's analysisutil.IsTerminating: spec.terminate, or a non-dry-run metric already Failed,
/// Error or Inconclusive.
bool isTerminating(const json& run_spec, const json& status);

}  // namespace vane::analysis
