#include "support/controller_fixture.h"

#include <fstream>
#include <iostream>

#include "analysis/job_provider.h"
#include "trafficrouting/gatewayapi_router.h"
#include "trafficrouting/istio_router.h"

namespace vane::testing {

using nlohmann::json;
namespace res = kube::resources;

void ControllerFixture::SetUp() {
  server_ = ApiServer::start();
  ASSERT_TRUE(server_) << "vane-apiserver did not start";
  dir_ = makeTempDir("vane-ctrl");
  const std::string crds = std::string(VANE_SOURCE_DIR) + "/crds/";
  kubectlOk("apply -f " + crds + "rollout-crd.yaml -f " + crds + "analysis-run-crd.yaml -f " +
            crds + "analysis-template-crd.yaml -f " + crds + "experiment-crd.yaml");
  auto config = kube::loadKubeconfig(server_->kubeconfig());
  ASSERT_TRUE(config.ok()) << config.status().toString();
  auto client = kube::Client::create(*config);
  ASSERT_TRUE(client.ok());
  client_ = std::move(*client);
  events_ = kube::EventRecorder::create(*client_);
  providers_.add(std::make_unique<analysis::JobProvider>(*client_, std::chrono::seconds(1)));
  trafficrouting::registerIstioRouter(routers_, *client_);
  trafficrouting::registerGatewayApiRouter(routers_, *client_);
  startController();
}

void ControllerFixture::startController(const std::string& instance_id) {
  if (controller_) controller_->stop();
  controller_.reset();
  controller::ControllerOptions opts;
  opts.workers = 2;
  opts.instanceId = instance_id;
  opts.rolloutFinished = [this](const controller::RolloutDuration& d) {
    metrics_.observeRolloutDuration(d);
  };
  controller_ =
      std::make_unique<controller::Manager>(*client_, opts, events_.get(), &routers_, &providers_);
  Status st = controller_->start(std::chrono::seconds(20));
  ASSERT_TRUE(st.isOk()) << st.toString();
}

void ControllerFixture::TearDown() {
  if (controller_) controller_->stop();
  if (events_) events_->stop();
  if (HasFailure() && server_) std::cerr << "apiserver log:\n" << server_->process()->log();
}

void ControllerFixture::kubectlOk(const std::string& args) {
  auto r = run(server_->kubectl() + " " + args);
  ASSERT_EQ(r.exit_code, 0) << args << "\n" << r.output;
}

void ControllerFixture::applyYaml(const std::string& yaml) {
  const std::string file = dir_ + "/m" + std::to_string(files_++) + ".yaml";
  std::ofstream(file) << yaml;
  kubectlOk("apply -f " + file);
}

void ControllerFixture::patchStatus(const std::string& name, const std::string& json_patch) {
  kubectlOk("patch rollout " + name + " --subresource=status --type merge -p '" + json_patch + "'");
}

void ControllerFixture::promote(const std::string& name) {
  patchStatus(name, R"({"status":{"pauseConditions":null}})");
}

json ControllerFixture::get(const kube::Resource& resource, const std::string& name) {
  auto r = client_->get(resource, "default", name);
  return r.ok() ? *r : json::object();
}

std::string ControllerFixture::status(const std::string& field, const std::string& name) {
  json ro = rollout(name);
  auto p = json::json_pointer("/status/" + field);
  if (!ro.contains(p)) return "";
  return ro.at(p).is_string() ? ro.at(p).get<std::string>() : ro.at(p).dump();
}

std::string ControllerFixture::serviceHash(const std::string& service) {
  json svc = get(res::kServices, service);
  auto p = json::json_pointer("/spec/selector/rollouts-pod-template-hash");
  return svc.contains(p) && svc.at(p).is_string() ? svc.at(p).get<std::string>() : "";
}

std::map<std::string, int> ControllerFixture::counts() {
  std::map<std::string, int> out;
  auto list = client_->list(res::kReplicaSets, "default");
  if (!list.ok()) return out;
  for (const auto& rs : (*list)["items"]) {
    out[rs["metadata"]["labels"].value("rollouts-pod-template-hash", "")] =
        rs["spec"].value("replicas", 0);
  }
  return out;
}

std::string ControllerFixture::describe(const std::string& name) {
  json ro = rollout(name);
  std::string out = ro.value("status", json::object()).dump() + "\nRS:";
  for (auto& [h, n] : counts()) out += " " + h + "=" + std::to_string(n);
  return out;
}

}  // namespace vane::testing
