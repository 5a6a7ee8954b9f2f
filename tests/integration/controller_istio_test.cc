// Argo Rollouts' Istio examples end to end: the Rollout controller in-process (with the Istio
// router registered as in vane-controller) against vane-apiserver --simulate-workloads with the
// Istio CRDs applied, manifests applied with real kubectl. Every write of a VirtualService or
// DestinationRule is recorded by an informer, and each one is checked: weights sum to 100, every
// field the router does not own is as the user wrote it, and it is valid against the Istio CRD's
// openAPIV3Schema. The sequence of writes is compared with the one Argo's algorithm produces
// (reference section 2), and at every pause the VirtualService and status.canary.weights agree.
#include <gtest/gtest.h>

#include <fstream>
#include <mutex>
#include <set>

#include "apiserver/schema.h"
#include "controller/manager.h"
#include "kube/client.h"
#include "kube/events.h"
#include "kube/informer.h"
#include "support/controller_fixture.h"
#include "support/manifests.h"
#include "support/process.h"
#include "trafficrouting/istio_router.h"
#include "trafficrouting/router.h"

namespace vane::controller {
namespace {

using nlohmann::json;
using std::chrono::seconds;
namespace res = kube::resources;
using Writes = std::vector<std::string>;

constexpr const char* kIstioVersion = "v1alpha3";

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  for (auto p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

/// "a.b=v,c=w": the leaves of a match block, keys sorted (nlohmann objects are ordered).
std::string flatten(const json& j, const std::string& prefix = "") {
  if (!j.is_object()) return prefix + "=" + (j.is_string() ? j.get<std::string>() : j.dump());
  std::string out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    out += (out.empty() ? "" : ",") +
           flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key());
  }
  return out;
}

std::string weightsOf(const json& route) {
  std::string out;
  for (const json& d : route.value("route", json::array())) {
    out += (out.empty() ? "" : "/") + std::to_string(d.value("weight", 0));
  }
  return out;
}

/// One line per VirtualService state: "name[match]@mirror=weights | ..." for http, then tls/tcp.
std::string summary(const json& vs) {
  std::string out;
  const json spec = vs.value("spec", json::object());
  for (const char* section : {"http", "tls", "tcp"}) {
    for (const json& r : spec.value(section, json::array())) {
      std::string s = std::string(section) == "http" ? r.value("name", "") : section;
      for (const json& m : r.value("match", json::array())) {
        if (std::string(section) == "http") s += "[" + flatten(m) + "]";
      }
      if (r.contains("mirror")) {
        s += "@" + r["mirror"].value("host", "") + ":" +
             std::to_string(static_cast<int>(r["mirrorPercentage"].value("value", 100.0)));
      }
      out += (out.empty() ? "" : " | ") + s + "=" + weightsOf(r);
    }
  }
  return out;
}

/// Subset name -> rollouts-pod-template-hash label, "name=hash ..." in subset order.
std::string subsetSummary(const json& dr) {
  std::string out;
  for (const json& s : dr["spec"].value("subsets", json::array())) {
    json labels = s.value("labels", json::object());
    out += (out.empty() ? "" : " ") + s.value("name", "") + "=" +
           labels.value("rollouts-pod-template-hash", "-");
  }
  return out;
}

/// The object as the user owns it: no server metadata, no managed routes, no weights.
json userPart(json vs, const std::set<std::string>& managed) {
  for (const char* f :
       {"resourceVersion", "generation", "managedFields", "creationTimestamp", "uid"}) {
    vs["metadata"].erase(f);
  }
  if (vs["metadata"].contains("annotations")) {
    vs["metadata"]["annotations"].erase("kubectl.kubernetes.io/last-applied-configuration");
  }
  vs.erase("status");
  for (const char* section : {"http", "tls", "tcp"}) {
    if (!vs["spec"].contains(section)) continue;
    json kept = json::array();
    for (json r : vs["spec"][section]) {
      if (managed.count(r.value("name", ""))) continue;
      for (json& d : r["route"]) d.erase("weight");
      kept.push_back(r);
    }
    vs["spec"][section] = kept;
  }
  return vs;
}

class ControllerIstioTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = vane::testing::ApiServer::start();
    ASSERT_TRUE(server_) << "vane-apiserver did not start";
    dir_ = vane::testing::makeTempDir("vane-ctrl-istio");
    const std::string crds = std::string(VANE_SOURCE_DIR) + "/crds/";
    const std::string istio = vane::testing::istioCrdDir();
    kubectlOk("apply -k " + crds);
    kubectlOk("apply -f " + istio + "virtualservice.crd.yaml -f " + istio +
              "destinationrule.crd.yaml");
    ASSERT_TRUE(vane::testing::waitFor(
        [&] {
          return kubectl("get virtualservices.networking.istio.io").exit_code == 0 &&
                 kubectl("get destinationrules.networking.istio.io").exit_code == 0;
        },
        seconds(30)));
    auto config = kube::loadKubeconfig(server_->kubeconfig());
    ASSERT_TRUE(config.ok()) << config.status().toString();
    auto client = kube::Client::create(*config);
    ASSERT_TRUE(client.ok());
    client_ = std::move(*client);
    for (const char* crd :
         {"virtualservices.networking.istio.io", "destinationrules.networking.istio.io"}) {
      auto obj = client_->get(res::kCRDs, "", crd);
      ASSERT_TRUE(obj.ok()) << obj.status().toString();
      for (const json& v : (*obj)["spec"]["versions"]) {
        if (v.value("name", "") == kIstioVersion) {
          schemas_[crd] = v["schema"]["openAPIV3Schema"];
        }
      }
      ASSERT_TRUE(schemas_.count(crd)) << crd << " serves no " << kIstioVersion;
    }
    recordWrites(res::virtualServices(kIstioVersion), vsWrites_);
    recordWrites(res::destinationRules(kIstioVersion), drWrites_);
    events_ = kube::EventRecorder::create(*client_);
    trafficrouting::registerIstioRouter(routers_, *client_);
    ControllerOptions opts;
    opts.workers = 2;
    opts.istioApiVersion = kIstioVersion;
    controller_ = std::make_unique<Manager>(*client_, opts, events_.get(), &routers_);
    Status st = controller_->start(seconds(20));
    ASSERT_TRUE(st.isOk()) << st.toString();
  }
  void TearDown() override {
    if (controller_) controller_->stop();
    for (auto& i : informers_) i->stop();
    if (events_) events_->stop();
    if (HasFailure() && server_) std::cerr << "apiserver log:\n" << server_->process()->log();
  }

  // Every version of every object of the resource, in the order the watch delivered them.
  void recordWrites(const kube::Resource& resource, std::map<std::string, std::vector<json>>& out) {
    auto informer = kube::Informer::create(*client_, resource);
    auto record = [this, &out](const kube::ObjectPtr& obj) {
      std::lock_guard lock(mu_);
      out[(*obj)["metadata"].value("name", "")].push_back(*obj);
    };
    informer->addHandlers(
        {record, [record](const kube::ObjectPtr&, const kube::ObjectPtr& o) { record(o); }, {}});
    informer->start();
    ASSERT_TRUE(informer->waitForSync(seconds(20)));
    informers_.push_back(std::move(informer));
  }
  std::vector<json> versions(std::map<std::string, std::vector<json>>& from,
                             const std::string& name) {
    std::lock_guard lock(mu_);
    return from[name];
  }

  vane::testing::CommandResult kubectl(const std::string& args) {
    return vane::testing::run(server_->kubectl() + " " + args);
  }
  void kubectlOk(const std::string& args) {
    auto r = kubectl(args);
    ASSERT_EQ(r.exit_code, 0) << args << "\n" << r.output;
  }
  void applyYaml(const std::string& yaml) {
    const std::string file = dir_ + "/m" + std::to_string(files_++) + ".yaml";
    std::ofstream(file) << yaml;
    kubectlOk("apply -f " + file);
  }
  json rollout(const std::string& name) {
    auto r = client_->get(res::kRollouts, "default", name);
    return r.ok() ? *r : json::object();
  }
  json status(const std::string& name) { return rollout(name).value("status", json::object()); }
  json virtualService(const std::string& name) {
    auto r = client_->get(res::virtualServices(kIstioVersion), "default", name);
    EXPECT_TRUE(r.ok()) << r.status().toString();
    return r.ok() ? *r : json::object();
  }
  /// {hash -> spec.replicas} of the ReplicaSets.
  std::map<std::string, int> counts() {
    std::map<std::string, int> out;
    auto list = client_->list(res::kReplicaSets, "default");
    if (!list.ok()) return out;
    for (const auto& rs : (*list)["items"]) {
      out[rs["metadata"]["labels"].value("rollouts-pod-template-hash", "")] =
          rs["spec"].value("replicas", 0);
    }
    return out;
  }
  /// Phase and step reached, for the current generation, with nothing left to scale.
  bool waitState(const std::string& name, const std::string& phase, int step,
                 seconds timeout = seconds(60)) {
    return vane::testing::waitFor(
        [&] {
          json ro = rollout(name);
          if (!ro.contains("status")) return false;
          const json& s = ro["status"];
          return s.value("phase", "") == phase && s.value("currentStepIndex", -1) == step &&
                 vane::testing::statusIsCurrent(ro) &&
                 s.value("replicas", -1) == s.value("availableReplicas", -2);
        },
        timeout);
  }
  std::string describe(const std::string& name) {
    std::string out = status(name).dump() + "\nRS:";
    for (auto& [h, n] : counts()) out += " " + h + "=" + std::to_string(n);
    std::lock_guard lock(mu_);
    for (auto& [vs, all] : vsWrites_) {
      out += "\nVS " + vs + ":";
      for (const json& v : all) out += "\n  " + summary(v);
    }
    auto events = client_->list(res::kEvents, "default");
    if (events.ok()) {
      out += "\nevents:";
      for (const json& e : (*events)["items"]) {
        out += "\n  " + e.value("type", "") + " " + e.value("reason", "") + ": " +
               e.value("message", "");
      }
    }
    return out;
  }
  /// kubectl argo rollouts promote: clears the pause conditions.
  void promote(const std::string& name) {
    kubectlOk("patch rollout " + name +
              " --subresource=status --type merge -p '{\"status\":{\"pauseConditions\":null}}'");
  }
  void abort(const std::string& name) {
    kubectlOk("patch rollout " + name +
              " --subresource=status --type merge -p '{\"status\":{\"abort\":true}}'");
  }

  /// A new revision the way Argo's e2e tests make one: only the Rollout's image changes (a
  /// re-apply of the VirtualService manifest would reset its weights: GitOps drift).
  void setImage(const std::string& name, const std::string& image) {
    kubectlOk("patch rollout " + name +
              " --type json -p '[{\"op\":\"replace\",\"path\":"
              "\"/spec/template/spec/containers/0/image\",\"value\":\"" +
              image + "\"}]'");
  }
  /// Waits until the VirtualService has at least n writes after `from` (the phase can show
  /// Healthy one reconcile before the last weights are written, as in Argo).
  void waitWrites(const std::string& name, std::size_t from, std::size_t n) {
    vane::testing::waitFor([&] { return vsWritesSince(name, from).size() >= n; }, seconds(20));
  }
  /// Summaries of the writes of a VirtualService after the first `from` versions.
  Writes vsWritesSince(const std::string& name, std::size_t from) {
    std::vector<json> all = versions(vsWrites_, name);
    Writes out;
    for (std::size_t i = from; i < all.size(); ++i) out.push_back(summary(all[i]));
    return out;
  }
  std::size_t vsCount(const std::string& name) { return versions(vsWrites_, name).size(); }
  /// The writes after `from` equal `expected` (waiting, bounded, for late watch events).
  void expectWrites(const std::string& name, std::size_t from, const Writes& expected,
                    const std::string& rollout_name) {
    waitWrites(name, from, expected.size());
    EXPECT_EQ(vsWritesSince(name, from), expected) << describe(rollout_name);
  }

  /// Checks every recorded version of the VirtualService against its first (user) version.
  void checkEveryWrite(const std::string& name, const std::set<std::string>& managed) {
    std::vector<json> all = versions(vsWrites_, name);
    ASSERT_FALSE(all.empty()) << name;
    const json user = userPart(all.front(), managed);
    for (std::size_t i = 1; i < all.size(); ++i) {
      const json& vs = all[i];
      SCOPED_TRACE(name + " write " + std::to_string(i) + ": " + summary(vs));
      auto causes =
          apiserver::validateAgainstSchema(vs, schemas_["virtualservices.networking.istio.io"]);
      for (const auto& c : causes) ADD_FAILURE() << c.field << ": " << c.message;
      for (const char* section : {"http", "tls", "tcp"}) {
        for (const json& r : vs["spec"].value(section, json::array())) {
          int sum = 0;
          for (const json& d : r.value("route", json::array())) sum += d.value("weight", 0);
          EXPECT_EQ(sum, 100) << section << " route " << r.dump();
        }
      }
      EXPECT_EQ(userPart(vs, managed), user) << "fields outside the weights changed";
    }
  }
  void checkEveryDestinationRuleWrite(const std::string& name) {
    std::vector<json> all = versions(drWrites_, name);
    ASSERT_FALSE(all.empty()) << name;
    for (std::size_t i = 1; i < all.size(); ++i) {
      auto causes = apiserver::validateAgainstSchema(
          all[i], schemas_["destinationrules.networking.istio.io"]);
      for (const auto& c : causes) ADD_FAILURE() << c.field << ": " << c.message;
      // Everything but the subsets' hash labels and the managed-by annotation is the user's.
      json got = all[i], want = all.front();
      for (json* o : {&got, &want}) {
        for (json& s : (*o)["spec"]["subsets"]) s["labels"].erase("rollouts-pod-template-hash");
        *o = userPart(*o, {});
        json& meta = (*o)["metadata"];
        if (meta.contains("annotations")) {
          meta["annotations"].erase("argo-rollouts.argoproj.io/managed-by-rollouts");
          if (meta["annotations"].empty()) meta.erase("annotations");
        }
      }
      EXPECT_EQ(got, want) << "DestinationRule write " << i;
    }
  }
  /// status.canary.weights as Argo writes it for Istio (no `verified`: Argo's Istio
  /// VerifyWeight answers nil, "not applicable").
  void expectStatusWeights(const std::string& name, int canary, const std::string& canary_svc,
                           const std::string& canary_hash, const std::string& stable_svc,
                           const std::string& stable_hash) {
    json w;
    vane::testing::waitFor(  // Healthy can show one reconcile before the last weights
        [&] {
          w = status(name)["canary"].value("weights", json::object());
          return w.value("canary", json::object()).value("weight", -1) == canary &&
                 w.value("stable", json::object()).value("podTemplateHash", "") == stable_hash;
        },
        seconds(20));
    EXPECT_EQ(w["canary"].value("weight", -1), canary) << w.dump();
    EXPECT_EQ(w["canary"].value("serviceName", ""), canary_svc) << w.dump();
    EXPECT_EQ(w["canary"].value("podTemplateHash", ""), canary_hash) << w.dump();
    EXPECT_EQ(w["stable"].value("weight", -1), 100 - canary) << w.dump();
    EXPECT_EQ(w["stable"].value("serviceName", ""), stable_svc) << w.dump();
    EXPECT_EQ(w["stable"].value("podTemplateHash", ""), stable_hash) << w.dump();
    EXPECT_FALSE(w.contains("verified")) << w.dump();
  }
  std::string serviceHash(const std::string& svc) {
    auto s = client_->get(res::kServices, "default", svc);
    return s.ok() ? (*s)["spec"]["selector"].value("rollouts-pod-template-hash", "") : "";
  }

  /// Applies the manifests with image v1, waits for Healthy, returns the stable hash.
  std::string deployV1(const std::string& yaml, const std::string& name, int steps) {
    applyYaml(replaceAll(yaml, "IMAGE", "nginx:1.19-alpine"));
    EXPECT_TRUE(waitState(name, "Healthy", steps)) << describe(name);
    return status(name).value("stableRS", "");
  }

  /// The host-split examples: V1, then V2 through setWeight 10 and a pause to Healthy.
  void hostSplitFlow(const std::string& yaml, const Writes& expected) {
    const std::string ro = "istio-host-split", vs = "istio-host-split-vsvc";
    const std::string stable = deployV1(yaml, ro, 2);
    // The install writes nothing: the VirtualService already sends everything to stable.
    expectWrites(vs, 1, Writes{}, ro);
    const std::size_t mark = vsCount(vs);
    setImage(ro, "nginx:1.20-alpine");
    ASSERT_TRUE(waitState(ro, "Paused", 1)) << describe(ro);
    const std::string canary = status(ro).value("currentPodHash", "");
    ASSERT_NE(canary, stable);
    expectWrites(vs, mark, Writes{expected[0]}, ro);
    expectStatusWeights(ro, 10, "istio-host-split-canary", canary, "istio-host-split-stable",
                        stable);
    promote(ro);
    ASSERT_TRUE(waitState(ro, "Healthy", 2)) << describe(ro);
    expectWrites(vs, mark, expected, ro);
    expectStatusWeights(ro, 0, "istio-host-split-canary", canary, "istio-host-split-stable",
                        canary);
    EXPECT_EQ(serviceHash("istio-host-split-stable"), canary);
    checkEveryWrite(vs, {});
  }

  std::unique_ptr<vane::testing::ApiServer> server_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<kube::EventRecorder> events_;
  trafficrouting::RouterRegistry routers_;
  std::unique_ptr<Manager> controller_;
  std::vector<std::unique_ptr<kube::Informer>> informers_;
  std::map<std::string, json> schemas_;
  std::mutex mu_;
  std::map<std::string, std::vector<json>> vsWrites_, drWrites_;
  std::string dir_;
  int files_ = 0;
};

// test/e2e/istio/istio-host-split.yaml
constexpr const char* kHostSplit = R"(apiVersion: v1
kind: Service
metadata:
  name: istio-host-split-canary
spec:
  ports:
  - {port: 80, targetPort: http, protocol: TCP, name: http}
  selector:
    app: istio-host-split
---
apiVersion: v1
kind: Service
metadata:
  name: istio-host-split-stable
spec:
  ports:
  - {port: 80, targetPort: http, protocol: TCP, name: http}
  selector:
    app: istio-host-split
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: istio-host-split-vsvc
spec:
  hosts:
  - istio-host-split
  http:
  - name: primary
    retries: {attempts: 3, perTryTimeout: 2s}
    timeout: 10s
    route:
    - destination:
        host: istio-host-split-stable
      weight: 100
    - destination:
        host: istio-host-split-canary
      weight: 0
TLS_ROUTES---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: istio-host-split
spec:
  strategy:
    canary:
      canaryService: istio-host-split-canary
      stableService: istio-host-split-stable
      trafficRouting:
        istio:
          virtualService:
            name: istio-host-split-vsvc
            routes:
            - primary
TLS_CONFIG      steps:
      - setWeight: 10
      - pause: {}
  selector:
    matchLabels:
      app: istio-host-split
  template:
    metadata:
      labels:
        app: istio-host-split
    spec:
      containers:
      - name: istio-host-split
        image: IMAGE
        ports:
        - {name: http, containerPort: 80, protocol: TCP}
        resources:
          requests: {memory: 16Mi, cpu: 5m}
)";

TEST_F(ControllerIstioTest, BadVirtualServiceIsRefusedByTheServer) {
  // The local server validates custom resources against the CRD schema on write, so every
  // VirtualService the controller managed to write below was schema-valid when stored.
  json bad = {
      {"apiVersion", "networking.istio.io/v1alpha3"},
      {"kind", "VirtualService"},
      {"metadata", {{"name", "bad"}, {"namespace", "default"}}},
      {"spec",
       {{"hosts", {"x"}},
        {"http", {{{"route", {{{"destination", {{"host", "x"}}}, {"weight", "eighty"}}}}}}}}}};
  auto created = client_->create(res::virtualServices(kIstioVersion), "default", bad);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), Code::kInvalid) << created.status().toString();
  EXPECT_FALSE(
      apiserver::validateAgainstSchema(bad, schemas_["virtualservices.networking.istio.io"])
          .empty());
}

TEST_F(ControllerIstioTest, HostSplit) {
  std::string yaml = replaceAll(replaceAll(kHostSplit, "TLS_ROUTES", ""), "TLS_CONFIG", "");
  hostSplitFlow(yaml, {"primary=90/10", "primary=0/100", "primary=100/0"});
}

// test/e2e/istio/istio-host-http-tls-split.yaml: the tls route (port + SNI) follows the split.
TEST_F(ControllerIstioTest, TlsRoutes) {
  std::string yaml = replaceAll(kHostSplit, "TLS_ROUTES", R"(  tls:
  - match:
    - port: 3000
      sniHosts:
      - istio-host-split
    route:
    - destination:
        host: istio-host-split-stable
      weight: 100
    - destination:
        host: istio-host-split-canary
      weight: 0
)");
  yaml = replaceAll(yaml, "TLS_CONFIG", R"(            tlsRoutes:
            - port: 3000
              sniHosts:
              - istio-host-split
)");
  hostSplitFlow(yaml, {"primary=90/10 | tls=90/10", "primary=0/100 | tls=0/100",
                       "primary=100/0 | tls=100/0"});
}

// examples/istio/istio-subset-split.yaml, with a user subset the router must keep and a
// trafficPolicy: no Services, the DestinationRule subsets select the pods by hash.
constexpr const char* kSubsetSplit = R"(apiVersion: v1
kind: Service
metadata:
  name: istio-subset-split
spec:
  ports:
  - {port: 80, targetPort: http, protocol: TCP, name: http}
  selector:
    app: istio-subset-split
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: istio-subset-split-vsvc
spec:
  hosts:
  - istio-subset-split
  http:
  - name: primary
    route:
    - destination:
        host: istio-subset-split
        subset: stable
      weight: 100
    - destination:
        host: istio-subset-split
        subset: canary
      weight: 0
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: istio-subset-split-destrule
spec:
  host: istio-subset-split
  trafficPolicy:
    loadBalancer: {simple: LEAST_REQUEST}
  subsets:
  - name: stable
    labels:
      app: istio-subset-split
  - name: canary
    labels:
      app: istio-subset-split
  - name: legacy
    labels:
      app: istio-subset-split
      version: v0
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: istio-subset-split
spec:
  strategy:
    canary:
      trafficRouting:
        istio:
          virtualService:
            name: istio-subset-split-vsvc
            routes:
            - primary
          destinationRule:
            name: istio-subset-split-destrule
            canarySubsetName: canary
            stableSubsetName: stable
            additionalSubsetNames: [legacy]
      steps:
      - setWeight: 10
      - pause: {}
  selector:
    matchLabels:
      app: istio-subset-split
  template:
    metadata:
      labels:
        app: istio-subset-split
    spec:
      containers:
      - name: istio-subset-split
        image: IMAGE
        ports:
        - {name: http, containerPort: 80, protocol: TCP}
)";

TEST_F(ControllerIstioTest, SubsetSplit) {
  const std::string ro = "istio-subset-split", vs = "istio-subset-split-vsvc",
                    dr = "istio-subset-split-destrule";
  const std::string v1 = deployV1(kSubsetSplit, ro, 2);
  auto drStates = [&] {
    Writes out;
    for (const json& d : versions(drWrites_, dr)) out.push_back(subsetSummary(d));
    return out;
  };
  // The subsets point at the first ReplicaSet only once it is available; legacy is the user's.
  EXPECT_EQ(drStates(),
            (Writes{"stable=- canary=- legacy=-", "stable=" + v1 + " canary=" + v1 + " legacy=-"}))
      << describe(ro);
  const std::size_t mark = vsCount(vs);
  setImage(ro, "nginx:1.20-alpine");
  ASSERT_TRUE(waitState(ro, "Paused", 1)) << describe(ro);
  const std::string v2 = status(ro).value("currentPodHash", "");
  json d = client_->get(res::destinationRules(kIstioVersion), "default", dr).value();
  EXPECT_EQ(subsetSummary(d), "stable=" + v1 + " canary=" + v2 + " legacy=-");
  EXPECT_EQ(d["metadata"]["annotations"]["argo-rollouts.argoproj.io/managed-by-rollouts"], ro);
  expectWrites(vs, mark, Writes{"primary=90/10"}, ro);
  expectStatusWeights(ro, 10, "", v2, "", v1);
  promote(ro);
  ASSERT_TRUE(waitState(ro, "Healthy", 2)) << describe(ro);
  expectWrites(vs, mark, (Writes{"primary=90/10", "primary=0/100", "primary=100/0"}), ro);
  EXPECT_EQ(drStates(),
            (Writes{"stable=- canary=- legacy=-", "stable=" + v1 + " canary=" + v1 + " legacy=-",
                    "stable=" + v1 + " canary=" + v2 + " legacy=-",
                    "stable=" + v2 + " canary=" + v2 + " legacy=-"}))
      << describe(ro);
  expectStatusWeights(ro, 0, "", v2, "", v2);
  checkEveryWrite(vs, {});
  checkEveryDestinationRuleWrite(dr);
}

// docs/getting-started/istio/{multipleVirtualsvc,rollout}.yaml: two VirtualServices, each with
// an http route (ports kept) and an unlisted single tls route, which Argo reweights too.
constexpr const char* kMultipleVirtualServices = R"(apiVersion: v1
kind: Service
metadata:
  name: rollouts-demo-canary
spec:
  ports:
  - {port: 80, targetPort: http, protocol: TCP, name: http}
  selector:
    app: rollouts-demo
---
apiVersion: v1
kind: Service
metadata:
  name: rollouts-demo-stable
spec:
  ports:
  - {port: 80, targetPort: http, protocol: TCP, name: http}
  selector:
    app: rollouts-demo
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: rollouts-demo-vsvc1
spec:
  gateways:
  - rollouts-demo-gateway
  hosts:
  - rollouts-demo-vsvc1.local
  http:
  - name: primary
    route:
    - destination:
        host: rollouts-demo-stable
        port:
          number: 15372
      weight: 100
    - destination:
        host: rollouts-demo-canary
        port:
          number: 15372
      weight: 0
  tls:
  - match:
    - port: 3000
      sniHosts:
      - reviews.bookinfo.com
      - localhost
    route:
    - destination:
        host: rollouts-demo-stable
      weight: 100
    - destination:
        host: rollouts-demo-canary
      weight: 0
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: rollouts-demo-vsvc2
spec:
  gateways:
  - rollouts-demo-gateway
  hosts:
  - rollouts-demo-vsvc2.local
  http:
  - name: secondary
    route:
    - destination:
        host: rollouts-demo-stable
        port:
          number: 15373
      weight: 100
    - destination:
        host: rollouts-demo-canary
        port:
          number: 15373
      weight: 0
  tls:
  - match:
    - port: 3000
      sniHosts:
      - reviews.bookinfo.com
      - localhost
    route:
    - destination:
        host: rollouts-demo-stable
      weight: 100
    - destination:
        host: rollouts-demo-canary
      weight: 0
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: rollouts-demo
spec:
  replicas: 1
  strategy:
    canary:
      canaryService: rollouts-demo-canary
      stableService: rollouts-demo-stable
      trafficRouting:
        istio:
          virtualServices:
          - name: rollouts-demo-vsvc1
            routes:
            - primary
          - name: rollouts-demo-vsvc2
            routes:
            - secondary
      steps:
      - setWeight: 5
      - pause: {}
  revisionHistoryLimit: 2
  selector:
    matchLabels:
      app: rollouts-demo
  template:
    metadata:
      labels:
        app: rollouts-demo
        istio-injection: enabled
    spec:
      containers:
      - name: rollouts-demo
        image: IMAGE
        ports:
        - {name: http, containerPort: 8080, protocol: TCP}
)";

TEST_F(ControllerIstioTest, SeveralVirtualServices) {
  const std::string ro = "rollouts-demo";
  const std::string v1 = deployV1(kMultipleVirtualServices, ro, 2);
  const std::size_t mark1 = vsCount("rollouts-demo-vsvc1"), mark2 = vsCount("rollouts-demo-vsvc2");
  EXPECT_EQ(mark1, 1u);
  EXPECT_EQ(mark2, 1u);
  setImage(ro, "argoproj/rollouts-demo:yellow");
  ASSERT_TRUE(waitState(ro, "Paused", 1)) << describe(ro);
  const std::string v2 = status(ro).value("currentPodHash", "");
  expectWrites("rollouts-demo-vsvc1", mark1, Writes{"primary=95/5 | tls=95/5"}, ro);
  expectWrites("rollouts-demo-vsvc2", mark2, Writes{"secondary=95/5 | tls=95/5"}, ro);
  expectStatusWeights(ro, 5, "rollouts-demo-canary", v2, "rollouts-demo-stable", v1);
  promote(ro);
  ASSERT_TRUE(waitState(ro, "Healthy", 2)) << describe(ro);
  expectWrites(
      "rollouts-demo-vsvc1", mark1,
      (Writes{"primary=95/5 | tls=95/5", "primary=0/100 | tls=0/100", "primary=100/0 | tls=100/0"}),
      ro);
  expectWrites("rollouts-demo-vsvc2", mark2,
               (Writes{"secondary=95/5 | tls=95/5", "secondary=0/100 | tls=0/100",
                       "secondary=100/0 | tls=100/0"}),
               ro);
  expectStatusWeights(ro, 0, "rollouts-demo-canary", v2, "rollouts-demo-stable", v2);
  checkEveryWrite("rollouts-demo-vsvc1", {});
  checkEveryWrite("rollouts-demo-vsvc2", {});
}

// test/e2e/header-routing/istio-hr-host.yaml with the header route also at step 0 (and set again
// once the canary has pods: Argo removes managed routes while the canary has none available).
constexpr const char* kHeaderRouting = R"(apiVersion: v1
kind: Service
metadata:
  name: canary-service
spec:
  selector:
    app: rollouts-demo
  ports:
  - {name: http, port: 80, protocol: TCP, targetPort: http}
---
apiVersion: v1
kind: Service
metadata:
  name: stable-service
spec:
  selector:
    app: rollouts-demo
  ports:
  - {name: http, port: 80, protocol: TCP, targetPort: http}
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: rollouts-demo-vsvc
spec:
  gateways:
    - rollouts-demo-gateway
  hosts:
    - rollouts-demo.com
  http:
  - name: primary
    corsPolicy:
      allowOrigins:
      - exact: https://example.com
    route:
    - destination:
        host: stable-service
      weight: 80
    - destination:
        host: canary-service
      weight: 20
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: rollouts-demo
spec:
  replicas: 5
  selector:
    matchLabels:
      app: rollouts-demo
  template:
    metadata:
      labels:
        app: rollouts-demo
    spec:
      containers:
        - name: rollouts-demo
          image: IMAGE
          ports:
            - {name: http, containerPort: 8080, protocol: TCP}
  strategy:
    canary:
      canaryService: canary-service
      stableService: stable-service
      trafficRouting:
        managedRoutes:
          - name: set-header-1
        istio:
          virtualService:
            name: rollouts-demo-vsvc
            routes:
            - primary
      steps:
        - setHeaderRoute:
            name: set-header-1
            match:
            - headerName: agent
              headerValue:
                regex: firefox(.*)
        - setWeight: 20
        - setHeaderRoute:
            name: set-header-1
            match:
            - headerName: agent
              headerValue:
                regex: firefox(.*)
        - pause: { }
        - setHeaderRoute:
            name: set-header-1
            match:
            - headerName: agent
              headerValue:
                regex: chrome(.*)
        - pause: { }
        - setWeight: 40
        - setHeaderRoute:
            name: set-header-1
        - pause: {}
)";

const char* kFirefox = "set-header-1[headers.agent.regex=firefox(.*)]";
const char* kChrome = "set-header-1[headers.agent.regex=chrome(.*)]";

std::string hdr(const char* route, const std::string& primary) {
  return std::string(route) + "=100 | primary=" + primary;
}

TEST_F(ControllerIstioTest, HeaderRoute) {
  const std::string ro = "rollouts-demo", vs = "rollouts-demo-vsvc";
  const std::string v1 = deployV1(kHeaderRouting, ro, 9);
  // The install only brings the weights back to stable: no route step runs at revision 1.
  expectWrites(vs, 1, Writes{"primary=100/0"}, ro);
  const std::size_t mark = vsCount(vs);
  setImage(ro, "nginx:1.20-alpine");
  ASSERT_TRUE(waitState(ro, "Paused", 3)) << describe(ro);
  const std::string v2 = status(ro).value("currentPodHash", "");
  // (Vane) The header route is written once the canary has a pod (step 1) and stays; Argo
  // writes it at step 0, removes it while the canary has no pod, and only the repeated step 2
  // brings it back (argo-rollouts #4486): "primary=100/0" and "primary=80/20" in between.
  Writes expected = {hdr(kFirefox, "100/0"), hdr(kFirefox, "80/20")};
  expectWrites(vs, mark, expected, ro);
  json route = virtualService(vs)["spec"]["http"][0];
  EXPECT_EQ(route["route"], json::parse(R"([{"destination":{"host":"canary-service"},
                                             "weight":100}])"));
  expectStatusWeights(ro, 20, "canary-service", v2, "stable-service", v1);
  promote(ro);
  ASSERT_TRUE(waitState(ro, "Paused", 5)) << describe(ro);
  expected.push_back(hdr(kChrome, "80/20"));
  expectWrites(vs, mark, expected, ro);
  promote(ro);
  ASSERT_TRUE(waitState(ro, "Paused", 8)) << describe(ro);
  expected.push_back(hdr(kChrome, "60/40"));
  expected.push_back("primary=60/40");
  expectWrites(vs, mark, expected, ro);
  expectStatusWeights(ro, 40, "canary-service", v2, "stable-service", v1);
  promote(ro);
  ASSERT_TRUE(waitState(ro, "Healthy", 9)) << describe(ro);
  expected.push_back("primary=0/100");
  expected.push_back("primary=100/0");
  expectWrites(vs, mark, expected, ro);
  expectStatusWeights(ro, 0, "canary-service", v2, "stable-service", v2);
  checkEveryWrite(vs, {"set-header-1"});
}

TEST_F(ControllerIstioTest, AbortInTheMiddle) {
  const std::string ro = "rollouts-demo", vs = "rollouts-demo-vsvc";
  const std::string v1 = deployV1(kHeaderRouting, ro, 9);
  setImage(ro, "nginx:1.20-alpine");
  ASSERT_TRUE(waitState(ro, "Paused", 3)) << describe(ro);
  const std::string v2 = status(ro).value("currentPodHash", "");
  EXPECT_EQ(serviceHash("canary-service"), v2);
  const std::size_t mark = vsCount(vs);
  abort(ro);
  ASSERT_TRUE(waitState(ro, "Degraded", 0)) << describe(ro);
  // Managed routes first, then all traffic back to stable; the canary Service on stable pods.
  expectWrites(vs, mark, (Writes{"primary=80/20", "primary=100/0"}), ro);
  EXPECT_EQ(serviceHash("canary-service"), v1);
  EXPECT_EQ(serviceHash("stable-service"), v1);
  expectStatusWeights(ro, 0, "canary-service", v2, "stable-service", v1);
  EXPECT_EQ(status(ro).value("message", ""),
            "RolloutAborted: Rollout aborted update to revision 2");
  checkEveryWrite(vs, {"set-header-1"});
}

TEST_F(ControllerIstioTest, NewRevisionInTheMiddle) {
  const std::string ro = "rollouts-demo", vs = "rollouts-demo-vsvc";
  const std::string v1 = deployV1(kHeaderRouting, ro, 9);
  setImage(ro, "nginx:1.20-alpine");
  ASSERT_TRUE(waitState(ro, "Paused", 3)) << describe(ro);
  const std::string v2 = status(ro).value("currentPodHash", "");
  const std::size_t mark = vsCount(vs);
  setImage(ro, "nginx:1.21-alpine");
  ASSERT_TRUE(vane::testing::waitFor(
      [&] {
        json s = status(ro);
        return s.value("currentPodHash", v2) != v2 && s.value("phase", "") == "Paused" &&
               s.value("currentStepIndex", -1) == 3 &&
               s.value("replicas", -1) == s.value("availableReplicas", -2);
      },
      seconds(60)))
      << describe(ro);
  const std::string v3 = status(ro).value("currentPodHash", "");
  // V3's first reconciles: managed routes held out while V3 has no pods, the V2 weight reset to
  // 0 before the hash moves, then the steps from the start, the header route written once V3
  // has a pod. (Vane) Argo also sets step 0's route while V3 has no pods and removes it again
  // in the next reconcile (argo-rollouts #4486): two writes that route to no canary pod.
  expectWrites(
      vs, mark,
      (Writes{"primary=80/20", "primary=100/0", hdr(kFirefox, "100/0"), hdr(kFirefox, "80/20")}),
      ro);
  EXPECT_EQ(counts()[v2], 0);
  EXPECT_EQ(serviceHash("canary-service"), v3);
  expectStatusWeights(ro, 20, "canary-service", v3, "stable-service", v1);
  checkEveryWrite(vs, {"set-header-1"});
}

// test/e2e/mirror-route/istio-mirror-host.yaml
constexpr const char* kMirror = R"(apiVersion: v1
kind: Service
metadata:
  name: canary-service
spec:
  selector:
    app: rollouts-demo
  ports:
  - {name: http, port: 80, protocol: TCP, targetPort: http}
---
apiVersion: v1
kind: Service
metadata:
  name: stable-service
spec:
  selector:
    app: rollouts-demo
  ports:
  - {name: http, port: 80, protocol: TCP, targetPort: http}
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: rollouts-demo-vsvc
spec:
  gateways:
    - rollouts-demo-gateway
  hosts:
    - rollouts-demo.com
  http:
  - name: primary
    route:
    - destination:
        host: stable-service
      weight: 80
    - destination:
        host: canary-service
      weight: 20
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: rollouts-demo
spec:
  replicas: 5
  selector:
    matchLabels:
      app: rollouts-demo
  template:
    metadata:
      labels:
        app: rollouts-demo
    spec:
      containers:
        - name: rollouts-demo
          image: IMAGE
          ports:
            - {name: http, containerPort: 8080, protocol: TCP}
  strategy:
    canary:
      canaryService: canary-service
      stableService: stable-service
      trafficRouting:
        managedRoutes:
          - name: mirror-route-1
          - name: mirror-route-2
        istio:
          virtualService:
            name: rollouts-demo-vsvc
            routes:
            - primary
      steps:
        - setWeight: 20
        - setMirrorRoute:
            name: mirror-route-1
            percentage: 100
            match:
              - path:
                  prefix: /
        - setMirrorRoute:
            name: mirror-route-2
            percentage: 80
            match:
              - path:
                  prefix: /
                method:
                  exact: GET
        - pause: { }
        - setMirrorRoute:
            name: mirror-route-1
            percentage: 100
            match:
              - path:
                  prefix: /rewrite
        - pause: { }
        - setWeight: 40
        - setMirrorRoute:
            name: mirror-route-1
        - pause: {}
)";

TEST_F(ControllerIstioTest, MirrorRoute) {
  const std::string ro = "rollouts-demo", vs = "rollouts-demo-vsvc";
  const std::string v1 = deployV1(kMirror, ro, 9);
  expectWrites(vs, 1, Writes{"primary=100/0"}, ro);
  const std::size_t mark = vsCount(vs);
  setImage(ro, "nginx:1.20-alpine");
  ASSERT_TRUE(waitState(ro, "Paused", 3)) << describe(ro);
  const std::string v2 = status(ro).value("currentPodHash", "");
  const std::string m1 = "mirror-route-1[uri.prefix=/]@canary-service:100=";
  const std::string m1b = "mirror-route-1[uri.prefix=/rewrite]@canary-service:100=";
  const std::string m2 = "mirror-route-2[method.exact=GET,uri.prefix=/]@canary-service:80=";
  Writes expected = {"primary=80/20", m1 + "80/20 | primary=80/20",
                     m1 + "80/20 | " + m2 + "80/20 | primary=80/20"};
  expectWrites(vs, mark, expected, ro);
  expectStatusWeights(ro, 20, "canary-service", v2, "stable-service", v1);
  promote(ro);
  ASSERT_TRUE(waitState(ro, "Paused", 5)) << describe(ro);
  expected.push_back(m1b + "80/20 | " + m2 + "80/20 | primary=80/20");
  expectWrites(vs, mark, expected, ro);
  promote(ro);
  ASSERT_TRUE(waitState(ro, "Paused", 8)) << describe(ro);
  // The mirror routes follow the split; the removed one goes.
  expected.push_back(m1b + "60/40 | " + m2 + "60/40 | primary=60/40");
  expected.push_back(m2 + "60/40 | primary=60/40");
  expectWrites(vs, mark, expected, ro);
  expectStatusWeights(ro, 40, "canary-service", v2, "stable-service", v1);
  promote(ro);
  ASSERT_TRUE(waitState(ro, "Healthy", 9)) << describe(ro);
  expected.push_back(m2 + "0/100 | primary=0/100");
  expected.push_back("primary=0/100");
  expected.push_back("primary=100/0");
  expectWrites(vs, mark, expected, ro);
  expectStatusWeights(ro, 0, "canary-service", v2, "stable-service", v2);
  checkEveryWrite(vs, {"mirror-route-1", "mirror-route-2"});
}

// A Rollout whose VirtualService does not exist: Argo's Warning event, and no traffic moved.
TEST_F(ControllerIstioTest, MissingVirtualServiceIsReported) {
  std::string yaml = replaceAll(replaceAll(kHostSplit, "TLS_ROUTES", ""), "TLS_CONFIG", "");
  yaml = replaceAll(yaml, "name: istio-host-split-vsvc\n            routes",
                    "name: missing-vsvc\n            routes");
  applyYaml(replaceAll(yaml, "IMAGE", "nginx:1.19-alpine"));
  auto hasEvent = [&](const std::string& reason, const std::string& message) {
    auto events = client_->list(res::kEvents, "default");
    if (!events.ok()) return false;
    for (const json& e : (*events)["items"]) {
      if (e.value("type", "") == "Warning" && e.value("reason", "") == reason &&
          e.value("message", "").find(message) != std::string::npos &&
          e["involvedObject"].value("name", "") == "istio-host-split") {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(vane::testing::waitFor(
      [&] { return hasEvent("VirtualServiceNotFound", "VirtualService `missing-vsvc` not found"); },
      seconds(30)))
      << describe("istio-host-split");
  // The router's event and the reconcile's error event are separate writes.
  EXPECT_TRUE(vane::testing::waitFor(
      [&] { return hasEvent("TrafficRoutingError", "missing-vsvc"); }, seconds(30)))
      << describe("istio-host-split");
  EXPECT_EQ(vsWritesSince("istio-host-split-vsvc", 1), Writes{});
}

}  // namespace
}  // namespace vane::controller
