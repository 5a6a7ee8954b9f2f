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
  Result<json> list(const kube::Resource&, const std::string&, const kube::ListOptions&) override {
    return Status(Code::kUnsupported, "not used");
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

  void finish(const std::string& name, const std::string& type) {
    jobs[name]["status"]["conditions"] = {{{"type", type}, {"status", "True"}}};
  }

  kube::RestConfig config_;
  std::map<std::string, json> jobs;
  std::vector<json> created;
  std::vector<std::string> deleted;
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

TEST_F(JobProviderTest, TerminateDeletesJob) {
  json run = jobRun();
  step(run, seconds(0));
  run["spec"]["terminate"] = true;
  step(run, seconds(1));
  EXPECT_EQ(client_.deleted, std::vector<std::string>{"u-9.smoke.1 Background"});
  EXPECT_EQ(run["status"]["phase"], "Successful");
  EXPECT_EQ(run["status"]["message"], "Run Terminated");
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
