// The `job` metric provider: a Kubernetes Job created from provider.job {metadata, spec}, judged
// by its outcome (Argo: metricproviders/job/job.go). Asynchronous: run() creates the Job and
// returns a Running measurement with resumeAt; resume() reads the Job (Complete -> Successful,
// Failed -> Failed, including a Job killed by its activeDeadlineSeconds; while it runs, its pods
// are listed and one stuck in ErrImagePull/ImagePullBackOff/InvalidImageName makes the
// measurement Inconclusive with the pod's reason, Argo #4692); terminate() deletes it (background
// propagation) and completes the measurement as Inconclusive, as Argo does since #4602.
#pragma once

#include <chrono>

#include "analysis/provider.h"
#include "kube/client.h"

namespace vane::analysis {

inline constexpr std::string_view kJobNameKey = "job-name";
inline constexpr std::string_view kJobNamespaceKey = "job-namespace";
inline constexpr std::string_view kLabelAnalysisRunUid = "analysisrun.argoproj.io/uid";
inline constexpr std::string_view kLabelAnalysisRunName = "analysisrun.argoproj.io/name";
inline constexpr std::string_view kLabelMetricName = "analysisrun.argoproj.io/metric-name";

/// `<runUID>.<metric>.<n>`, at most 63 characters: a longer name loses the end of the metric
/// name (Argo #4305), and a cut ending in '-' or '.' is trimmed to keep it a valid DNS name.
std::string metricJobName(const std::string& run_uid, const std::string& metric_name,
                          int64_t measurement_number);

/// The Job object for one measurement: named by metricJobName, labels naming the run and
/// metric, ownerReference to the AnalysisRun (controller true).
json newMetricJob(const MetricContext& ctx, int64_t measurement_number);

class JobProvider : public MetricProvider {
 public:
  /// client must outlive the provider; poll is how often an in-flight Job is re-read.
  explicit JobProvider(kube::Client& client, std::chrono::seconds poll = std::chrono::seconds(5))
      : client_(client), poll_(poll) {}
  std::string_view type() const override { return "job"; }
  Measurement run(const MetricContext& ctx) override;
  Measurement resume(const MetricContext& ctx, const Measurement& in_flight) override;
  Measurement terminate(const MetricContext& ctx, const Measurement& in_flight) override;

 private:
  kube::Client& client_;
  std::chrono::seconds poll_;
};

}  // namespace vane::analysis
