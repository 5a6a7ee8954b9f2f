// Mirrors Argo's analysis/analysis.go: reconcileAnalysisRun, generateMetricTasks,
// runMeasurements, assessRunStatus, assessMetricStatus, calculateNextReconcileTime and
// garbageCollectMeasurements. Verdict explanations are Vane's addition (analysis_verdict.cc).
#include "analysis/analysis_run.h"

#include <future>

#include "analysis/analysis_spec.h"
#include "analysis/analysis_verdict.h"
#include "kube/decode.h"

namespace vane::analysis {

namespace {

using std::chrono::milliseconds;

struct Task {
  size_t index;
  std::optional<Measurement> in_flight;
  int64_t number = 1;  // measurement number, counting errors
};

milliseconds errorRetry(const MetricSpec& m) {
  milliseconds r = kDefaultErrorRetryInterval;
  if (m.interval && m.interval->count() > 0 && *m.interval < r) r = *m.interval;
  return r;
}

std::vector<Task> dueTasks(const json& status, const RunContext& c, bool terminating, TimePoint now,
                           TimePoint started) {
  std::vector<Task> tasks;
  auto add = [&](size_t i, const json* r, std::optional<Measurement> in_flight) {
    // In-flight measurements are not counted yet, so this is also their own number.
    int64_t number = (r ? counter(*r, "count") + counter(*r, "error") : 0) + 1;
    tasks.push_back({i, std::move(in_flight), number});
  };
  for (size_t i = 0; i < c.metrics.size(); ++i) {
    const MetricSpec& m = c.metrics[i];
    const json* r = findResult(status, m.name);
    if (r && metricPhase(*r) && isCompleted(*metricPhase(*r))) continue;
    auto last = r ? lastMeasurement(*r) : std::nullopt;
    if (last && !last->finishedAt) {
      // Unlike Argo, a terminating run stops in-flight measurements now, not at resumeAt.
      if (last->resumeAt && *last->resumeAt > now && !terminating) continue;
      add(i, r, last);
      continue;
    }
    if (terminating) continue;
    if (!last) {
      if (m.initialDelay && started + *m.initialDelay > now) continue;
      add(i, r, std::nullopt);
      continue;
    }
    auto count = m.effectiveCount();
    if (count && counter(*r, "count") >= *count) continue;
    if (last->phase == Phase::kError) {
      if (now >= *last->finishedAt + errorRetry(m)) add(i, r, std::nullopt);
      continue;
    }
    if (m.interval && now >= *last->finishedAt + *m.interval) add(i, r, std::nullopt);
  }
  return tasks;
}

Measurement measure(ProviderRegistry& providers, const Task& t, const RunContext& c,
                    const json& run, TimePoint now, bool terminating) {
  const MetricSpec& m = c.metrics[t.index];
  std::string type = providerType(m.raw);
  MetricProvider* p = providers.find(type);
  if (!p) return errorMeasurement("no metric provider \"" + type + "\" is available", now, now);
  const json md = run.value("metadata", json::object());
  MetricContext ctx{
      m.raw, md.value("namespace", ""), md.value("name", ""), md.value("uid", ""), now, t.number};
  Measurement out;
  if (t.in_flight && terminating) {
    out = p->terminate(ctx, *t.in_flight);
    // runMeasurements: a measurement stopped by termination says so.
    if (out.phase == Phase::kSuccessful || out.phase == Phase::kInconclusive) {
      out.message = std::string(kMetricTerminatedMessage);
    }
  } else if (t.in_flight) {
    out = p->resume(ctx, *t.in_flight);
  } else {
    out = p->run(ctx);
  }
  if (!out.startedAt) out.startedAt = now;
  if (isCompleted(out.phase) && !out.finishedAt) out.finishedAt = now;
  return out;
}

void record(json& status, const Task& t, Measurement m, const RunContext& c,
            ProviderRegistry& providers) {
  const MetricSpec& spec = c.metrics[t.index];
  json& r = ensureResult(status, spec.name, c.dry.count(spec.name) > 0);
  m.message = maskSecrets(m.message, c.secrets);
  m.value = maskSecrets(m.value, c.secrets);
  for (auto& [k, v] : m.metadata) v = maskSecrets(v, c.secrets);
  if (m.finishedAt) {
    auto bump = [&](const char* k) { r[k] = counter(r, k) + 1; };
    switch (m.phase) {
      case Phase::kSuccessful:
        bump("successful");
        bump("count");
        bump("consecutiveSuccess");
        break;
      case Phase::kFailed:
        bump("failed");
        bump("count");
        break;
      case Phase::kInconclusive:
        bump("inconclusive");
        bump("count");
        break;
      case Phase::kError:
        bump("error");
        bump("consecutiveError");
        break;
      default:
        break;
    }
    if (m.phase != Phase::kError) r["consecutiveError"] = 0;
    if (m.phase != Phase::kSuccessful) r["consecutiveSuccess"] = 0;
  }
  json& ms = r["measurements"];
  if (!ms.is_array()) ms = json::array();
  if (t.in_flight && !ms.empty()) {
    ms.back() = m.toJson();
  } else {
    ms.push_back(m.toJson());
  }
  if (MetricProvider* p = providers.find(providerType(spec.raw))) {
    auto meta = p->metricMetadata(c.masked[t.index]);
    if (!meta.empty()) r["metadata"] = meta;
  }
}

void runMeasurements(json& status, const std::vector<Task>& tasks, const RunContext& c,
                     const json& run, ProviderRegistry& providers, TimePoint now, bool terminating,
                     bool parallel) {
  std::vector<Measurement> results(tasks.size());
  if (parallel && tasks.size() > 1) {
    std::vector<std::future<Measurement>> futures;
    for (const auto& t : tasks) {
      futures.push_back(std::async(
          std::launch::async, [&, t] { return measure(providers, t, c, run, now, terminating); }));
    }
    for (size_t i = 0; i < tasks.size(); ++i) results[i] = futures[i].get();
  } else {
    for (size_t i = 0; i < tasks.size(); ++i)
      results[i] = measure(providers, tasks[i], c, run, now, terminating);
  }
  for (size_t i = 0; i < tasks.size(); ++i)
    record(status, tasks[i], std::move(results[i]), c, providers);
}

void garbageCollect(json& status, const RunContext& c) {
  if (!status.contains("metricResults")) return;
  for (auto& r : status["metricResults"]) {
    auto it = c.retention.find(r.value("name", ""));
    int64_t limit = it == c.retention.end() ? kDefaultMeasurementHistoryLimit : it->second;
    json& ms = r["measurements"];
    if (!ms.is_array() || limit <= 0 || static_cast<int64_t>(ms.size()) <= limit) continue;
    ms.erase(ms.begin(), ms.begin() + (static_cast<int64_t>(ms.size()) - limit));
  }
}

std::optional<TimePoint> nextReconcile(const json& status, const RunContext& c, TimePoint started) {
  std::optional<TimePoint> next;
  auto consider = [&](TimePoint t) {
    if (!next || t < *next) next = t;
  };
  for (const auto& m : c.metrics) {
    const json* r = findResult(status, m.name);
    if (r && metricPhase(*r) && isCompleted(*metricPhase(*r))) continue;
    auto last = r ? lastMeasurement(*r) : std::nullopt;
    if (!last) {
      if (m.initialDelay) consider(started + *m.initialDelay);
      continue;
    }
    if (!last->finishedAt) {
      if (last->resumeAt) consider(*last->resumeAt);
      continue;
    }
    if (last->phase == Phase::kError) {
      consider(*last->finishedAt + errorRetry(m));
    } else if (m.interval) {
      consider(*last->finishedAt + *m.interval);
    }
  }
  return next;
}

// Status as written by anyone: drop metricResults entries we cannot read rather than throw.
json sanitized(json status) {
  if (status.contains("metricResults")) {
    json& rs = status["metricResults"];
    if (!rs.is_array()) {
      status.erase("metricResults");
    } else {
      json keep = json::array();
      for (auto& r : rs) {
        if (!r.is_object()) continue;
        if (r.contains("measurements") && !r["measurements"].is_array()) r.erase("measurements");
        json ms = json::array();
        for (auto& m : r.value("measurements", json::array()))
          if (m.is_object()) ms.push_back(m);
        if (!ms.empty()) r["measurements"] = ms;
        keep.push_back(r);
      }
      rs = keep;
    }
  }
  if (status.contains("startedAt") && !status["startedAt"].is_string()) status.erase("startedAt");
  if (status.contains("phase") && !status["phase"].is_string()) status.erase("phase");
  return status;
}

json finishWithError(json status, const std::string& message, TimePoint now) {
  status["phase"] = std::string(phaseName(Phase::kError));
  status["message"] = message;
  if (!status.contains("startedAt")) status["startedAt"] = formatTime(now);
  status["completedAt"] = formatTime(now);
  return status;
}

}  // namespace

bool isTerminating(const json& run_spec, const json& status) {
  if (run_spec.is_object() && run_spec.value("terminate", false)) return true;
  if (!status.is_object() || !status.contains("metricResults")) return false;
  for (const auto& r : status["metricResults"]) {
    auto p = metricPhase(r);
    if (p && (*p == Phase::kFailed || *p == Phase::kError || *p == Phase::kInconclusive) &&
        !r.value("dryRun", false)) {
      return true;
    }
  }
  return false;
}

ReconcileOutcome reconcileAnalysisRun(const json& run, TimePoint now, ProviderRegistry& providers,
                                      const ReconcileOptions& options) {
  ReconcileOutcome out;
  if (!run.is_object()) {
    out.status = finishWithError(json::object(), "Analysis spec invalid: not an object", now);
    out.changed = true;
    return out;
  }
  const json empty = json::object();
  const json& in_status =
      run.contains("status") && run["status"].is_object() ? run["status"] : empty;
  json status = sanitized(in_status);
  auto phase = parsePhase(status.value("phase", ""));
  if (phase && isCompleted(*phase)) {
    out.status = status;
    return out;
  }
  auto ctx = buildRunContext(run, options.secrets);
  if (!ctx) {
    out.status = finishWithError(status, ctx.status().message(), now);
    out.changed = true;
    return out;
  }
  const RunContext& c = *ctx;
  if (!status.contains("startedAt")) status["startedAt"] = formatTime(now);
  TimePoint started = parseTime(status["startedAt"].get<std::string>()).value_or(now);
  const json& spec = run.contains("spec") ? run["spec"] : empty;

  bool terminating = isTerminating(spec, status);
  auto tasks = dueTasks(status, c, terminating, now, started);
  runMeasurements(status, tasks, c, run, providers, now, terminating, options.parallel);

  bool terminate = spec.value("terminate", false);
  RunAssessment a = assessRun(status, c, terminate, isTerminating(spec, status));
  // A metric that just failed makes the run terminate now (fail fast), not on the next
  // reconcile: assess again so that indefinite metrics complete in this pass.
  if (!isCompleted(a.phase) && isTerminating(spec, status))
    a = assessRun(status, c, terminate, true);
  std::string old_phase = status.value("phase", "");
  if (old_phase != phaseName(a.phase)) {
    status["phase"] = std::string(phaseName(a.phase));
    if (isCompleted(a.phase) && !status.contains("completedAt"))
      status["completedAt"] = formatTime(now);
  }
  if (a.message.empty()) {
    status.erase("message");
  } else {
    status["message"] = a.message;
  }
  status["runSummary"] = a.summary;
  if (!c.dry.empty()) status["dryRunSummary"] = a.dry_summary;
  garbageCollect(status, c);
  if (!isCompleted(a.phase)) {
    if (auto next = nextReconcile(status, c, started)) {
      auto wait = std::chrono::ceil<milliseconds>(*next - now);
      // Rounded up: waking a fraction early would find nothing due and spin once more.
      out.requeue_after = wait.count() < 0 ? milliseconds(0) : wait;
    }
  }
  out.changed = status != in_status;
  out.status = std::move(status);
  return out;
}

Result<std::optional<TimePoint>> ttlExpiry(const json& run) {
  using None = std::optional<TimePoint>;
  auto ttl = json::json_pointer("/spec/ttlStrategy");
  if (!run.contains(ttl) || run.at(ttl).is_null()) return None();
  kube::Decoder d(run.at(ttl), "spec.ttlStrategy");
  auto after_completion = d.optInt("secondsAfterCompletion");
  auto after_success = d.optInt("secondsAfterSuccess");
  auto after_failure = d.optInt("secondsAfterFailure");
  if (!d.ok()) return d.status();
  const json status = run.value("status", json::object());
  auto phase = parsePhase(status.is_object() ? status.value("phase", "") : "");
  if (!phase || !isCompleted(*phase)) return None();
  auto completed = parseTime(status.value("completedAt", ""));
  if (!completed) return None();
  std::optional<int64_t> seconds;
  if (*phase == Phase::kSuccessful && after_success) {
    seconds = after_success;
  } else if (*phase == Phase::kFailed && after_failure) {
    seconds = after_failure;
  } else {
    seconds = after_completion;
  }
  if (!seconds) return None();
  // Argo deletes once int32(seconds completed) > ttl: one second past the TTL.
  return None(*completed + std::chrono::seconds(*seconds + 1));
}

}  // namespace vane::analysis
