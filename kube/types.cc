#include "kube/types.h"

#include <cctype>
#include <ctime>

#include "base/constants.h"
#include "base/duration.h"
#include "base/time.h"
#include "kube/decode.h"
#include "kube/types_internal.h"

namespace vane::kube {

using json = nlohmann::json;

namespace {

constexpr const char* kHashLabel = base::kLabelPodTemplateHash;

std::optional<int32_t> opt32(const Decoder& d, const std::string& key) {
  auto v = d.optInt(key);
  if (!v) return std::nullopt;
  if (*v < INT32_MIN || *v > INT32_MAX) {
    d.fail(key, "value out of range for int32");
    return std::nullopt;
  }
  return static_cast<int32_t>(*v);
}

Labels stringMap(const Decoder& d, const std::string& key) {
  Labels out;
  if (!d.has(key)) return out;
  Decoder m = d.child(key);
  if (!m.value().is_object()) return out;
  for (auto it = m.value().begin(); it != m.value().end(); ++it) {
    if (it.value().is_string()) {
      out[it.key()] = it.value().get<std::string>();
    } else if (!it.value().is_null()) {
      m.fail(it.key(), "expected string");
    }
  }
  return out;
}

std::optional<json> optRaw(const Decoder& d, const std::string& key) {
  if (!d.has(key)) return std::nullopt;
  return d.value().at(key);
}

ObjectMeta decodeMeta(const Decoder& d) {
  ObjectMeta m;
  m.name = d.string("name");
  m.namespace_ = d.string("namespace");
  m.uid = d.string("uid");
  m.resourceVersion = d.string("resourceVersion");
  m.creationTimestamp = d.string("creationTimestamp");
  m.deletionTimestamp = d.string("deletionTimestamp");
  m.generation = d.integer("generation");
  m.labels = stringMap(d, "labels");
  m.annotations = stringMap(d, "annotations");
  if (d.has("ownerReferences")) {
    d.array("ownerReferences");  // type check
    m.ownerReferences = d.value().at("ownerReferences");
  }
  return m;
}

std::optional<RolloutPause> decodePause(const Decoder& step) {
  if (!step.has("pause")) return std::nullopt;
  Decoder p = step.child("pause");
  RolloutPause pause;
  if (p.has("duration")) {
    auto secs = parseDurationSeconds(p.value().at("duration"));
    if (!secs) {
      p.fail("duration", secs.status().message());
    } else {
      pause.duration = *secs;
    }
  }
  return pause;
}

RolloutAnalysis decodeAnalysis(const Decoder& a) {
  RolloutAnalysis out;
  a.array("templates");
  a.array("args");
  out.raw = a.value().is_object() ? a.value() : json::object();
  if (a.has("templates")) out.templates = a.value().at("templates");
  if (a.has("args")) out.args = a.value().at("args");
  out.startingStep = opt32(a, "startingStep");
  return out;
}

CanaryStep decodeStep(const Decoder& s) {
  CanaryStep step;
  step.setWeight = opt32(s, "setWeight");
  step.pause = decodePause(s);
  if (s.has("setCanaryScale")) {
    Decoder c = s.child("setCanaryScale");
    step.setCanaryScale =
        SetCanaryScale{opt32(c, "weight"), opt32(c, "replicas"), c.boolean("matchTrafficWeight")};
  }
  if (s.has("analysis")) step.analysis = decodeAnalysis(s.child("analysis"));
  step.experiment = optRaw(s, "experiment");
  step.setHeaderRoute = optRaw(s, "setHeaderRoute");
  step.setMirrorRoute = optRaw(s, "setMirrorRoute");
  step.plugin = optRaw(s, "plugin");
  return step;
}

std::optional<PodTemplateMetadata> decodePodMetadata(const Decoder& d, const std::string& key) {
  if (!d.has(key)) return std::nullopt;
  Decoder m = d.child(key);
  return PodTemplateMetadata{stringMap(m, "labels"), stringMap(m, "annotations")};
}

CanaryStrategy decodeCanary(const Decoder& c) {
  CanaryStrategy out;
  for (const Decoder& s : c.array("steps")) out.steps.push_back(decodeStep(s));
  if (c.has("steps")) out.stepsRaw = c.value().at("steps");
  out.maxSurge = c.optIntOrString("maxSurge");
  out.maxUnavailable = c.optIntOrString("maxUnavailable");
  out.canaryService = c.string("canaryService");
  out.stableService = c.string("stableService");
  out.canaryMetadata = decodePodMetadata(c, "canaryMetadata");
  out.stableMetadata = decodePodMetadata(c, "stableMetadata");
  out.dynamicStableScale = c.boolean("dynamicStableScale");
  out.scaleDownDelaySeconds = opt32(c, "scaleDownDelaySeconds");
  out.abortScaleDownDelaySeconds = opt32(c, "abortScaleDownDelaySeconds");
  out.minPodsPerReplicaSet = opt32(c, "minPodsPerReplicaSet");
  out.antiAffinity = optRaw(c, "antiAffinity");
  out.scaleDownDelayRevisionLimit = opt32(c, "scaleDownDelayRevisionLimit");
  out.pingPong = c.has("pingPong");
  if (out.pingPong) {
    Decoder pp = c.child("pingPong");
    out.pingService = pp.string("pingService");
    out.pongService = pp.string("pongService");
  }
  if (c.has("replicaProgressThreshold")) {
    Decoder t = c.child("replicaProgressThreshold");
    out.replicaProgressThreshold =
        ReplicaProgressThreshold{t.string("type"), static_cast<int32_t>(t.integer("value"))};
  }
  if (c.has("analysis")) out.analysis = decodeAnalysis(c.child("analysis"));
  if (c.has("trafficRouting")) {
    Decoder tr = c.child("trafficRouting");
    out.trafficRouting = tr.value();
    for (const Decoder& r : tr.array("managedRoutes")) {
      out.managedRoutes.push_back(r.requiredString("name"));
    }
  }
  return out;
}

BlueGreenStrategy decodeBlueGreen(const Decoder& b) {
  BlueGreenStrategy out;
  out.activeService = b.string("activeService");
  out.previewService = b.string("previewService");
  out.autoPromotionEnabled = b.optBool("autoPromotionEnabled");
  out.autoPromotionSeconds = opt32(b, "autoPromotionSeconds").value_or(0);
  out.previewReplicaCount = opt32(b, "previewReplicaCount");
  out.scaleDownDelaySeconds = opt32(b, "scaleDownDelaySeconds");
  out.scaleDownDelayRevisionLimit = opt32(b, "scaleDownDelayRevisionLimit");
  out.abortScaleDownDelaySeconds = opt32(b, "abortScaleDownDelaySeconds");
  if (b.has("prePromotionAnalysis")) {
    out.prePromotionAnalysis = decodeAnalysis(b.child("prePromotionAnalysis"));
  }
  if (b.has("postPromotionAnalysis")) {
    out.postPromotionAnalysis = decodeAnalysis(b.child("postPromotionAnalysis"));
  }
  out.previewMetadata = decodePodMetadata(b, "previewMetadata");
  out.activeMetadata = decodePodMetadata(b, "activeMetadata");
  out.antiAffinity = optRaw(b, "antiAffinity");
  out.maxUnavailable = b.optIntOrString("maxUnavailable");
  return out;
}

RolloutSpec decodeSpec(const Decoder& d) {
  RolloutSpec s;
  s.replicas = opt32(d, "replicas");
  if (d.has("selector")) s.selector = d.child("selector").value();
  if (d.has("template")) s.template_ = d.child("template").value();
  if (d.has("workloadRef")) {
    Decoder w = d.child("workloadRef");
    s.workloadRef = WorkloadRef{w.string("apiVersion"), w.string("kind"), w.string("name"),
                                w.string("scaleDown")};
  }
  s.minReadySeconds = opt32(d, "minReadySeconds").value_or(0);
  s.revisionHistoryLimit = opt32(d, "revisionHistoryLimit");
  s.paused = d.boolean("paused");
  s.progressDeadlineSeconds = opt32(d, "progressDeadlineSeconds");
  s.progressDeadlineAbort = d.boolean("progressDeadlineAbort");
  s.restartAt = d.string("restartAt");
  if (d.has("rollbackWindow"))
    s.rollbackWindowRevisions = opt32(d.child("rollbackWindow"), "revisions");
  if (d.has("analysis")) {
    Decoder a = d.child("analysis");
    s.successfulRunHistoryLimit = opt32(a, "successfulRunHistoryLimit");
    s.unsuccessfulRunHistoryLimit = opt32(a, "unsuccessfulRunHistoryLimit");
  }
  Decoder strategy = d.child("strategy");
  if (strategy.has("canary")) s.canary = decodeCanary(strategy.child("canary"));
  if (strategy.has("blueGreen")) s.blueGreen = decodeBlueGreen(strategy.child("blueGreen"));
  return s;
}

std::optional<RolloutAnalysisRunStatus> decodeRunStatus(const Decoder& d, const std::string& key) {
  if (!d.has(key)) return std::nullopt;
  Decoder r = d.child(key);
  return RolloutAnalysisRunStatus{r.string("name"), r.string("status"), r.string("message")};
}

WeightDestination decodeWeight(const Decoder& d) {
  return WeightDestination{opt32(d, "weight").value_or(0), d.string("serviceName"),
                           d.string("podTemplateHash")};
}

void decodeCanaryStatus(const Decoder& c, CanaryStatus& out) {
  out.currentStepAnalysisRunStatus = decodeRunStatus(c, "currentStepAnalysisRunStatus");
  out.currentBackgroundAnalysisRunStatus = decodeRunStatus(c, "currentBackgroundAnalysisRunStatus");
  if (c.has("weights")) {
    Decoder w = c.child("weights");
    TrafficWeights tw;
    tw.canary = decodeWeight(w.child("canary"));
    tw.stable = decodeWeight(w.child("stable"));
    if (w.has("additional")) tw.additional = w.value().at("additional");
    tw.verified = w.optBool("verified");
    out.weights = tw;
  }
  out.currentExperiment = c.string("currentExperiment");
  if (c.value().is_object()) {
    out.rest = c.value();
    for (const char* k : {"currentStepAnalysisRunStatus", "currentBackgroundAnalysisRunStatus",
                          "weights", "currentExperiment"}) {
      out.rest.erase(k);
    }
  }
}

void decodeBlueGreenStatus(const Decoder& b, BlueGreenStatus& out) {
  out.prePromotionAnalysisRunStatus = decodeRunStatus(b, "prePromotionAnalysisRunStatus");
  out.postPromotionAnalysisRunStatus = decodeRunStatus(b, "postPromotionAnalysisRunStatus");
  out.previewSelector = b.string("previewSelector");
  out.activeSelector = b.string("activeSelector");
  out.scaleUpPreviewCheckPoint = b.boolean("scaleUpPreviewCheckPoint");
  if (b.value().is_object()) {
    out.rest = b.value();
    for (const char* k : {"prePromotionAnalysisRunStatus", "postPromotionAnalysisRunStatus",
                          "previewSelector", "activeSelector", "scaleUpPreviewCheckPoint"}) {
      out.rest.erase(k);
    }
  }
}

const char* const kOwnedStatusFields[] = {
    "abort",          "pauseConditions",    "controllerPause", "abortedAt",
    "currentPodHash", "currentStepHash",    "replicas",        "updatedReplicas",
    "readyReplicas",  "availableReplicas",  "HPAReplicas",     "currentStepIndex",
    "collisionCount", "observedGeneration", "conditions",      "canary",
    "selector",       "stableRS",           "restartedAt",     "phase",
    "message",        "promoteFull",        "blueGreen"};

RolloutStatus decodeStatus(const Decoder& d) {
  RolloutStatus s;
  s.abort = d.boolean("abort");
  for (const Decoder& p : d.array("pauseConditions")) {
    s.pauseConditions.push_back({p.string("reason"), p.string("startTime")});
  }
  s.controllerPause = d.boolean("controllerPause");
  s.abortedAt = d.string("abortedAt");
  s.currentPodHash = d.string("currentPodHash");
  s.currentStepHash = d.string("currentStepHash");
  s.replicas = opt32(d, "replicas").value_or(0);
  s.updatedReplicas = opt32(d, "updatedReplicas").value_or(0);
  s.readyReplicas = opt32(d, "readyReplicas").value_or(0);
  s.availableReplicas = opt32(d, "availableReplicas").value_or(0);
  s.HPAReplicas = opt32(d, "HPAReplicas").value_or(0);
  s.currentStepIndex = opt32(d, "currentStepIndex");
  s.collisionCount = opt32(d, "collisionCount");
  // Argo writes a string; older objects may hold a number.
  if (d.has("observedGeneration")) {
    const json& g = d.value().at("observedGeneration");
    s.observedGeneration = g.is_string() ? g.get<std::string>() : g.dump();
  }
  for (const Decoder& c : d.array("conditions")) {
    s.conditions.push_back({c.string("type"), c.string("status"), c.string("lastUpdateTime"),
                            c.string("lastTransitionTime"), c.string("reason"),
                            c.string("message")});
  }
  decodeCanaryStatus(d.child("canary"), s.canary);
  decodeBlueGreenStatus(d.child("blueGreen"), s.blueGreen);
  s.selector = d.string("selector");
  s.stableRS = d.string("stableRS");
  s.restartedAt = d.string("restartedAt");
  s.phase = d.string("phase");
  s.message = d.string("message");
  s.promoteFull = d.boolean("promoteFull");
  if (d.value().is_object()) {
    s.rest = d.value();
    for (const char* k : kOwnedStatusFields) s.rest.erase(k);
  }
  return s;
}

json runStatusJson(const RolloutAnalysisRunStatus& r) {
  json j = {{"name", r.name}, {"status", r.status}};
  if (!r.message.empty()) j["message"] = r.message;
  return j;
}

json weightJson(const WeightDestination& w) {
  json j = {{"weight", w.weight}};
  if (!w.serviceName.empty()) j["serviceName"] = w.serviceName;
  if (!w.podTemplateHash.empty()) j["podTemplateHash"] = w.podTemplateHash;
  return j;
}

void putIf(json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}
void putIf(json& j, const char* key, int32_t v) {
  if (v != 0) j[key] = v;
}
void putIf(json& j, const char* key, bool v) {
  if (v) j[key] = v;
}

}  // namespace

int CanaryStep::fieldCount() const {
  return int(setWeight.has_value()) + int(pause.has_value()) + int(setCanaryScale.has_value()) +
         int(analysis.has_value()) + int(experiment.has_value()) + int(setHeaderRoute.has_value()) +
         int(setMirrorRoute.has_value()) + int(plugin.has_value());
}

Result<int64_t> parseDurationSeconds(const json& value) {
  const Status negative(Code::kInvalid, "Duration needs to be greater than 0");
  if (value.is_number_integer()) {
    int64_t v = value.get<int64_t>();
    if (v < 0) return negative;
    return v;
  }
  if (!value.is_string()) return Status(Code::kInvalid, "invalid duration: want a string");
  // Argo's RolloutPause.DurationSeconds: an integer string is seconds, else a Go duration.
  auto d = base::parseDuration(value.get<std::string>());
  if (!d.ok()) return d.status();
  if (d->count() < 0) return negative;
  return std::chrono::duration_cast<std::chrono::seconds>(*d).count();
}

const RolloutCondition* RolloutStatus::condition(const std::string& type) const {
  for (const auto& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

bool RolloutStatus::hasPauseCondition(const std::string& reason) const {
  for (const auto& p : pauseConditions) {
    if (p.reason == reason) return true;
  }
  return false;
}

json toJson(const RolloutStatus& s) {
  json j = s.rest.is_object() ? s.rest : json::object();
  putIf(j, "abort", s.abort);
  if (!s.pauseConditions.empty()) {
    json pcs = json::array();
    for (const auto& p : s.pauseConditions) {
      pcs.push_back({{"reason", p.reason}, {"startTime", p.startTime}});
    }
    j["pauseConditions"] = pcs;
  }
  putIf(j, "controllerPause", s.controllerPause);
  putIf(j, "abortedAt", s.abortedAt);
  j["currentPodHash"] = s.currentPodHash;
  putIf(j, "currentStepHash", s.currentStepHash);
  putIf(j, "replicas", s.replicas);
  putIf(j, "updatedReplicas", s.updatedReplicas);
  putIf(j, "readyReplicas", s.readyReplicas);
  putIf(j, "availableReplicas", s.availableReplicas);
  putIf(j, "HPAReplicas", s.HPAReplicas);
  if (s.currentStepIndex) j["currentStepIndex"] = *s.currentStepIndex;
  if (s.collisionCount) j["collisionCount"] = *s.collisionCount;
  putIf(j, "observedGeneration", s.observedGeneration);
  if (!s.conditions.empty()) {
    json cs = json::array();
    for (const auto& c : s.conditions) {
      cs.push_back({{"type", c.type},
                    {"status", c.status},
                    {"lastUpdateTime", c.lastUpdateTime},
                    {"lastTransitionTime", c.lastTransitionTime},
                    {"reason", c.reason},
                    {"message", c.message}});
    }
    j["conditions"] = cs;
  }
  json canary = s.canary.rest.is_object() ? s.canary.rest : json::object();
  if (s.canary.currentStepAnalysisRunStatus) {
    canary["currentStepAnalysisRunStatus"] = runStatusJson(*s.canary.currentStepAnalysisRunStatus);
  }
  if (s.canary.currentBackgroundAnalysisRunStatus) {
    canary["currentBackgroundAnalysisRunStatus"] =
        runStatusJson(*s.canary.currentBackgroundAnalysisRunStatus);
  }
  if (s.canary.weights) {
    json w = {{"canary", weightJson(s.canary.weights->canary)},
              {"stable", weightJson(s.canary.weights->stable)}};
    if (!s.canary.weights->additional.is_null()) w["additional"] = s.canary.weights->additional;
    if (s.canary.weights->verified) w["verified"] = *s.canary.weights->verified;
    canary["weights"] = w;
  }
  putIf(canary, "currentExperiment", s.canary.currentExperiment);
  j["canary"] = canary;  // Argo always writes the canary object (possibly empty)
  json bg = s.blueGreen.rest.is_object() ? s.blueGreen.rest : json::object();
  if (s.blueGreen.prePromotionAnalysisRunStatus) {
    bg["prePromotionAnalysisRunStatus"] = runStatusJson(*s.blueGreen.prePromotionAnalysisRunStatus);
  }
  if (s.blueGreen.postPromotionAnalysisRunStatus) {
    bg["postPromotionAnalysisRunStatus"] =
        runStatusJson(*s.blueGreen.postPromotionAnalysisRunStatus);
  }
  putIf(bg, "previewSelector", s.blueGreen.previewSelector);
  putIf(bg, "activeSelector", s.blueGreen.activeSelector);
  putIf(bg, "scaleUpPreviewCheckPoint", s.blueGreen.scaleUpPreviewCheckPoint);
  j["blueGreen"] = bg;  // and the blueGreen object, as Go marshals a non-pointer struct
  putIf(j, "selector", s.selector);
  putIf(j, "stableRS", s.stableRS);
  putIf(j, "restartedAt", s.restartedAt);
  putIf(j, "phase", s.phase);
  putIf(j, "message", s.message);
  putIf(j, "promoteFull", s.promoteFull);
  return j;
}

Result<ObjectMeta> decodeObjectMeta(const json& obj) {
  Decoder d(obj, "");
  ObjectMeta m = decodeMeta(d.child("metadata"));
  if (!d.ok()) return d.status();
  return m;
}

Result<RolloutStatus> decodeRolloutStatus(const json& status) {
  Decoder d(status, "status");
  RolloutStatus s = decodeStatus(d);
  if (!d.ok()) return d.status();
  return s;
}

Result<Rollout> decodeRollout(const json& obj) {
  Decoder d(obj, "");
  Rollout r;
  r.metadata = decodeMeta(d.child("metadata"));
  r.spec = decodeSpec(d.child("spec"));
  r.status = decodeStatus(d.child("status"));
  if (!d.ok()) return d.status();
  return r;
}

Result<ReplicaSet> decodeReplicaSet(const json& obj) {
  Decoder d(obj, "");
  ReplicaSet rs;
  rs.metadata = decodeMeta(d.child("metadata"));
  Decoder spec = d.child("spec");
  rs.replicas = opt32(spec, "replicas").value_or(1);
  rs.minReadySeconds = opt32(spec, "minReadySeconds").value_or(0);
  rs.selector = spec.child("selector").value();
  rs.template_ = spec.child("template").value();
  Decoder st = d.child("status");
  rs.status.replicas = opt32(st, "replicas").value_or(0);
  rs.status.fullyLabeledReplicas = opt32(st, "fullyLabeledReplicas").value_or(0);
  rs.status.readyReplicas = opt32(st, "readyReplicas").value_or(0);
  rs.status.availableReplicas = opt32(st, "availableReplicas").value_or(0);
  rs.status.observedGeneration = st.integer("observedGeneration");
  if (!d.ok()) return d.status();
  return rs;
}

std::string ReplicaSet::podTemplateHash() const {
  auto it = metadata.labels.find(kHashLabel);
  return it == metadata.labels.end() ? "" : it->second;
}

std::string ReplicaSet::annotation(const std::string& key) const {
  auto it = metadata.annotations.find(key);
  return it == metadata.annotations.end() ? "" : it->second;
}

std::optional<int64_t> ReplicaSet::revision() const {
  std::string v = annotation(base::kAnnotationRevision);
  if (v.empty() || v.size() > 18) return std::nullopt;
  for (char c : v) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return std::stoll(v);
}

Result<Service> decodeService(const json& obj) {
  Decoder d(obj, "");
  Service s;
  s.metadata = decodeMeta(d.child("metadata"));
  s.selector = stringMap(d.child("spec"), "selector");
  if (!d.ok()) return d.status();
  return s;
}

namespace {
const json* readyCondition(const json& pod) {
  auto st = pod.find("status");
  if (st == pod.end() || !st->is_object()) return nullptr;
  auto conds = st->find("conditions");
  if (conds == st->end() || !conds->is_array()) return nullptr;
  for (const auto& c : *conds) {
    if (c.is_object() && c.value("type", "") == "Ready") return &c;
  }
  return nullptr;
}
}  // namespace

bool podReady(const json& pod) {
  if (!pod.is_object()) return false;
  auto meta = pod.find("metadata");
  if (meta != pod.end() && meta->is_object() && meta->contains("deletionTimestamp") &&
      !(*meta)["deletionTimestamp"].is_null()) {
    return false;
  }
  const json* c = readyCondition(pod);
  return c != nullptr && c->value("status", "") == "True";
}

bool podAvailable(const json& pod, int32_t min_ready_seconds, int64_t now_unix) {
  if (!podReady(pod)) return false;
  if (min_ready_seconds <= 0) return true;
  const json* c = readyCondition(pod);
  auto since = parseTime(c->value("lastTransitionTime", ""));
  return since && *since + min_ready_seconds <= now_unix;
}

std::optional<int64_t> parseTime(const std::string& s) { return base::parseRfc3339Seconds(s); }

std::string formatTime(int64_t unix_seconds) { return base::formatRfc3339(unix_seconds); }

nlohmann::json controllerOwnerRefs(const std::string& kind, const std::string& name,
                                   const std::string& uid) {
  return nlohmann::json::array({{{"apiVersion", "argoproj.io/v1alpha1"},
                                 {"kind", kind},
                                 {"name", name},
                                 {"uid", uid},
                                 {"controller", true},
                                 {"blockOwnerDeletion", true}}});
}

}  // namespace vane::kube

namespace vane::kube::detail {

ObjectMeta decodeMetadata(const Decoder& d) { return decodeMeta(d); }

std::optional<int32_t> decodeInt32(const Decoder& d, const std::string& key) {
  return opt32(d, key);
}

Labels decodeStringMap(const Decoder& d, const std::string& key) { return stringMap(d, key); }

}  // namespace vane::kube::detail
