#include "controller/metrics.h"

#include <prometheus/text_serializer.h>

#include "controller/conditions.h"

namespace vane::controller {

using nlohmann::json;

namespace {

const prometheus::Histogram::BucketBoundaries kReconcileBuckets = {0.01, 0.15, 0.25, 0.5, 1};
// Argo controller/metrics/metrics.go buckets of the rollout duration histograms.
const prometheus::Histogram::BucketBoundaries kRolloutDurationBuckets = {
    30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800};
const prometheus::Histogram::BucketBoundaries kProgressionBuckets = {30,  60,  120,  300,
                                                                     600, 900, 1800, 3600};
const prometheus::Histogram::BucketBoundaries kManualPauseBuckets = {0,    60,   300,   600,  1800,
                                                                     3600, 7200, 14400, 28800};

std::string str(const json& obj, std::initializer_list<const char*> path) {
  const json* cur = &obj;
  for (const char* k : path) {
    if (!cur->is_object()) return "";
    auto it = cur->find(k);
    if (it == cur->end()) return "";
    cur = &*it;
  }
  if (cur->is_string()) return cur->get<std::string>();
  if (cur->is_number_integer()) return std::to_string(cur->get<int64_t>());
  return "";
}

double num(const json& obj, const char* section, const char* key, double def = 0) {
  auto s = obj.find(section);
  if (s == obj.end() || !s->is_object()) return def;
  auto v = s->find(key);
  return v != s->end() && v->is_number() ? v->get<double>() : def;
}

prometheus::MetricFamily gaugeFamily(const std::string& name, const std::string& help) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = prometheus::MetricType::Gauge;
  return f;
}

void addGauge(prometheus::MetricFamily& f, std::vector<prometheus::ClientMetric::Label> labels,
              double value) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  f.metric.push_back(std::move(m));
}

std::string strategyOf(const json& ro) {
  const json& s = ro.contains("spec") ? ro["spec"].value("strategy", json::object()) : json();
  if (s.is_object() && s.contains("blueGreen")) return "blueGreen";
  if (s.is_object() && s.contains("canary")) return "canary";
  return "none";
}

std::string trafficRouterOf(const json& ro) {
  try {
    const json& tr = ro.at("spec").at("strategy").at("canary").at("trafficRouting");
    for (const auto& [k, v] : tr.items()) {
      if (k != "managedRoutes" && !v.is_null()) return k == "istio" ? "Istio" : k;
    }
  } catch (const json::exception&) {
  }
  return "";
}

}  // namespace

std::string observedRolloutPhase(const json& ro) {
  std::string gen = str(ro, {"metadata", "generation"});
  std::string observed = str(ro, {"status", "observedGeneration"});
  if (!gen.empty() && gen != observed) return "Progressing";
  std::string phase = str(ro, {"status", "phase"});
  return phase.empty() ? "Progressing" : phase;
}

std::vector<prometheus::MetricFamily> rolloutStateFamilies(
    const std::vector<std::shared_ptr<const json>>& rollouts) {
  auto info = gaugeFamily("rollout_info", "Information about rollout.");
  auto phase = gaugeFamily("rollout_phase", "Information on the state of the rollout (DEPRECATED)");
  auto available = gaugeFamily("rollout_info_replicas_available",
                               "The number of available replicas per rollout.");
  auto unavailable = gaugeFamily("rollout_info_replicas_unavailable",
                                 "The number of unavailable replicas per rollout.");
  auto desired =
      gaugeFamily("rollout_info_replicas_desired", "The number of desired replicas per rollout.");
  auto updated =
      gaugeFamily("rollout_info_replicas_updated", "The number of updated replicas per rollout.");
  static const char* kPhases[] = {"Healthy", "Progressing", "Paused", "Degraded"};
  for (const auto& p : rollouts) {
    if (!p) continue;
    const json& ro = *p;
    std::string ns = str(ro, {"metadata", "namespace"}), name = str(ro, {"metadata", "name"});
    std::string ph = observedRolloutPhase(ro), strategy = strategyOf(ro);
    addGauge(info,
             {{"namespace", ns},
              {"name", name},
              {"strategy", strategy},
              {"traffic_router", trafficRouterOf(ro)},
              {"phase", ph}},
             1);
    for (const char* candidate : kPhases) {
      addGauge(phase,
               {{"namespace", ns}, {"name", name}, {"strategy", strategy}, {"phase", candidate}},
               ph == candidate ? 1 : 0);
    }
    double want = num(ro, "spec", "replicas", 1);
    double avail = num(ro, "status", "availableReplicas");
    double total = num(ro, "status", "replicas");
    addGauge(available, {{"namespace", ns}, {"name", name}}, avail);
    addGauge(unavailable, {{"namespace", ns}, {"name", name}}, std::max(0.0, total - avail));
    addGauge(desired, {{"namespace", ns}, {"name", name}}, want);
    addGauge(updated, {{"namespace", ns}, {"name", name}}, num(ro, "status", "updatedReplicas"));
  }
  return {info, phase, available, unavailable, desired, updated};
}

std::vector<prometheus::MetricFamily> analysisRunStateFamilies(
    const std::vector<std::shared_ptr<const json>>& runs) {
  auto info = gaugeFamily("analysis_run_info", "Information about analysis run.");
  auto metric_phase =
      gaugeFamily("analysis_run_metric_phase",
                  "Information on the duration of a specific metric in the Analysis Run");
  for (const auto& p : runs) {
    if (!p) continue;
    const json& ar = *p;
    std::string ns = str(ar, {"metadata", "namespace"}), name = str(ar, {"metadata", "name"});
    std::string ph = str(ar, {"status", "phase"});
    addGauge(info, {{"namespace", ns}, {"name", name}, {"phase", ph.empty() ? "Pending" : ph}}, 1);
    auto st = ar.find("status");
    if (st == ar.end() || !st->is_object() || !st->contains("metricResults")) continue;
    for (const auto& mr : (*st)["metricResults"]) {
      if (!mr.is_object()) continue;
      addGauge(metric_phase,
               {{"namespace", ns},
                {"name", name},
                {"metric", mr.value("name", "")},
                {"dry_run", mr.value("dryRun", false) ? "true" : "false"},
                {"phase", mr.value("phase", "")}},
               1);
    }
  }
  return {info, metric_phase};
}

std::vector<prometheus::MetricFamily> StateCollector::Collect() const {
  auto out = rolloutStateFamilies(rollouts_ ? rollouts_() : decltype(rollouts_())());
  auto ar =
      analysisRunStateFamilies(analysis_runs_ ? analysis_runs_() : decltype(analysis_runs_())());
  out.insert(out.end(), ar.begin(), ar.end());
  return out;
}

std::string abortService(const json& ro) {
  std::string svc = str(ro, {"spec", "strategy", "canary", "canaryService"});
  return svc.empty() ? str(ro, {"spec", "strategy", "blueGreen", "activeService"}) : svc;
}

bool abortSettled(const json& ro, const json* canary_service) {
  const std::string stable = str(ro, {"status", "stableRS"});
  if (stable.empty()) return false;
  auto bg = json::json_pointer("/spec/strategy/blueGreen");
  if (ro.contains(bg) && ro.at(bg).is_object()) {  // the active Service back on stable
    return canary_service != nullptr &&
           str(*canary_service, {"spec", "selector", kLabelPodTemplateHash}) == stable;
  }
  auto p = json::json_pointer("/spec/strategy/canary");
  if (!ro.contains(p) || !ro.at(p).is_object()) return false;
  const json& canary = ro.at(p);
  bool checked = false;
  if (const std::string svc = str(canary, {"canaryService"}); !svc.empty()) {
    checked = true;
    if (canary_service == nullptr ||
        str(*canary_service, {"spec", "selector", kLabelPodTemplateHash}) != stable) {
      return false;
    }
  }
  auto tr = canary.find("trafficRouting");
  if (tr != canary.end() && tr->is_object() && !tr->empty()) {
    checked = true;
    auto w = json::json_pointer("/status/canary/weights/canary/weight");
    if (ro.contains(w) && ro.at(w).is_number() && ro.at(w).get<double>() != 0) return false;
  }
  return checked || num(ro, "status", "updatedReplicas") == 0;
}

namespace {
bool aborted(const json& ro) {
  auto s = ro.find("status");
  if (s == ro.end() || !s->is_object()) return false;
  auto a = s->find("abort");
  return a != s->end() && a->is_boolean() && a->get<bool>();
}
std::string keyOf(const json& obj) {
  return str(obj, {"metadata", "namespace"}) + "/" + str(obj, {"metadata", "name"});
}
}  // namespace

AbortLatencyTracker::AbortLatencyTracker(std::function<void(double)> observe, Clock clock)
    : observe_(std::move(observe)), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

void AbortLatencyTracker::finish(const std::string& key,
                                 std::chrono::steady_clock::time_point now) {
  std::chrono::steady_clock::time_point seen;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(key);
    if (it == pending_.end()) return;
    seen = it->second;
    pending_.erase(it);
  }
  if (observe_) observe_(std::chrono::duration<double>(now - seen).count());
}

void AbortLatencyTracker::rolloutChanged(const json& old_obj, const json& obj,
                                         const ServiceGetter& services) {
  const std::string key = keyOf(obj);
  const auto now = clock_();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!aborted(obj)) {
      // Retried; an update without the abort that an abort decided just now has yet to reach
      // keeps its clock.
      if (aborted(old_obj)) pending_.erase(key);
      return;
    }
    // Only a transition starts the clock: a resync or a later status write of the same abort
    // does not, nor does an abort found already written when the controller starts.
    if (pending_.count(key) == 0) {
      if (aborted(old_obj)) return;
      pending_.emplace(key, now);
    }
  }
  const std::string svc = abortService(obj);
  std::shared_ptr<const json> service;
  if (!svc.empty() && services) service = services(str(obj, {"metadata", "namespace"}), svc);
  if (abortSettled(obj, service.get())) finish(key, now);
}

void AbortLatencyTracker::serviceChanged(const json& service, const ObjectLister& rollouts) {
  if (pending() == 0 || !rollouts) return;
  const auto now = clock_();
  const std::string name = str(service, {"metadata", "name"});
  for (const auto& ro : rollouts()) {
    if (!ro || abortService(*ro) != name) continue;
    const std::string key = keyOf(*ro);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (pending_.count(key) == 0) continue;
    }
    if (abortSettled(*ro, &service)) finish(key, now);
  }
}

void AbortLatencyTracker::abortDecided(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.emplace(key, clock_());  // keeps an earlier start
}

void AbortLatencyTracker::rolloutDeleted(const json& obj) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.erase(keyOf(obj));
}

std::size_t AbortLatencyTracker::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.size();
}

ControllerMetrics::ControllerMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  rollout_reconcile_ = &prometheus::BuildHistogram()
                            .Name("rollout_reconcile")
                            .Help("Rollout reconciliation performance (seconds), by namespace.")
                            .Register(*registry_);
  rollout_reconcile_error_ = &prometheus::BuildCounter()
                                  .Name("rollout_reconcile_error")
                                  .Help("Error occurring during the rollout")
                                  .Register(*registry_);
  analysis_reconcile_ =
      &prometheus::BuildHistogram()
           .Name("analysis_run_reconcile")
           .Help("Analysis Run reconciliation performance (seconds), by namespace.")
           .Register(*registry_);
  analysis_reconcile_error_ = &prometheus::BuildCounter()
                                   .Name("analysis_run_reconcile_error")
                                   .Help("Error occurring during the analysis run")
                                   .Register(*registry_);
  requests_ =
      &prometheus::BuildCounter()
           .Name("controller_clientset_k8s_request_total")
           .Help("Number of kubernetes requests executed during application reconciliation.")
           .Register(*registry_);
  events_ = &prometheus::BuildCounter()
                 .Name("rollout_events_total")
                 .Help("Count of rollout events")
                 .Register(*registry_);
  abort_latency_ =
      &prometheus::BuildHistogram()
           .Name("vane_abort_latency_seconds")
           .Help("From an abort's trigger to traffic and the canary Service back on stable.")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                            0.5, 1, 2.5, 5, 10});
  rollout_duration_ = &prometheus::BuildHistogram()
                           .Name("rollout_duration_seconds")
                           .Help(
                               "Wall-clock seconds of a finished rollout update, from its start "
                               "to promotion, abort, rollback or supersession.")
                           .Register(*registry_);
  rollout_progression_ = &prometheus::BuildHistogram()
                              .Name("rollout_progression_duration_seconds")
                              .Help(
                                  "Seconds a finished rollout update spent progressing: its "
                                  "duration minus the time it waited for a manual resume.")
                              .Register(*registry_);
  rollout_manual_pause_ = &prometheus::BuildHistogram()
                               .Name("rollout_manual_pause_duration_seconds")
                               .Help(
                                   "Seconds a finished rollout update waited for a human to "
                                   "resume or promote it.")
                               .Register(*registry_);
  notification_success_ = &prometheus::BuildCounter()
                               .Name("notification_send_success")
                               .Help("Notification send success.")
                               .Register(*registry_);
  notification_error_ = &prometheus::BuildCounter()
                             .Name("notification_send_error")
                             .Help("Error sending the notification")
                             .Register(*registry_);
  notification_send_ = &prometheus::BuildHistogram()
                            .Name("notification_send")
                            .Help("Notification send performance.")
                            .Register(*registry_);
  queue_depth_ = &prometheus::BuildGauge()
                      .Name("workqueue_depth")
                      .Help("Current depth of the work queue.")
                      .Register(*registry_);
  queue_latency_ = &prometheus::BuildHistogram()
                        .Name("workqueue_queue_duration_seconds")
                        .Help("How long an item stays in the work queue before being processed.")
                        .Register(*registry_);
}

void ControllerMetrics::observeRolloutReconcile(const std::string& ns, const std::string& name,
                                                double seconds, bool error) {
  rollout_reconcile_->Add({{"namespace", ns}}, kReconcileBuckets).Observe(seconds);
  if (error) rollout_reconcile_error_->Add({{"namespace", ns}, {"name", name}}).Increment();
}

void ControllerMetrics::observeAnalysisRunReconcile(const std::string& ns, double seconds,
                                                    bool error) {
  analysis_reconcile_->Add({{"namespace", ns}}, kReconcileBuckets).Observe(seconds);
  if (error) analysis_reconcile_error_->Add({{"namespace", ns}}).Increment();
}

void ControllerMetrics::observeNotification(const std::string& ns, const std::string& name,
                                            const std::string& type, const std::string& reason,
                                            bool ok, double seconds) {
  (ok ? notification_success_ : notification_error_)
      ->Add({{"namespace", ns}, {"name", name}, {"type", type}, {"reason", reason}})
      .Increment();
  notification_send_->Add({{"namespace", ns}, {"name", name}}, kReconcileBuckets).Observe(seconds);
}

void ControllerMetrics::observeRequest(const std::string& verb, const std::string& resource,
                                       int code) {
  requests_->Add({{"verb", verb}, {"kind", resource}, {"status_code", std::to_string(code)}})
      .Increment();
}

void ControllerMetrics::event(const std::string& ns, const std::string& name,
                              const std::string& type, const std::string& reason) {
  events_->Add({{"namespace", ns}, {"name", name}, {"type", type}, {"reason", reason}}).Increment();
}

void ControllerMetrics::observeAbortLatency(double seconds) { abort_latency_->Observe(seconds); }

void ControllerMetrics::observeRolloutDuration(const RolloutDuration& d) {
  if (!d.completed() || d.completionStatus.empty()) return;
  const prometheus::Labels labels{{"status", d.completionStatus}};
  const auto total = static_cast<double>(d.totalSeconds());
  const auto pause = static_cast<double>(d.manualPauseSeconds());
  rollout_duration_->Add(labels, kRolloutDurationBuckets).Observe(total);
  rollout_progression_->Add(labels, kProgressionBuckets).Observe(total - pause);
  rollout_manual_pause_->Add(labels, kManualPauseBuckets).Observe(pause);
}

void ControllerMetrics::setQueueDepth(const std::string& queue, double depth) {
  queue_depth_->Add({{"name", queue}}).Set(depth);
}

void ControllerMetrics::observeQueueLatency(const std::string& queue, double seconds) {
  queue_latency_
      ->Add({{"name", queue}}, prometheus::Histogram::BucketBoundaries{0.001, 0.01, 0.1, 1, 10})
      .Observe(seconds);
}

void ControllerMetrics::addStateCollector(ObjectLister rollouts, ObjectLister analysis_runs) {
  state_ = std::make_shared<StateCollector>(std::move(rollouts), std::move(analysis_runs));
}

http::Response ControllerMetrics::serve() const {
  auto families = registry_->Collect();
  if (state_) {
    auto more = state_->Collect();
    families.insert(families.end(), more.begin(), more.end());
  }
  http::Response r;
  r.status = 200;
  r.headers.emplace_back("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  r.body = prometheus::TextSerializer().Serialize(families);
  return r;
}

}  // namespace vane::controller
