#include "analysis/job_provider.h"

namespace vane::analysis {

namespace {

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

}  // namespace

json newMetricJob(const MetricContext& ctx, int64_t measurement_number) {
  const json spec = ctx.metric.value(json::json_pointer("/provider/job"), json::object());
  std::string metric_name = ctx.metric.value("name", "");
  json metadata = spec.value("metadata", json::object());
  if (!metadata.is_object()) metadata = json::object();
  metadata["name"] = ctx.run_uid + "." + metric_name + "." + std::to_string(measurement_number);
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
    m.resumeAt = ctx.now + poll_;
    return m;
  }
  m.phase = outcome == "Complete" ? Phase::kSuccessful : Phase::kFailed;
  if (m.phase == Phase::kFailed) m.message = "job " + it->second + " failed";
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
  m.phase = Phase::kSuccessful;
  m.message = "metric terminated";
  m.finishedAt = ctx.now;
  m.resumeAt.reset();
  return m;
}

}  // namespace vane::analysis
