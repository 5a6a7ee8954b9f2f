// Workload simulation: level-based reconciles of Deployments, ReplicaSets, Jobs and Pods. A store
// watch keeps an owner index (Pods by ReplicaSet/Job, ReplicaSets by Deployment) and marks the
// changed object and its controller dirty; each pass reconciles only the dirty keys and those
// whose timer (a Pod becoming Ready or available) is due, so a pass costs what changed, not what
// is stored (full passes over every Pod per ReplicaSet made 10,000 ReplicaSets take hours). The
// first pass after start covers everything.
// Behaviour follows kube-controller-manager's ReplicaSet/Deployment/Job controllers in spirit
// (names, labels, ownerReferences, status fields), not in algorithm: a Deployment scales its new
// ReplicaSet up and the old ones to 0 at once.
#include "apiserver/workloads.h"

#include <algorithm>
#include <condition_variable>
#include <ctime>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "apiserver/objects.h"
#include "apiserver/owner_index.h"
#include "apiserver/pod_script.h"
#include "base/time.h"

namespace vane::apiserver {
namespace {

using json = nlohmann::json;
using SteadyTime = std::chrono::steady_clock::time_point;
using SimKey = std::tuple<ResourceKey, std::string, std::string>;  // (resource, namespace, name)

constexpr char kPods[] = "core/pods";
constexpr char kReplicaSets[] = "apps/replicasets";
constexpr char kDeployments[] = "apps/deployments";
constexpr char kJobs[] = "batch/jobs";
constexpr char kTemplateHashLabel[] = "pod-template-hash";
constexpr char kRevisionAnnotation[] = "deployment.kubernetes.io/revision";
constexpr char kNodeName[] = "vane-local";
// k8s.io/apimachinery/pkg/util/rand: no vowels, no confusable characters.
constexpr char kNameAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
// A reconcile whose write failed (e.g. the WAL) runs again after this.
constexpr std::chrono::seconds kRetryAfter{1};

std::string str(const json& obj, const char* a, const char* b) {
  auto it = obj.find(a);
  if (it == obj.end() || !it->is_object()) return "";
  auto jt = it->find(b);
  return jt != it->end() && jt->is_string() ? jt->get<std::string>() : "";
}
std::string uidOf(const json& o) { return str(o, "metadata", "uid"); }
std::string nameOf(const json& o) { return str(o, "metadata", "name"); }
std::string nsOf(const json& o) { return str(o, "metadata", "namespace"); }
int64_t intAt(const json& o, const json::json_pointer& p, int64_t def) {
  return o.contains(p) && o[p].is_number() ? o[p].get<int64_t>() : def;
}

std::string controllerUid(const json& o) {
  const json& refs = o.value("/metadata/ownerReferences"_json_pointer, json::array());
  for (const auto& r : refs) {
    if (r.value("controller", false)) return r.value("uid", "");
  }
  return "";
}
std::string controllerKind(const json& o) {
  const json& refs = o.value("/metadata/ownerReferences"_json_pointer, json::array());
  for (const auto& r : refs) {
    if (r.value("controller", false)) return r.value("kind", "");
  }
  return "";
}

json ownerRef(const json& owner, const char* apiVersion, const char* kind) {
  return {{"apiVersion", apiVersion}, {"kind", kind},       {"name", nameOf(owner)},
          {"uid", uidOf(owner)},      {"controller", true}, {"blockOwnerDeletion", true}};
}

std::string annotation(const json& o, const char* key) {
  const json& a = o.value("/metadata/annotations"_json_pointer, json::object());
  auto it = a.find(key);
  return it != a.end() && it->is_string() ? it->get<std::string>() : "";
}

const json* condition(const json& o, const std::string& type) {
  if (!o.contains("status") || !o["status"].contains("conditions")) return nullptr;
  for (const auto& c : o["status"]["conditions"]) {
    if (c.value("type", "") == type) return &c;
  }
  return nullptr;
}
bool podReady(const json& pod) {
  const json* c = condition(pod, "Ready");
  return c != nullptr && c->value("status", "") == "True";
}
bool podTerminal(const json& pod) {
  std::string phase = str(pod, "status", "phase");
  return phase == "Succeeded" || phase == "Failed";
}

// Sets (or refreshes) a condition, keeping lastTransitionTime when the status is unchanged.
void setCondition(json& status, const std::string& type, const std::string& value,
                  const std::string& reason, const std::string& message, bool update_time) {
  json& conds = status["conditions"];
  if (!conds.is_array()) conds = json::array();
  std::string now = nowRfc3339();
  for (auto& c : conds) {
    if (c.value("type", "") != type) continue;
    if (c.value("status", "") != value) c["lastTransitionTime"] = now;
    if (c.value("reason", "") != reason || c.value("message", "") != message) {
      if (update_time) c["lastUpdateTime"] = now;
    }
    c["status"] = value;
    c.erase("reason");
    c.erase("message");
    if (!reason.empty()) c["reason"] = reason;
    if (!message.empty()) c["message"] = message;
    return;
  }
  json c = {{"type", type}, {"status", value}, {"lastTransitionTime", now}};
  if (!reason.empty()) c["reason"] = reason;
  if (!message.empty()) c["message"] = message;
  if (update_time) c["lastUpdateTime"] = now;
  conds.push_back(std::move(c));
}

bool labelsMatch(const json& labels, const json& selector) {
  if (!selector.is_object()) return false;
  const json match = selector.value("matchLabels", json::object());
  for (const auto& [k, v] : match.items()) {
    if (!labels.contains(k) || labels[k] != v) return false;
  }
  for (const auto& e : selector.value("matchExpressions", json::array())) {
    std::string key = e.value("key", ""), op = e.value("operator", "");
    json values = e.value("values", json::array());
    bool has = labels.contains(key);
    bool in = has && std::find(values.begin(), values.end(), labels[key]) != values.end();
    if ((op == "In" && !in) || (op == "NotIn" && in) || (op == "Exists" && !has) ||
        (op == "DoesNotExist" && has)) {
      return false;
    }
  }
  return true;
}

// The template as the Deployment controller compares it (EqualIgnoreHash after typed decoding):
// no pod-template-hash label, no nulls, no empty objects or lists (`creationTimestamp: null`
// and `resources: {}` come back from kubectl rollout undo).
json normalizedTemplate(const json& tmpl) {
  std::function<json(const json&, int)> clean = [&](const json& v, int depth) -> json {
    if (depth > 64) return v;  // user data: bound the recursion
    if (v.is_object()) {
      json out = json::object();
      for (const auto& [k, c] : v.items()) {
        json cc = clean(c, depth + 1);
        if (!cc.is_null() && !((cc.is_object() || cc.is_array()) && cc.empty())) out[k] = cc;
      }
      return out;
    }
    if (v.is_array()) {
      json out = json::array();
      for (const auto& c : v) out.push_back(clean(c, depth + 1));
      return out;
    }
    return v;
  };
  json t = tmpl;
  if (t.contains("/metadata/labels"_json_pointer) && t["metadata"]["labels"].is_object()) {
    t["metadata"]["labels"].erase(kTemplateHashLabel);
  }
  return clean(t, 0);
}

// FNV-1a over the normalized template, encoded like rand.SafeEncodeString (ComputeHash).
std::string templateHash(const json& tmpl) {
  uint32_t h = 2166136261u;
  for (unsigned char c : normalizedTemplate(tmpl).dump()) h = (h ^ c) * 16777619u;
  std::string digits = std::to_string(h), out;
  for (char d : digits) out += kNameAlphabet[(d - '0') % (sizeof(kNameAlphabet) - 1)];
  return out;
}

int64_t resolveIntOrPercent(const json& v, int64_t total, int64_t def) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (!v.is_string()) return def;
  std::string s = v.get<std::string>();
  if (s.empty() || s.back() != '%') return def;
  try {
    return std::stoll(s.substr(0, s.size() - 1)) * total / 100;  // rounded down
  } catch (...) {
    return def;
  }
}

}  // namespace

class WorkloadSimulator::Impl {
 public:
  Impl(Store& store, Options options)
      : store_(store), options_(options), rng_(std::random_device{}()) {}

  Status start();
  void stop();

 private:
  void loop();
  /// One pass over the dirty keys and the due timers (everything on the first pass); returns
  /// the time of the next pending timer (or max).
  SteadyTime pass();
  /// Runs under the store's lock (the watch callback): index the event, mark keys dirty.
  void onEvent(const StoreEvent& ev);
  void markDirty(const ResourceKey& resource, const json& obj);  // mu_ held
  /// The stored objects of `resource` controlled by owner_uid (from the index).
  std::vector<ObjectPtr> controlledBy(const ResourceKey& resource, const std::string& owner_uid);
  void reconcileKey(const SimKey& key);
  void requeueAt(const SimKey& key, SteadyTime due);
  void reconcileDeployment(const json& d, const std::vector<ObjectPtr>& rss);
  void createReplicaSet(const json& d, const std::string& hash, const std::string& revision,
                        int64_t replicas);
  json deploymentStatus(const json& d, const std::vector<ObjectPtr>& owned,
                        const ObjectPtr& current, const std::string& new_name);
  void reconcileReplicaSet(const json& rs, const std::vector<ObjectPtr>& pods, SteadyTime& wake);
  void reconcileJob(const json& job, const std::vector<ObjectPtr>& pods, SteadyTime& wake);
  void kubelet(const json& pod, SteadyTime& wake);
  /// Leaves the Pod Pending with its containers waiting on ErrImagePull (written once).
  void failPull(const json& pod, const std::string& image);
  void createPod(const json& owner, const char* apiVersion, const char* kind, json extra_labels);
  void writeStatus(const char* resource, const json& obj, json status);
  /// Records a failed write (other than "the object is gone or replaced", which its own event
  /// reports) so that the key is reconciled again after kRetryAfter.
  template <typename R>
  void noteWrite(const R& result) {
    if (!result.ok() && result.status().code() != Code::kNotFound &&
        result.status().code() != Code::kAlreadyExists) {
      write_failed_ = true;
    }
  }
  std::string randomName(size_t n);
  std::string newUid();

  Store& store_;
  Options options_;
  std::mt19937_64 rng_;
  std::unique_ptr<StoreWatch> watch_;
  std::mutex lifecycle_mu_;  // start/stop
  std::mutex mu_;            // index_, dirty_, resync_, gone_pods_, stopping_
  std::condition_variable cv_;
  OwnerIndex index_;
  std::set<SimKey> dirty_;
  bool resync_ = true;                  // the next pass covers every object
  std::vector<std::string> gone_pods_;  // uids of deleted Pods, for first_seen_
  bool stopping_ = false;
  bool started_ = false;
  std::thread thread_;
  // Worker thread only:
  std::map<std::string, SteadyTime> first_seen_;  // pod uid -> when the kubelet first saw it
  std::map<SimKey, SteadyTime> timer_of_;         // key -> earliest pending timer
  std::set<std::pair<SteadyTime, SimKey>> timers_;
  bool write_failed_ = false;  // a write of the current reconcile failed: retry it later
};

Status WorkloadSimulator::Impl::start() {
  // lifecycle_mu_ (not mu_) is held across store calls: the store delivers events under its own
  // lock and the callback takes mu_, so mu_ must never be held while calling the store.
  std::lock_guard life(lifecycle_mu_);
  if (started_) return Status::ok();
  // The index starts from a list and follows the watch from the list's resourceVersion on, so it
  // sees every change exactly once (the store replays the events after that RV).
  Result<std::unique_ptr<StoreWatch>> w = Status(Code::kGone, "not started");
  for (int attempt = 0; attempt < 5 && !w.ok(); ++attempt) {
    uint64_t rv = store_.currentResourceVersion();
    OwnerIndex index;
    for (const char* r : {kPods, kReplicaSets, kDeployments, kJobs}) {
      auto [objs, list_rv] = store_.list(r, "");
      rv = std::min(rv, list_rv);
      for (const auto& o : objs) index.add(r, *o);
    }
    {
      std::lock_guard lock(mu_);
      stopping_ = false;
      resync_ = true;
      dirty_.clear();
      index_ = std::move(index);
    }
    w = store_.watch("", "", rv, [this](const StoreEvent& ev) { onEvent(ev); });
    if (!w.ok() && w.status().code() != Code::kGone) return w.status();
  }
  if (!w.ok()) return w.status();
  watch_ = std::move(*w);
  thread_ = std::thread([this] { loop(); });
  started_ = true;
  return Status::ok();
}

void WorkloadSimulator::Impl::stop() {
  std::lock_guard life(lifecycle_mu_);
  if (!started_) return;
  watch_->cancel();
  watch_.reset();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_one();
  }
  thread_.join();
  started_ = false;
}

void WorkloadSimulator::Impl::loop() {
  SteadyTime wake = SteadyTime::max();
  for (;;) {
    {
      std::unique_lock lock(mu_);
      auto ready = [&] { return stopping_ || resync_ || !dirty_.empty(); };
      if (wake == SteadyTime::max()) {
        cv_.wait(lock, ready);
      } else {
        cv_.wait_until(lock, wake, ready);
      }
      if (stopping_) return;
    }
    wake = pass();
  }
}

void WorkloadSimulator::Impl::onEvent(const StoreEvent& ev) {
  if (ev.resource != kPods && ev.resource != kReplicaSets && ev.resource != kDeployments &&
      ev.resource != kJobs) {
    return;
  }
  std::lock_guard lock(mu_);
  // Dirty marks first: a deleted object's controller is found through the index entry of the
  // controller, which the dependent's removal does not touch.
  markDirty(ev.resource, *ev.object);
  if (ev.old_object) markDirty(ev.resource, *ev.old_object);
  index_.apply(ev);
  if (ev.type == "DELETED" && ev.resource == kPods) gone_pods_.push_back(uidOf(*ev.object));
  cv_.notify_one();
}

void WorkloadSimulator::Impl::markDirty(const ResourceKey& resource, const json& obj) {
  dirty_.emplace(resource, nsOf(obj), nameOf(obj));
  std::string owner = controllerUidOf(obj);
  if (owner.empty()) return;
  if (auto key = index_.byUid(owner)) dirty_.emplace(key->resource, key->namespace_, key->name);
}

std::vector<ObjectPtr> WorkloadSimulator::Impl::controlledBy(const ResourceKey& resource,
                                                             const std::string& owner_uid) {
  std::vector<ObjectKey> keys;
  {
    std::lock_guard lock(mu_);  // never held across a store call (see start())
    keys = index_.controlledBy(resource, owner_uid);
  }
  std::vector<ObjectPtr> out;
  out.reserve(keys.size());
  for (const auto& k : keys) {
    if (auto o = store_.get(k); o.ok()) out.push_back(*o);
  }
  return out;
}

void WorkloadSimulator::Impl::requeueAt(const SimKey& key, SteadyTime due) {
  auto [it, inserted] = timer_of_.emplace(key, due);
  if (!inserted) {
    if (it->second <= due) return;
    timers_.erase({it->second, key});
    it->second = due;
  }
  timers_.emplace(due, key);
}

void WorkloadSimulator::Impl::reconcileKey(const SimKey& key) {
  const auto& [resource, ns, name] = key;
  auto obj = store_.get({resource, ns, name});
  if (!obj.ok()) return;
  const json& o = **obj;
  SteadyTime wake = SteadyTime::max();
  write_failed_ = false;
  // Objects come from users: a malformed one (json type errors) is skipped, never fatal.
  try {
    if (resource == kDeployments) {
      reconcileDeployment(o, controlledBy(kReplicaSets, uidOf(o)));
    } else if (resource == kPods) {
      kubelet(o, wake);
    } else if (resource == kReplicaSets) {
      reconcileReplicaSet(o, controlledBy(kPods, uidOf(o)), wake);
    } else if (resource == kJobs) {
      reconcileJob(o, controlledBy(kPods, uidOf(o)), wake);
    }
  } catch (const std::exception&) {
  }
  if (write_failed_) wake = std::min(wake, std::chrono::steady_clock::now() + kRetryAfter);
  if (wake != SteadyTime::max()) requeueAt(key, wake);
}

SteadyTime WorkloadSimulator::Impl::pass() {
  std::set<SimKey> dirty;
  bool full = false;
  std::vector<std::string> gone;
  {
    std::lock_guard lock(mu_);
    dirty.swap(dirty_);
    std::swap(full, resync_);
    gone.swap(gone_pods_);
  }
  for (const auto& uid : gone) first_seen_.erase(uid);
  if (full) {
    for (const char* r : {kDeployments, kReplicaSets, kJobs, kPods}) {
      for (const auto& o : store_.list(r, "").first) dirty.emplace(r, nsOf(*o), nameOf(*o));
    }
  }
  auto now = std::chrono::steady_clock::now();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    dirty.insert(timers_.begin()->second);
    timer_of_.erase(timers_.begin()->second);
    timers_.erase(timers_.begin());
  }
  // The order of the full passes this replaced: Deployments (they make ReplicaSets), the kubelet
  // (Pods turn Ready), ReplicaSets (they count Ready Pods), Jobs. Writes made here mark their
  // objects dirty again, for the next pass.
  for (const char* r : {kDeployments, kPods, kReplicaSets, kJobs}) {
    for (auto it = dirty.lower_bound({r, "", ""}); it != dirty.end() && std::get<0>(*it) == r;
         ++it) {
      reconcileKey(*it);
    }
  }
  return timers_.empty() ? SteadyTime::max() : timers_.begin()->first;
}

std::string WorkloadSimulator::Impl::randomName(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += kNameAlphabet[rng_() % (sizeof(kNameAlphabet) - 1)];
  return s;
}

std::string WorkloadSimulator::Impl::newUid() {
  uint64_t a = rng_(), b = rng_();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

void WorkloadSimulator::Impl::writeStatus(const char* resource, const json& obj, json status) {
  if (obj.value("status", json::object()) == status) return;
  ObjectKey key{resource, nsOf(obj), nameOf(obj)};
  std::string uid = uidOf(obj);
  noteWrite(store_.mutate(key, [&](json& cur) -> Status {
    if (uidOf(cur) != uid) return Status(Code::kNotFound, "replaced");
    cur["status"] = status;
    return Status::ok();
  }));
}

void WorkloadSimulator::Impl::createPod(const json& owner, const char* apiVersion, const char* kind,
                                        json extra_labels) {
  const json& tmpl = owner.value("/spec/template"_json_pointer, json::object());
  json meta = tmpl.value("metadata", json::object());
  json labels = meta.value("labels", json::object());
  for (const auto& [k, v] : extra_labels.items()) labels[k] = v;
  json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}};
  pod["metadata"] = {{"namespace", nsOf(owner)},
                     {"generateName", nameOf(owner) + "-"},
                     {"labels", labels},
                     {"uid", newUid()},
                     {"creationTimestamp", nowRfc3339()},
                     {"ownerReferences", json::array({ownerRef(owner, apiVersion, kind)})}};
  if (meta.contains("annotations")) pod["metadata"]["annotations"] = meta["annotations"];
  pod["spec"] = tmpl.value("spec", json::object());
  pod["spec"]["nodeName"] = kNodeName;
  pod["status"] = {{"phase", "Pending"},
                   {"conditions", json::array({{{"type", "PodScheduled"},
                                                {"status", "True"},
                                                {"lastTransitionTime", nowRfc3339()}}})}};
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::string name = nameOf(owner) + "-" + randomName(5);
    pod["metadata"]["name"] = name;
    auto r = store_.create({kPods, nsOf(owner), name}, pod);
    if (r.ok()) {
      first_seen_[uidOf(pod)] = std::chrono::steady_clock::now();
      return;
    }
    if (r.status().code() != Code::kAlreadyExists) break;
  }
  write_failed_ = true;
}

void WorkloadSimulator::Impl::failPull(const json& pod, const std::string& image) {
  for (const auto& cs : pod.value("/status/containerStatuses"_json_pointer, json::array())) {
    if (cs.value("/state/waiting/reason"_json_pointer, "") == "ErrImagePull") return;
  }
  json status = pod.value("status", json::object());
  status["phase"] = "Pending";
  status["hostIP"] = "127.0.0.1";
  setCondition(status, "Initialized", "True", "", "", false);
  setCondition(status, "ContainersReady", "False", "ContainersNotReady", "", false);
  setCondition(status, "Ready", "False", "ContainersNotReady", "", false);
  json statuses = json::array();
  for (const auto& c : pod.value("/spec/containers"_json_pointer, json::array())) {
    std::string img = c.value("image", "");
    json waiting = {{"reason", "ContainerCreating"}};
    if (img == image) {
      waiting = {{"reason", "ErrImagePull"},
                 {"message", "failed to pull and unpack image \"" + img +
                                 "\": not found (vane-apiserver --simulate-workloads)"}};
    }
    statuses.push_back({{"name", c.value("name", "")},
                        {"image", img},
                        {"imageID", ""},
                        {"ready", false},
                        {"started", false},
                        {"restartCount", 0},
                        {"state", {{"waiting", waiting}}}});
  }
  status["containerStatuses"] = statuses;
  std::string uid = uidOf(pod);
  noteWrite(store_.mutate({kPods, nsOf(pod), nameOf(pod)}, [&](json& cur) -> Status {
    if (uidOf(cur) != uid) return Status(Code::kNotFound, "replaced");
    if (!cur["spec"].is_object()) cur["spec"] = json::object();
    if (cur["spec"].value("nodeName", "").empty()) cur["spec"]["nodeName"] = kNodeName;
    cur["status"] = status;
    return Status::ok();
  }));
}

void WorkloadSimulator::Impl::kubelet(const json& pod, SteadyTime& wake) {
  if (isDeleting(pod) || podTerminal(pod)) return;
  bool job = controllerKind(pod) == "Job";
  // A Job Pod's `sh -c` script (pod_script.h): Running for its sleep, then its exit code.
  std::optional<ContainerScript> script =
      job ? podScript(pod.value("spec", json::object())) : std::nullopt;
  bool running = str(pod, "status", "phase") == "Running";
  if (running && !script) return;
  auto now = std::chrono::steady_clock::now();
  auto [it, inserted] = first_seen_.emplace(uidOf(pod), now);
  SteadyTime due = it->second + options_.pod_ready_delay;
  if (now < due) {
    wake = std::min(wake, due);
    return;
  }
  std::string image =
      unpullableImage(pod.value("spec", json::object()), options_.unpullable_images);
  if (!image.empty()) return failPull(pod, image);
  bool finished = !script || now >= due + script->runtime;
  if (running && !finished) {
    wake = std::min(wake, due + script->runtime);
    return;
  }
  if (!finished) wake = std::min(wake, due + script->runtime);
  std::string ts = nowRfc3339();
  std::string started =
      str(pod, "status", "startTime").empty() ? ts : str(pod, "status", "startTime");
  int exit_code = script ? script->exit_code
                         : (job && annotation(pod, kSimulateJobAnnotation) == "fail" ? 1 : 0);
  bool fail = job && exit_code != 0;
  bool ready =
      finished ? !job && annotation(pod, kSimulateAnnotation) != kSimulateNeverReady : true;
  json status = pod.value("status", json::object());
  status["phase"] = job && finished ? (fail ? "Failed" : "Succeeded") : "Running";
  status["hostIP"] = "127.0.0.1";
  status["podIP"] = "10.244.0." + std::to_string(2 + rng_() % 250);
  status["podIPs"] = json::array({{{"ip", status["podIP"]}}});
  status["startTime"] = started;
  status["qosClass"] = "BestEffort";
  std::string cond = ready ? "True" : "False";
  setCondition(status, "PodScheduled", "True", "", "", false);
  setCondition(status, "Initialized", "True", "", "", false);
  setCondition(status, "ContainersReady", cond, "", "", false);
  setCondition(status, "Ready", cond, job && finished ? "PodCompleted" : "", "", false);
  json statuses = json::array();
  for (const auto& c : pod.value("/spec/containers"_json_pointer, json::array())) {
    json state = job && finished ? json{{"terminated",
                                         {{"exitCode", exit_code},
                                          {"reason", fail ? "Error" : "Completed"},
                                          {"startedAt", started},
                                          {"finishedAt", ts}}}}
                                 : json{{"running", {{"startedAt", started}}}};
    statuses.push_back({{"name", c.value("name", "")},
                        {"image", c.value("image", "")},
                        {"imageID", "vane.dev/simulated/" + c.value("image", "")},
                        {"containerID", "vane://" + newUid()},
                        {"ready", ready},
                        {"started", !(job && finished)},
                        {"restartCount", 0},
                        {"state", state}});
  }
  status["containerStatuses"] = statuses;
  // The scheduler's part: a Pod created without a node (kubectl run) lands on the local node.
  std::string uid = uidOf(pod);
  noteWrite(store_.mutate({kPods, nsOf(pod), nameOf(pod)}, [&](json& cur) -> Status {
    if (uidOf(cur) != uid) return Status(Code::kNotFound, "replaced");
    if (!cur["spec"].is_object()) cur["spec"] = json::object();
    if (cur["spec"].value("nodeName", "").empty()) cur["spec"]["nodeName"] = kNodeName;
    cur["status"] = status;
    return Status::ok();
  }));
}

void WorkloadSimulator::Impl::reconcileReplicaSet(const json& rs,
                                                  const std::vector<ObjectPtr>& pods,
                                                  SteadyTime& wake) {
  if (isDeleting(rs)) return;
  std::vector<ObjectPtr> owned;
  for (const auto& p : pods) {
    if (controllerUid(*p) == uidOf(rs) && !isDeleting(*p) && !podTerminal(*p)) owned.push_back(p);
  }
  auto desired =
      static_cast<size_t>(std::max<int64_t>(0, intAt(rs, "/spec/replicas"_json_pointer, 1)));
  for (size_t i = owned.size(); i < desired; ++i)
    createPod(rs, "apps/v1", "ReplicaSet", json::object());
  if (owned.size() > desired) {
    // Unready first, then newest first (controller.ActivePods ordering, simplified).
    std::sort(owned.begin(), owned.end(), [](const ObjectPtr& a, const ObjectPtr& b) {
      if (podReady(*a) != podReady(*b)) return !podReady(*a);
      return str(*a, "metadata", "creationTimestamp") > str(*b, "metadata", "creationTimestamp");
    });
    for (size_t i = 0; i < owned.size() - desired; ++i) {
      noteWrite(store_.remove({kPods, nsOf(*owned[i]), nameOf(*owned[i])}));
    }
    owned.erase(owned.begin(), owned.begin() + static_cast<long>(owned.size() - desired));
  }
  int64_t min_ready = intAt(rs, "/spec/minReadySeconds"_json_pointer, 0);
  const json& tmpl_labels = rs.value("/spec/template/metadata/labels"_json_pointer, json::object());
  int64_t ready = 0, available = 0, labeled = 0;
  std::time_t now = std::time(nullptr);
  for (const auto& p : owned) {
    json labels = p->value("/metadata/labels"_json_pointer, json::object());
    if (labelsMatch(labels, json{{"matchLabels", tmpl_labels}})) ++labeled;
    if (!podReady(*p)) continue;
    ++ready;
    std::time_t since =
        base::parseRfc3339Seconds(condition(*p, "Ready")->value("lastTransitionTime", ""))
            .value_or(0);
    if (min_ready <= 0 || now - since >= min_ready) {
      ++available;
    } else {
      wake = std::min(
          wake, std::chrono::steady_clock::now() + std::chrono::seconds(since + min_ready - now));
    }
  }
  json status = rs.value("status", json::object());
  status["replicas"] = static_cast<int64_t>(owned.size());
  status["fullyLabeledReplicas"] = labeled;
  status["readyReplicas"] = ready;
  status["availableReplicas"] = available;
  status["observedGeneration"] = intAt(rs, "/metadata/generation"_json_pointer, 1);
  writeStatus(kReplicaSets, rs, status);
}

void WorkloadSimulator::Impl::reconcileDeployment(const json& d,
                                                  const std::vector<ObjectPtr>& rss) {
  if (isDeleting(d)) return;
  std::vector<ObjectPtr> owned;
  for (const auto& rs : rss) {
    if (controllerUid(*rs) == uidOf(d) && !isDeleting(*rs)) owned.push_back(rs);
  }
  int64_t desired = std::max<int64_t>(0, intAt(d, "/spec/replicas"_json_pointer, 1));
  const json tmpl = normalizedTemplate(d.value("/spec/template"_json_pointer, json::object()));
  std::string hash = templateHash(tmpl);
  ObjectPtr current;
  int64_t max_revision = 0;
  for (const auto& rs : owned) {
    max_revision =
        std::max<int64_t>(max_revision, std::atoll(annotation(*rs, kRevisionAnnotation).c_str()));
    // FindNewReplicaSet: the ReplicaSet whose template equals the Deployment's, ignoring the hash.
    if (!current &&
        normalizedTemplate(rs->value("/spec/template"_json_pointer, json::object())) == tmpl) {
      current = rs;
    }
  }
  bool paused = d.value("/spec/paused"_json_pointer, false);
  std::string revision = std::to_string(max_revision + 1);
  if (current) {
    // Rolling back to an old ReplicaSet makes it the newest revision again.
    std::string own = annotation(*current, kRevisionAnnotation);
    if (paused || std::atoll(own.c_str()) == max_revision) revision = own;
  }
  if (current && !paused && annotation(*current, kRevisionAnnotation) != revision) {
    noteWrite(store_.mutate({kReplicaSets, nsOf(*current), nameOf(*current)}, [&](json& cur) {
      cur["metadata"]["annotations"][kRevisionAnnotation] = revision;
      return Status::ok();
    }));
  }
  // A paused Deployment keeps its ReplicaSets as they are (no new one, no scaling of old ones).
  if (!current && !paused) createReplicaSet(d, hash, revision, desired);
  for (const auto& rs : owned) {
    int64_t want = rs == current ? desired : 0;
    if ((paused && rs != current) || intAt(*rs, "/spec/replicas"_json_pointer, 1) == want) continue;
    noteWrite(store_.mutate({kReplicaSets, nsOf(*rs), nameOf(*rs)}, [&](json& cur) {
      cur["spec"]["replicas"] = want;
      cur["metadata"]["generation"] = intAt(cur, "/metadata/generation"_json_pointer, 1) + 1;
      return Status::ok();
    }));
  }
  if (!paused && annotation(d, kRevisionAnnotation) != revision) {
    noteWrite(store_.mutate({kDeployments, nsOf(d), nameOf(d)}, [&](json& cur) {
      cur["metadata"]["annotations"][kRevisionAnnotation] = revision;
      return Status::ok();
    }));
  }
  std::string new_name = current ? nameOf(*current) : nameOf(d) + "-" + hash;
  writeStatus(kDeployments, d, deploymentStatus(d, owned, current, new_name));
}

void WorkloadSimulator::Impl::createReplicaSet(const json& d, const std::string& hash,
                                               const std::string& revision, int64_t replicas) {
  json tmpl = d.value("/spec/template"_json_pointer, json::object());
  tmpl["metadata"]["labels"][kTemplateHashLabel] = hash;
  json selector = d.value("/spec/selector"_json_pointer, json::object());
  selector["matchLabels"][kTemplateHashLabel] = hash;
  std::string name = nameOf(d) + "-" + hash;
  json rs = {{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}};
  rs["metadata"] = {{"name", name},
                    {"namespace", nsOf(d)},
                    {"labels", tmpl["metadata"]["labels"]},
                    {"annotations", {{kRevisionAnnotation, revision}}},
                    {"uid", newUid()},
                    {"generation", 1},
                    {"creationTimestamp", nowRfc3339()},
                    {"ownerReferences", json::array({ownerRef(d, "apps/v1", "Deployment")})}};
  rs["spec"] = {{"replicas", replicas},
                {"minReadySeconds", intAt(d, "/spec/minReadySeconds"_json_pointer, 0)},
                {"selector", selector},
                {"template", tmpl}};
  rs["status"] = {{"replicas", 0}};
  noteWrite(store_.create({kReplicaSets, nsOf(d), name}, rs));
}

json WorkloadSimulator::Impl::deploymentStatus(const json& d, const std::vector<ObjectPtr>& owned,
                                               const ObjectPtr& current,
                                               const std::string& new_name) {
  int64_t desired = std::max<int64_t>(0, intAt(d, "/spec/replicas"_json_pointer, 1));
  int64_t replicas = 0, ready = 0, available = 0, updated = 0;
  for (const auto& rs : owned) {
    replicas += intAt(*rs, "/status/replicas"_json_pointer, 0);
    ready += intAt(*rs, "/status/readyReplicas"_json_pointer, 0);
    available += intAt(*rs, "/status/availableReplicas"_json_pointer, 0);
    if (rs == current) updated = intAt(*rs, "/status/replicas"_json_pointer, 0);
  }
  json status = d.value("status", json::object());
  status["observedGeneration"] = intAt(d, "/metadata/generation"_json_pointer, 1);
  status["replicas"] = replicas;
  status["updatedReplicas"] = updated;
  status["readyReplicas"] = ready;
  status["availableReplicas"] = available;
  status["unavailableReplicas"] = std::max<int64_t>(0, desired - available);
  bool recreate = d.value("/spec/strategy/type"_json_pointer, "") == "Recreate";
  json max_unavailable_spec =
      d.value("/spec/strategy/rollingUpdate/maxUnavailable"_json_pointer, json("25%"));
  int64_t max_unavailable =
      recreate ? 0 : resolveIntOrPercent(max_unavailable_spec, desired, desired / 4);
  bool avail = available >= desired - max_unavailable;
  setCondition(status, "Available", avail ? "True" : "False",
               avail ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
               avail ? "Deployment has minimum availability."
                     : "Deployment does not have minimum availability.",
               true);
  if (d.value("/spec/paused"_json_pointer, false)) {
    setCondition(status, "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused",
                 true);
    return status;
  }
  bool done = current && updated == desired && replicas == desired && available >= desired;
  setCondition(status, "Progressing", "True", done ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
               "ReplicaSet \"" + new_name +
                   (done ? "\" has successfully progressed." : "\" is progressing."),
               true);
  return status;
}

void WorkloadSimulator::Impl::reconcileJob(const json& job, const std::vector<ObjectPtr>& pods,
                                           SteadyTime& wake) {
  if (isDeleting(job)) return;
  for (const char* t : {"Complete", "Failed"}) {
    const json* c = condition(job, t);
    if (c != nullptr && c->value("status", "") == "True") return;
  }
  int64_t active = 0, succeeded = 0, failed = 0, ready = 0;
  std::vector<ObjectPtr> running;
  for (const auto& p : pods) {
    if (controllerUid(*p) != uidOf(job) || isDeleting(*p)) continue;
    std::string phase = str(*p, "status", "phase");
    if (phase == "Succeeded") {
      ++succeeded;
    } else if (phase == "Failed") {
      ++failed;
    } else {
      ++active;
      ready += podReady(*p) ? 1 : 0;
      running.push_back(p);
    }
  }
  // spec.backoffLimit (Kubernetes' default 6); the vane.dev/simulate-job: fail shortcut fails the
  // Job with its first Pod unless a limit is given.
  bool fail_annotation = annotation(job.value("/spec/template"_json_pointer, json::object()),
                                    kSimulateJobAnnotation) == "fail";
  int64_t backoff_limit = intAt(job, "/spec/backoffLimit"_json_pointer, fail_annotation ? 0 : 6);
  json status = job.value("status", json::object());
  if (!status.contains("startTime")) status["startTime"] = nowRfc3339();
  // spec.activeDeadlineSeconds, counted from status.startTime: the running Pods are killed and
  // the Job fails with DeadlineExceeded (as kube-controller-manager's Job controller).
  bool deadline_exceeded = false;
  int64_t deadline_s = intAt(job, "/spec/activeDeadlineSeconds"_json_pointer, -1);
  auto start = base::parseRfc3339(status.value("startTime", ""));
  if (deadline_s >= 0 && start && succeeded == 0) {
    auto left = *start + std::chrono::seconds(deadline_s) - std::chrono::system_clock::now();
    if (left <= std::chrono::seconds(0)) {
      deadline_exceeded = true;
      for (const auto& p : running) noteWrite(store_.remove({kPods, nsOf(*p), nameOf(*p)}));
      failed += active;
      active = ready = 0;
    } else {
      wake = std::min(wake, std::chrono::steady_clock::now() +
                                std::chrono::duration_cast<std::chrono::milliseconds>(left) +
                                std::chrono::milliseconds(10));
    }
  }
  bool backoff_exceeded = !deadline_exceeded && succeeded == 0 && failed > backoff_limit;
  if (!deadline_exceeded && !backoff_exceeded && active == 0 && succeeded == 0) {
    createPod(job, "batch/v1", "Job",
              {{"batch.kubernetes.io/job-name", nameOf(job)},
               {"job-name", nameOf(job)},
               {"batch.kubernetes.io/controller-uid", uidOf(job)},
               {"controller-uid", uidOf(job)}});
    active = 1;
  }
  status["active"] = active;
  status["ready"] = ready;
  if (succeeded > 0) status["succeeded"] = succeeded;
  if (failed > 0) status["failed"] = failed;
  if (succeeded > 0) {
    status["completionTime"] = nowRfc3339();
    // kube-controller-manager 1.31+ (JobSuccessPolicy): SuccessCriteriaMet, then Complete.
    setCondition(status, "SuccessCriteriaMet", "True", "CompletionsReached",
                 "Reached expected number of succeeded pods", false);
    setCondition(status, "Complete", "True", "CompletionsReached",
                 "Reached expected number of succeeded pods", false);
  } else if (deadline_exceeded) {
    setCondition(status, "Failed", "True", "DeadlineExceeded",
                 "Job was active longer than specified deadline", false);
  } else if (backoff_exceeded) {
    setCondition(status, "Failed", "True", "BackoffLimitExceeded",
                 "Job has reached the specified backoff limit", false);
  }
  writeStatus(kJobs, job, status);
}

WorkloadSimulator::WorkloadSimulator(Store& store, Options options)
    : impl_(std::make_unique<Impl>(store, options)) {}
WorkloadSimulator::~WorkloadSimulator() { stop(); }
Status WorkloadSimulator::start() { return impl_->start(); }
void WorkloadSimulator::stop() { impl_->stop(); }

}  // namespace vane::apiserver
