// The job provider with a kube::Client fake that records the Jobs it is asked to create and
// delete (intent) and answers get() with a Job status the test sets (fault injection).
#include "analysis/job_provider.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "analysis/analysis_run.h"

namespace vane::analysis {
namespace {

using std::chrono::seconds;

class RecordingClient : public kube::Client {
 public:
  const kube::RestConfig& config() const override { return config_; }
  Result<json> get(const kube::Resource&, const std::string&, const std::string& name) override {
    auto it = jobs.find(name);
    if (it == jobs.end()) return Status(Code::kNotFound, "jobs.batch \"" + name + "\" not found");
    return it->second;
  }
  // Pods are read on demand by label selector; the test records the selectors asked for.
  Result<json> list(const kube::Resource& r, const std::string&,
                    const kube::ListOptions& opts) override {
    EXPECT_EQ(r, kube::resources::kPods);
    pod_selectors.push_back(opts.label_selector);
    if (!pods_error.empty()) return Status(Code::kUnavailable, pods_error);
    return json{{"items", pods}};
  }
  Result<json> create(const kube::Resource& r, const std::string& ns, const json& obj) override {
    EXPECT_EQ(r, kube::resources::kJobs);
    EXPECT_EQ(ns, obj["metadata"]["namespace"]);
    created.push_back(obj);
    jobs[obj["metadata"]["name"]] = obj;
    return obj;
  }
  Result<json> update(const kube::Resource&, const std::string&, const json&) override {
    return Status(Code::kUnsupported, "not used");
  }
  Result<json> updateStatus(const kube::Resource&, const std::string&, const json&) override {
    return Status(Code::kUnsupported, "not used");
  }
  Result<json> patch(const kube::Resource&, const std::string&, const std::string&, kube::PatchType,
                     const json&, const std::string&, const std::string&) override {
    return Status(Code::kUnsupported, "not used");
  }
  Status remove(const kube::Resource&, const std::string&, const std::string& name,
                const kube::DeleteOptions& opts) override {
    deleted.push_back(name + " " + opts.propagation_policy);
    jobs.erase(name);
    return Status::ok();
  }
  Result<std::unique_ptr<kube::WatchStream>> watch(const kube::Resource&, const std::string&,
                                                   const kube::ListOptions&) override {
    return Status(Code::kUnsupported, "not used");
  }
  Result<json> raw(const std::string&, const std::string&, const json&) override {
    return Status(Code::kUnsupported, "not used");
  }
  void setRequestObserver(kube::RequestObserver) override {}

  void finish(const std::string& name, const std::string& type, const std::string& reason = "",
              const std::string& message = "") {
    json c = {{"type", type}, {"status", "True"}};
    if (!reason.empty()) c["reason"] = reason;
    if (!message.empty()) c["message"] = message;
    jobs[name]["status"]["conditions"] = json::array({c});
  }
  // A pod of the Job whose container waits with the given reason.
  void waitingPod(const std::string& pod, const char* statuses, const std::string& reason) {
    json cs = {{"name", "t"},
               {"state", {{"waiting", {{"reason", reason}, {"message", "pull access denied"}}}}}};
    pods.push_back({{"metadata", {{"name", pod}}}, {"status", {{statuses, json::array({cs})}}}});
  }

  kube::RestConfig config_;
  std::map<std::string, json> jobs;
  std::vector<json> created;
  std::vector<std::string> deleted;
  json pods = json::array();
  std::string pods_error;
  std::vector<std::string> pod_selectors;
};

json jobRun() {
  json container = {{"name", "t"}, {"image", "curl"}, {"args", {"{{args.url}}"}}};
  json pod_spec = {{"restartPolicy", "Never"}, {"containers", json::array({container})}};
  json job = {{"metadata", {{"labels", {{"team", "qa"}}}}},
              {"spec", {{"backoffLimit", 0}, {"template", {{"spec", pod_spec}}}}}};
  json metric = {{"name", "smoke"}, {"provider", {{"job", job}}}};
  json args = json::array({{{"name", "url"}, {"value", "http://svc"}}});
  return {{"metadata", {{"name", "demo-h-1-2"}, {"namespace", "shop"}, {"uid", "u-9"}}},
          {"spec", {{"metrics", json::array({metric})}, {"args", args}}}};
}

class JobProviderTest : public ::testing::Test {
 protected:
  JobProviderTest() {
    registry_.add(std::make_unique<JobProvider>(client_, seconds(5)));
    t0_ = *parseTime("2026-11-24T20:00:00Z");
  }
  ReconcileOutcome step(json& run, seconds offset) {
    auto out = reconcileAnalysisRun(run, t0_ + offset, registry_);
    run["status"] = out.status;
    return out;
  }
  RecordingClient client_;
  ProviderRegistry registry_;
  TimePoint t0_;
};

TEST_F(JobProviderTest, CompletedJobIsSuccessful) {
  json run = jobRun();
  auto out = step(run, seconds(0));
  ASSERT_EQ(client_.created.size(), 1u);
  const json& job = client_.created[0];
  EXPECT_EQ(job["metadata"]["name"], "u-9.smoke.1");
  EXPECT_EQ(job["metadata"]["labels"]["team"], "qa");
  EXPECT_EQ(job["metadata"]["labels"]["analysisrun.argoproj.io/metric-name"], "smoke");
  EXPECT_EQ(job["metadata"]["ownerReferences"][0]["kind"], "AnalysisRun");
  EXPECT_EQ(job["spec"]["template"]["spec"]["containers"][0]["args"][0], "http://svc");
  EXPECT_EQ(run["status"]["phase"], "Running");
  ASSERT_TRUE(out.requeue_after.has_value());
  EXPECT_EQ(*out.requeue_after, seconds(5));

  step(run, seconds(5));  // still running: polled again later
  EXPECT_EQ(run["status"]["phase"], "Running");
  client_.finish("u-9.smoke.1", "Complete");
  step(run, seconds(10));
  EXPECT_EQ(run["status"]["phase"], "Successful") << run["status"].dump(2);
  const json& m = run["status"]["metricResults"][0]["measurements"][0];
  EXPECT_EQ(m["metadata"]["job-name"], "u-9.smoke.1");
  EXPECT_EQ(m["finishedAt"], "2026-11-24T20:00:10Z");
  EXPECT_EQ(client_.created.size(), 1u);
}

TEST_F(JobProviderTest, FailedJobFailsRun) {
  json run = jobRun();
  step(run, seconds(0));
  client_.finish("u-9.smoke.1", "Failed");
  step(run, seconds(5));
  EXPECT_EQ(run["status"]["phase"], "Failed");
  EXPECT_THAT(run["status"]["message"].get<std::string>(),
              ::testing::HasSubstr("job u-9.smoke.1 failed"));
}

// Argo #4602: a Job stopped because its run was terminated (promote past the step, abort,
// full promotion) never decided, so the measurement, the metric and the run are Inconclusive,
// never Successful.
TEST_F(JobProviderTest, TerminatedJobIsInconclusive) {
  json run = jobRun();
  step(run, seconds(0));
  run["spec"]["terminate"] = true;
  step(run, seconds(1));
  EXPECT_EQ(client_.deleted, std::vector<std::string>{"u-9.smoke.1 Background"});
  EXPECT_EQ(run["status"]["phase"], "Inconclusive") << run["status"].dump(2);
  const json& r = run["status"]["metricResults"][0];
  EXPECT_EQ(r["phase"], "Inconclusive");
  EXPECT_EQ(r["inconclusive"], 1);
  EXPECT_EQ(r["measurements"][0]["phase"], "Inconclusive");
  EXPECT_EQ(r["measurements"][0]["message"], "Metric Terminated");
  EXPECT_EQ(r["measurements"][0]["finishedAt"], "2026-11-24T20:00:01Z");
}

// TestCanaryBackgroundAnalysisLongRunningJobWithDeadline: a Job killed by its own
// activeDeadlineSeconds is Failed (not Inconclusive), and says why.
TEST_F(JobProviderTest, JobPastItsDeadlineFails) {
  json run = jobRun();
  step(run, seconds(0));
  client_.finish("u-9.smoke.1", "Failed", "DeadlineExceeded",
                 "Job was active longer than specified deadline");
  step(run, seconds(5));
  EXPECT_EQ(run["status"]["phase"], "Failed");
  const json& m = run["status"]["metricResults"][0]["measurements"][0];
  EXPECT_EQ(m["phase"], "Failed");
  EXPECT_EQ(m["message"],
            "job u-9.smoke.1 failed: DeadlineExceeded: Job was active longer than specified "
            "deadline");
}

// Argo #4692: a pod that cannot pull its image leaves the Job running forever; the measurement
// is Inconclusive at once with the pod's reason, so the rollout pauses for a person.
TEST_F(JobProviderTest, UnpullableImageIsInconclusiveWithThePodsReason) {
  for (const char* reason : {"ErrImagePull", "ImagePullBackOff", "InvalidImageName"}) {
    SCOPED_TRACE(reason);
    client_.jobs.clear();
    client_.pods = json::array();
    client_.pod_selectors.clear();
    json run = jobRun();
    step(run, seconds(0));
    client_.jobs["u-9.smoke.1"]["metadata"]["uid"] = "job-uid-1";
    client_.waitingPod("u-9.smoke.1-abcde", "containerStatuses", reason);
    step(run, seconds(5));
    EXPECT_EQ(client_.pod_selectors, std::vector<std::string>{"controller-uid=job-uid-1"});
    const json& m = run["status"]["metricResults"][0]["measurements"][0];
    EXPECT_EQ(m["phase"], "Inconclusive");
    EXPECT_EQ(m["message"], "Pod u-9.smoke.1-abcde, container t has terminal error (" +
                                std::string(reason) + "): pull access denied");
    EXPECT_EQ(run["status"]["phase"], "Inconclusive");
    EXPECT_TRUE(client_.deleted.empty());
  }
}

TEST_F(JobProviderTest, InitContainerPullErrorCountsAndSelectorComesFromTheJob) {
  json run = jobRun();
  step(run, seconds(0));
  client_.jobs["u-9.smoke.1"]["spec"]["selector"]["matchLabels"] = {
      {"batch.kubernetes.io/controller-uid", "x-1"}};
  client_.waitingPod("p", "initContainerStatuses", "ErrImagePull");
  step(run, seconds(5));
  EXPECT_EQ(client_.pod_selectors,
            std::vector<std::string>{"batch.kubernetes.io/controller-uid=x-1"});
  EXPECT_EQ(run["status"]["phase"], "Inconclusive");
}

// Pods pulling their image or merely crashing are not terminal: the Job keeps running.
TEST_F(JobProviderTest, PodStillStartingKeepsRunning) {
  json run = jobRun();
  step(run, seconds(0));
  client_.waitingPod("p", "containerStatuses", "ContainerCreating");
  step(run, seconds(5));
  EXPECT_EQ(client_.pod_selectors, std::vector<std::string>{"job-name=u-9.smoke.1"});
  EXPECT_EQ(run["status"]["phase"], "Running");
  client_.pods_error = "connection refused";
  step(run, seconds(10));
  const json& m = run["status"]["metricResults"][0]["measurements"][0];
  EXPECT_EQ(m["phase"], "Error");
  EXPECT_THAT(m["message"].get<std::string>(), ::testing::HasSubstr("connection refused"));
}

// Each measurement gets its own Job (the number counts measurements and errors), and a Job of
// another run with the same name is never adopted.
TEST_F(JobProviderTest, EveryMeasurementHasItsOwnJob) {
  json run = jobRun();
  run["spec"]["metrics"][0]["interval"] = "10s";
  run["spec"]["metrics"][0]["count"] = 2;
  step(run, seconds(0));
  client_.finish("u-9.smoke.1", "Complete");
  step(run, seconds(5));
  step(run, seconds(15));
  ASSERT_EQ(client_.created.size(), 2u);
  EXPECT_EQ(client_.created[1]["metadata"]["name"], "u-9.smoke.2");
}

// create() answering AlreadyExists, as the API server does for a name taken.
struct CollidingClient : RecordingClient {
  Result<json> create(const kube::Resource&, const std::string&, const json& obj) override {
    if (jobs.count(obj["metadata"]["name"])) return Status(Code::kAlreadyExists, "exists");
    jobs[obj["metadata"]["name"]] = obj;
    return obj;
  }
};

TEST(JobAdoptionTest, JobOfAnotherRunIsNotAdopted) {
  const json run = jobRun();
  const json& metric = run["spec"]["metrics"][0];
  const TimePoint t0 = *parseTime("2026-11-24T20:00:00Z");
  CollidingClient client;
  client.jobs["u-9.smoke.1"] = newMetricJob(MetricContext{metric, "shop", "other", "u-8", t0}, 1);
  JobProvider p(client);
  Measurement m = p.run(MetricContext{metric, "shop", "demo-h-1-2", "u-9", t0});
  EXPECT_EQ(m.phase, Phase::kError);
  EXPECT_THAT(m.message, ::testing::HasSubstr("exists"));
  // The same run's own Job (a create whose answer was lost) is adopted.
  client.jobs["u-9.smoke.1"]["metadata"]["labels"]["analysisrun.argoproj.io/uid"] = "u-9";
  m = p.run(MetricContext{metric, "shop", "demo-h-1-2", "u-9", t0});
  EXPECT_EQ(m.phase, Phase::kRunning);
  EXPECT_EQ(m.metadata["job-name"], "u-9.smoke.1");
}

// Argo #4305: Job names fit a 63-character label; the metric name gives up the excess.
TEST(JobNameTest, ShortenedTo63Characters) {
  const std::string uid = "0f2c4d7e-9b1a-4c3e-8f5d-6a7b8c9d0e1f";  // 36 characters
  EXPECT_EQ(metricJobName(uid, "smoke", 3), uid + ".smoke.3");
  const std::string name = metricJobName(uid, "a-very-long-metric-name-that-does-not-fit", 12);
  EXPECT_EQ(name.size(), 63u);
  EXPECT_EQ(name, uid + ".a-very-long-metric-name.12");
  // A cut that would end the metric part in '-' is trimmed (a DNS label ends alphanumeric).
  const std::string cut = metricJobName(uid, "abcdefghijklmnopqrstuvw-yz", 1);
  EXPECT_EQ(cut, uid + ".abcdefghijklmnopqrstuvw.1");
  EXPECT_LE(cut.size(), 63u);
}

TEST_F(JobProviderTest, VanishedJobIsError) {
  json run = jobRun();
  step(run, seconds(0));
  client_.jobs.clear();
  step(run, seconds(5));
  const json& m = run["status"]["metricResults"][0]["measurements"][0];
  EXPECT_EQ(m["phase"], "Error");
  EXPECT_THAT(m["message"].get<std::string>(), ::testing::HasSubstr("not found"));
}

}  // namespace
}  // namespace vane::analysis
