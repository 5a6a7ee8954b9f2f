#include "apiserver/objects.h"

#include <atomic>
#include <cstdio>
#include <random>
#include <regex>

#include "apiserver/table.h"

namespace vane::apiserver {

namespace {

std::mt19937_64& rng() {
  thread_local std::mt19937_64 gen(std::random_device{}());
  return gen;
}

std::atomic<uint32_t> g_next_ip{10};

const json& metaOf(const json& obj) {
  static const json empty = json::object();
  if (!obj.is_object()) return empty;
  auto it = obj.find("metadata");
  return it != obj.end() && it->is_object() ? *it : empty;
}

void defaultService(json& obj, const json* old) {
  json& spec = obj["spec"];
  if (!spec.is_object()) spec = json::object();
  if (!spec.contains("type")) spec["type"] = "ClusterIP";
  if (!spec.contains("clusterIP") && old && (*old)["spec"].contains("clusterIP")) {
    spec["clusterIP"] = (*old)["spec"]["clusterIP"];
  }
  if (!spec.contains("clusterIP") && spec["type"] != "ExternalName") {
    uint32_t n = g_next_ip++;
    spec["clusterIP"] = "10.96." + std::to_string((n >> 8) & 0xff) + "." + std::to_string(n & 0xff);
  }
  if (spec.contains("clusterIP") && !spec.contains("clusterIPs")) {
    spec["clusterIPs"] = json::array({spec["clusterIP"]});
  }
  if (!spec.contains("sessionAffinity")) spec["sessionAffinity"] = "None";
  if (!spec.contains("ipFamilies")) spec["ipFamilies"] = json::array({"IPv4"});
  if (!spec.contains("ipFamilyPolicy")) spec["ipFamilyPolicy"] = "SingleStack";
  if (!spec.contains("internalTrafficPolicy")) spec["internalTrafficPolicy"] = "Cluster";
  if (spec["ports"].is_array()) {
    for (auto& p : spec["ports"]) {
      if (!p.is_object()) continue;
      if (!p.contains("protocol")) p["protocol"] = "TCP";
      if (!p.contains("targetPort") && p.contains("port")) p["targetPort"] = p["port"];
    }
  } else {
    spec.erase("ports");
  }
  if (!obj.contains("status")) obj["status"] = {{"loadBalancer", json::object()}};
}

void defaultPodSpec(json& spec) {
  if (!spec.is_object()) return;
  if (!spec.contains("restartPolicy")) spec["restartPolicy"] = "Always";
  if (!spec.contains("dnsPolicy")) spec["dnsPolicy"] = "ClusterFirst";
  if (!spec.contains("terminationGracePeriodSeconds")) spec["terminationGracePeriodSeconds"] = 30;
  if (!spec.contains("schedulerName")) spec["schedulerName"] = "default-scheduler";
}

void defaultWorkload(json& obj, bool deployment) {
  json& spec = obj["spec"];
  if (!spec.is_object()) spec = json::object();
  if (!spec.contains("replicas")) spec["replicas"] = 1;
  if (deployment) {
    if (!spec.contains("strategy")) {
      spec["strategy"] = {{"type", "RollingUpdate"},
                          {"rollingUpdate", {{"maxSurge", "25%"}, {"maxUnavailable", "25%"}}}};
    }
    if (!spec.contains("revisionHistoryLimit")) spec["revisionHistoryLimit"] = 10;
    if (!spec.contains("progressDeadlineSeconds")) spec["progressDeadlineSeconds"] = 600;
  }
  if (spec.contains("template") && spec["template"].is_object()) {
    defaultPodSpec(spec["template"]["spec"]);
  }
}

}  // namespace

std::string newUid() {
  std::uniform_int_distribution<int> d(0, 15);
  const char* hex = "0123456789abcdef";
  std::string s = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx";
  for (auto& c : s) {
    if (c == 'x') c = hex[d(rng())];
    if (c == 'y') c = hex[8 + d(rng()) % 4];
  }
  return s;
}

std::string randomSuffix(std::size_t n) {
  static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::uniform_int_distribution<std::size_t> d(0, sizeof(alphabet) - 2);
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s.push_back(alphabet[d(rng())]);
  return s;
}

std::string nowRfc3339() { return formatTime(std::chrono::system_clock::now()); }

bool isDeleting(const json& obj) {
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return false;
  auto ts = m->find("deletionTimestamp");
  return ts != m->end() && !ts->is_null();
}

std::string base64Encode(const std::string& in) {
  static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s : {18, 12, 6, 0}) out.push_back(t[(v >> s) & 63]);
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out.push_back(t[(v >> 18) & 63]);
    out.push_back(t[(v >> 12) & 63]);
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out.push_back(t[(v >> 18) & 63]);
    out.push_back(t[(v >> 12) & 63]);
    out.push_back(t[(v >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

json partialObjectMetadata(const json& obj) {
  auto meta = obj.find("metadata");
  return {{"kind", "PartialObjectMetadata"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", meta != obj.end() ? *meta : json::object()}};
}

json presentAs(const ResourceType& t, const std::string& version, json obj) {
  if (!obj.is_object()) return obj;
  obj["apiVersion"] = t.groupVersion(version);
  obj["kind"] = t.kind;
  return obj;
}

void applyBuiltinDefaults(const ResourceType& t, json& obj, const json* old) {
  if (t.custom || !obj.is_object()) return;
  const std::string& k = t.kind;
  if (k == "Service") {
    defaultService(obj, old);
  } else if (k == "Secret") {
    if (!obj.contains("type") || obj["type"] == "") obj["type"] = "Opaque";
    if (obj.contains("stringData") && obj["stringData"].is_object()) {
      if (!obj["data"].is_object()) obj["data"] = json::object();
      for (auto& [key, v] : obj["stringData"].items()) {
        if (v.is_string()) obj["data"][key] = base64Encode(v.get<std::string>());
      }
      obj.erase("stringData");
    }
  } else if (k == "Namespace") {
    std::string name = metaString(obj, "name");
    obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = name;
    if (!obj["spec"].is_object() || !obj["spec"].contains("finalizers")) {
      obj["spec"] = {{"finalizers", json::array({"kubernetes"})}};
    }
    if (!obj["status"].is_object() || !obj["status"].contains("phase")) {
      obj["status"] = {{"phase", "Active"}};
    }
  } else if (k == "Deployment" || k == "ReplicaSet") {
    defaultWorkload(obj, k == "Deployment");
  } else if (k == "Pod") {
    defaultPodSpec(obj["spec"]);
    if (!obj["status"].is_object()) obj["status"] = json::object();
    if (!obj["status"].contains("phase")) obj["status"]["phase"] = "Pending";
  } else if (k == "Job") {
    json& spec = obj["spec"];
    if (spec.is_object() && spec.contains("template") && spec["template"].is_object()) {
      defaultPodSpec(spec["template"]["spec"]);
      if (!spec.contains("completions")) spec["completions"] = 1;
      if (!spec.contains("parallelism")) spec["parallelism"] = 1;
      if (!spec.contains("backoffLimit")) spec["backoffLimit"] = 6;
    }
  }
}

std::string nameError(const std::string& name) {
  static const std::regex re(
      R"(^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)");
  if (name.size() > 253) return "must be no more than 253 characters";
  if (!std::regex_match(name, re)) {
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
           "'-' or '.', and must start and end with an alphanumeric character (e.g. "
           "'example.com', regex used for validation is "
           "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  }
  return "";
}

bool generationChanges(const ResourceType& t, const json& old, const json& updated) {
  if (!t.tracks_generation) return false;
  if (t.custom) {
    for (const auto& [k, v] : updated.items()) {
      if (k == "metadata" || k == "apiVersion" || k == "kind") continue;
      if (k == "status" && t.has_status) continue;
      if (!old.contains(k) || old[k] != v) return true;
    }
    for (const auto& [k, v] : old.items()) {
      if (k == "metadata" || k == "apiVersion" || k == "kind") continue;
      if (k == "status" && t.has_status) continue;
      if (!updated.contains(k)) return true;
    }
    return false;
  }
  if (!old.is_object() || !updated.is_object()) return true;
  if (old.value("spec", json()) != updated.value("spec", json())) return true;
  if (t.kind == "Deployment") {
    return metaOf(old).value("annotations", json()) != metaOf(updated).value("annotations", json());
  }
  return false;
}

bool sameObject(const json& a, const json& b) {
  json x = a, y = b;
  for (json* j : {&x, &y}) {
    if ((*j)["metadata"].is_object()) {
      (*j)["metadata"].erase("resourceVersion");
      (*j)["metadata"].erase("managedFields");
    }
  }
  return x == y;
}

uint64_t objectRv(const json& obj) {
  try {
    return std::stoull(metaString(obj, "resourceVersion"));
  } catch (...) {
    return 0;
  }
}

std::string metaString(const json& obj, const char* field) {
  if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object()) return "";
  const auto& m = obj["metadata"];
  auto it = m.find(field);
  return it != m.end() && it->is_string() ? it->get<std::string>() : "";
}

bool hasFinalizer(const json& obj, const std::string& f) {
  const auto fs = metaOf(obj).value("finalizers", json::array());
  if (!fs.is_array()) return false;
  return std::find(fs.begin(), fs.end(), json(f)) != fs.end();
}

ObjectKey keyOf(const ResourceType& t, const json& obj) {
  return {t.key(), t.namespaced ? metaString(obj, "namespace") : "", metaString(obj, "name")};
}

Result<ObjectPtr> writeObject(Store& store, const ObjectKey& key, json updated,
                              std::optional<uint64_t> expected_rv) {
  const auto& meta = updated["metadata"];
  bool deleting = meta.contains("deletionTimestamp") && !meta["deletionTimestamp"].is_null();
  auto fins = meta.value("finalizers", json::array());
  if (deleting && (!fins.is_array() || fins.empty())) return store.remove(key, expected_rv);
  return store.update(key, std::move(updated), expected_rv);
}

Result<DeleteOutcome> beginDelete(Store& store, const ResourceType& t, const ObjectKey& key,
                                  const std::string& policy, std::optional<uint64_t> expected_rv) {
  auto cur = store.get(key);
  if (!cur.ok()) return cur.status();
  json obj = **cur;
  bool already = obj["metadata"].contains("deletionTimestamp");
  std::vector<std::string> add;
  if (t.kind == "CustomResourceDefinition" && !t.custom) add.push_back(kCrdCleanupFinalizer);
  if (policy == "Foreground") add.push_back(kForegroundFinalizer);
  if (policy == "Orphan") add.push_back(kOrphanFinalizer);
  bool is_ns = t.kind == "Namespace" && !t.custom;
  bool has_fins = obj["metadata"].contains("finalizers") && !obj["metadata"]["finalizers"].empty();
  if (!is_ns && !has_fins && add.empty()) {
    auto removed = store.remove(key, expected_rv);
    if (!removed.ok()) return removed.status();
    return DeleteOutcome{*removed, true};
  }
  if (already && add.empty()) return DeleteOutcome{*cur, false};
  if (!already) {
    obj["metadata"]["deletionTimestamp"] = nowRfc3339();
    obj["metadata"]["deletionGracePeriodSeconds"] = 0;
  }
  for (const auto& f : add) {
    if (!hasFinalizer(obj, f)) obj["metadata"]["finalizers"].push_back(f);
  }
  if (is_ns) obj["status"]["phase"] = "Terminating";
  if (sameObject(obj, **cur)) return DeleteOutcome{*cur, false};
  auto res = store.update(key, std::move(obj), expected_rv ? expected_rv : objectRv(**cur));
  if (!res.ok()) return res.status();
  return DeleteOutcome{*res, false};
}

}  // namespace vane::apiserver
