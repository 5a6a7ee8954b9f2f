#include "analysis/job_provider.h"

#include <optional>

namespace vane::analysis {

namespace {

// Kubernetes' DNS label limit: the Job controller copies the Job's name into its pods' job-name
// label, so a longer name makes the Job's pods impossible to create (Argo #4305).
constexpr size_t kJobNameLimit = 63;

// Container waiting reasons after which a Job never makes progress by itself (Argo #4692,
// metricproviders/job/job.go terminalWaitingReasons).
bool terminalWaitingReason(const std::string& reason) {
  return reason == "ErrImagePull" || reason == "ImagePullBackOff" || reason == "InvalidImageName";
}

// The Job's terminal condition: "Complete" or "Failed" with status "True", else "".
std::string jobOutcome(const json& job) {
  const json conditions = job.value(json::json_pointer("/status/conditions"), json::array());
  if (!conditions.is_array()) return "";
  for (const auto& c : conditions) {
    if (!c.is_object() || c.value("status", "") != "True") continue;
    std::string type = c.value("type", "");
    if (type == "Complete" || type == "Failed") return type;
  }
  return "";
}

// The Job's Failed condition explained: "job X failed: DeadlineExceeded: Job was active longer
// than specified deadline".
std::string failureMessage(const json& job, const std::string& name) {
  std::string msg = "job " + name + " failed";
  const json conditions = job.value(json::json_pointer("/status/conditions"), json::array());
  if (!conditions.is_array()) return msg;
  for (const auto& c : conditions) {
    if (!c.is_object() || c.value("type", "") != "Failed" || c.value("status", "") != "True") {
      continue;
    }
    const std::string reason = c.value("reason", ""), message = c.value("message", "");
    if (!reason.empty()) msg += ": " + reason;
    if (!message.empty()) msg += ": " + message;
    break;
  }
  return msg;
}

// The label selector of a Job's pods: its spec.selector.matchLabels as the Job controller sets
// them, else the controller-uid (or job-name) label it puts on every pod.
std::string podSelector(const json& job, const std::string& name) {
  const json match = job.value(json::json_pointer("/spec/selector/matchLabels"), json::object());
  std::string sel;
  if (match.is_object()) {
    for (const auto& [k, v] : match.items()) {
      if (!v.is_string()) continue;
      sel += (sel.empty() ? "" : ",") + k + "=" + v.get<std::string>();
    }
  }
  if (!sel.empty()) return sel;
  const std::string uid = job.value(json::json_pointer("/metadata/uid"), std::string());
  return uid.empty() ? "job-name=" + name : "controller-uid=" + uid;
}

// The first container (init containers first) of the Job's pods stuck in a terminal waiting
// reason: "Pod p, container c has terminal error (ErrImagePull): <kubelet message>".
std::optional<std::string> terminalPodError(const json& pods) {
  const json items = pods.value("items", json::array());
  if (!items.is_array()) return std::nullopt;
  for (const auto& pod : items) {
    if (!pod.is_object()) continue;
    const std::string pod_name = pod.value(json::json_pointer("/metadata/name"), std::string());
    for (const char* key : {"initContainerStatuses", "containerStatuses"}) {
      const json statuses =
          pod.value(json::json_pointer("/status/" + std::string(key)), json::array());
      if (!statuses.is_array()) continue;
      for (const auto& cs : statuses) {
        const json waiting = cs.value(json::json_pointer("/state/waiting"), json());
        if (!waiting.is_object() || !terminalWaitingReason(waiting.value("reason", ""))) continue;
        return "Pod " + pod_name + ", container " + cs.value("name", "") + " has terminal error (" +
               waiting.value("reason", "") + "): " + waiting.value("message", "");
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::string metricJobName(const std::string& run_uid, const std::string& metric_name,
                          int64_t measurement_number) {
  const std::string suffix = "." + std::to_string(measurement_number);
  std::string name = run_uid + "." + metric_name + suffix;
  if (name.size() <= kJobNameLimit) return name;
  // As Argo (newJobName): the metric name gives up the characters over the limit.
  const size_t over = name.size() - kJobNameLimit;
  std::string metric =
      metric_name.substr(0, metric_name.size() > over ? metric_name.size() - over : 0);
  // Unlike Argo, a cut that leaves the metric part ending in '-' or '.' is trimmed further: a DNS
  // name label must end alphanumeric or the Job is refused (Argo #4305 keeps it).
  while (!metric.empty() && (metric.back() == '-' || metric.back() == '.')) metric.pop_back();
  return run_uid + "." + metric + suffix;
}

json newMetricJob(const MetricContext& ctx, int64_t measurement_number) {
  const json spec = ctx.metric.value(json::json_pointer("/provider/job"), json::object());
  std::string metric_name = ctx.metric.value("name", "");
  json metadata = spec.value("metadata", json::object());
  if (!metadata.is_object()) metadata = json::object();
  metadata["name"] = metricJobName(ctx.run_uid, metric_name, measurement_number);
  metadata["namespace"] = ctx.namespace_;
  json& labels = metadata["labels"];
  if (!labels.is_object()) labels = json::object();
  labels[std::string(kLabelAnalysisRunUid)] = ctx.run_uid;
  labels[std::string(kLabelAnalysisRunName)] = ctx.run_name;
  labels[std::string(kLabelMetricName)] = metric_name;
  metadata["ownerReferences"] = json::array({{{"apiVersion", "argoproj.io/v1alpha1"},
                                              {"kind", "AnalysisRun"},
                                              {"name", ctx.run_name},
                                              {"uid", ctx.run_uid},
                                              {"controller", true},
                                              {"blockOwnerDeletion", true}}});
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", metadata},
          {"spec", spec.value("spec", json::object())}};
}

Measurement JobProvider::run(const MetricContext& ctx) {
  TimePoint now = ctx.now;
  json job = newMetricJob(ctx, ctx.measurement_number);
  std::string name = job["metadata"]["name"];
  auto created = client_.create(kube::resources::kJobs, ctx.namespace_, job);
  if (!created && created.status().code() != Code::kAlreadyExists) {
    return errorMeasurement(
        "job " + ctx.namespace_ + "/" + name + " not created: " + created.status().message(), now,
        now);
  }
  if (!created) {
    // A create that already happened (a status write lost) is adopted, but only a Job of this
    // run (Argo compares the owner's uid): another run's Job is never judged as ours.
    auto existing = client_.get(kube::resources::kJobs, ctx.namespace_, name);
    std::string owner;
    if (existing) {
      const json labels = existing->value(json::json_pointer("/metadata/labels"), json::object());
      if (labels.is_object()) owner = labels.value(std::string(kLabelAnalysisRunUid), "");
    }
    if (owner != ctx.run_uid) {
      return errorMeasurement(
          "job " + ctx.namespace_ + "/" + name + " not created: " + created.status().message(), now,
          now);
    }
  }
  Measurement m;
  m.phase = Phase::kRunning;
  m.startedAt = now;
  m.resumeAt = now + poll_;
  m.metadata[std::string(kJobNameKey)] = name;
  m.metadata[std::string(kJobNamespaceKey)] = ctx.namespace_;
  return m;
}

Measurement JobProvider::resume(const MetricContext& ctx, const Measurement& in_flight) {
  Measurement m = in_flight;
  auto it = m.metadata.find(std::string(kJobNameKey));
  if (it == m.metadata.end()) {
    return errorMeasurement("measurement has no job-name metadata", *m.startedAt, ctx.now);
  }
  auto job = client_.get(kube::resources::kJobs, ctx.namespace_, it->second);
  if (!job) {
    Measurement e =
        errorMeasurement("job " + ctx.namespace_ + "/" + it->second + ": " + job.status().message(),
                         m.startedAt.value_or(ctx.now), ctx.now);
    e.metadata = m.metadata;
    return e;
  }
  std::string outcome = jobOutcome(*job);
  if (outcome.empty()) {
    // Pods that can never start (an image that cannot be pulled) leave the Job running forever:
    // Inconclusive, so that the rollout pauses for a person (Argo #4692). Read on demand, only
    // for Jobs still running: the controller keeps no cache of pods.
    kube::ListOptions opts;
    opts.label_selector = podSelector(*job, it->second);
    auto pods = client_.list(kube::resources::kPods, ctx.namespace_, opts);
    if (!pods) {
      Measurement e = errorMeasurement(
          "pods of job " + ctx.namespace_ + "/" + it->second + ": " + pods.status().message(),
          m.startedAt.value_or(ctx.now), ctx.now);
      e.metadata = m.metadata;
      return e;
    }
    if (auto err = terminalPodError(*pods)) {
      m.phase = Phase::kInconclusive;
      m.message = *err;
      m.finishedAt = ctx.now;
      m.resumeAt.reset();
      return m;
    }
    m.resumeAt = ctx.now + poll_;
    return m;
  }
  // A Job killed by its own activeDeadlineSeconds or backoffLimit is Failed (reason
  // DeadlineExceeded / BackoffLimitExceeded in the message).
  m.phase = outcome == "Complete" ? Phase::kSuccessful : Phase::kFailed;
  if (m.phase == Phase::kFailed) m.message = failureMessage(*job, it->second);
  m.finishedAt = ctx.now;
  m.resumeAt.reset();
  return m;
}

Measurement JobProvider::terminate(const MetricContext& ctx, const Measurement& in_flight) {
  Measurement m = in_flight;
  auto it = m.metadata.find(std::string(kJobNameKey));
  if (it != m.metadata.end()) {
    kube::DeleteOptions opts;
    opts.propagation_policy = "Background";
    Status s = client_.remove(kube::resources::kJobs, ctx.namespace_, it->second, opts);
    if (!s && s.code() != Code::kNotFound) {
      Measurement e = errorMeasurement("job " + it->second + " not deleted: " + s.message(),
                                       m.startedAt.value_or(ctx.now), ctx.now);
      e.metadata = m.metadata;
      return e;
    }
  }
  // A Job stopped because its run was terminated never decided: Inconclusive, not Successful
  // (Argo #4602); the engine names it "Metric Terminated".
  m.phase = Phase::kInconclusive;
  m.finishedAt = ctx.now;
  m.resumeAt.reset();
  return m;
}

}  // namespace vane::analysis
