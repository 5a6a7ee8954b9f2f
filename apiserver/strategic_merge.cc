// Strategic merge patch, following the semantics of k8s.io/apimachinery/pkg/util/strategicpatch
// (mergeMap / mergeSlice / normalizeElementOrder) for the patch strategies declared in the
// k8s.io/api v0.32 Go struct tags (patchStrategy, patchMergeKey).
//
// Element order: with `$setElementOrder/<list>` (what kubectl apply sends) the list is ordered as
// upstream's normalizeElementOrder does. Without it, existing elements keep their places and new
// ones are appended in patch order. Upstream would put the patch's elements before server-only
// ones; kube-acceptance.sh `deploy-smp-merged` (env [A] patched with [B] must read "A B")
// requires appending, and no client depends on the order.
#include "apiserver/strategic_merge.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace vane::apiserver {
namespace {

using json = nlohmann::json;

constexpr char kPatch[] = "$patch";
constexpr char kRetainKeys[] = "$retainKeys";
constexpr char kSetElementOrder[] = "$setElementOrder/";
constexpr char kDeleteFromPrimitiveList[] = "$deleteFromPrimitiveList/";

/// How one field of a type is patched. type: the type of the value (or of the list's elements);
/// merge_key: for lists of objects merged by key; set_merge: lists of primitives merged as sets.
struct FieldSpec {
  const char* type = nullptr;
  const char* merge_key = nullptr;
  bool set_merge = false;
};
using TypeSpec = std::map<std::string, FieldSpec>;

// clang-format off
const std::map<std::string, TypeSpec>& types() {
  static const std::map<std::string, TypeSpec> t = {
      {"ObjectMeta", {{"ownerReferences", {nullptr, "uid"}},
                      {"finalizers", {nullptr, nullptr, true}}}},
      {"Pod", {{"metadata", {"ObjectMeta"}}, {"spec", {"PodSpec"}}, {"status", {"PodStatus"}}}},
      {"PodTemplateSpec", {{"metadata", {"ObjectMeta"}}, {"spec", {"PodSpec"}}}},
      {"PodSpec", {{"volumes", {nullptr, "name"}},
                   {"initContainers", {"Container", "name"}},
                   {"containers", {"Container", "name"}},
                   {"ephemeralContainers", {"Container", "name"}},
                   {"imagePullSecrets", {nullptr, "name"}},
                   {"hostAliases", {nullptr, "ip"}},
                   {"topologySpreadConstraints", {nullptr, "topologyKey"}},
                   {"schedulingGates", {nullptr, "name"}},
                   {"resourceClaims", {nullptr, "name"}}}},
      {"Container", {{"ports", {nullptr, "containerPort"}}, {"env", {nullptr, "name"}},
                     {"volumeMounts", {nullptr, "mountPath"}},
                     {"volumeDevices", {nullptr, "devicePath"}}}},
      {"PodStatus", {{"conditions", {nullptr, "type"}}, {"podIPs", {nullptr, "ip"}},
                     {"hostIPs", {nullptr, "ip"}}}},
      {"Service", {{"metadata", {"ObjectMeta"}}, {"spec", {"ServiceSpec"}},
                   {"status", {"ConditionsStatus"}}}},
      {"ServiceSpec", {{"ports", {nullptr, "port"}}}},
      {"ConditionsStatus", {{"conditions", {nullptr, "type"}}}},
      {"Deployment", {{"metadata", {"ObjectMeta"}}, {"spec", {"WorkloadSpec"}},
                      {"status", {"ConditionsStatus"}}}},
      {"ReplicaSet", {{"metadata", {"ObjectMeta"}}, {"spec", {"WorkloadSpec"}},
                      {"status", {"ConditionsStatus"}}}},
      {"Job", {{"metadata", {"ObjectMeta"}}, {"spec", {"WorkloadSpec"}},
               {"status", {"ConditionsStatus"}}}},
      {"WorkloadSpec", {{"template", {"PodTemplateSpec"}}}},
      {"Namespace", {{"metadata", {"ObjectMeta"}}, {"status", {"ConditionsStatus"}}}},
      {"Plain", {{"metadata", {"ObjectMeta"}}}},
  };
  return t;
}
// clang-format on

struct KindSpec {
  const char* apiVersion;
  const char* kind;
  const char* type;
};
constexpr KindSpec kKinds[] = {
    {"v1", "Pod", "Pod"},
    {"v1", "Service", "Service"},
    {"v1", "ConfigMap", "Plain"},
    {"v1", "Secret", "Plain"},
    {"v1", "Namespace", "Namespace"},
    {"v1", "Event", "Plain"},
    {"events.k8s.io/v1", "Event", "Plain"},
    {"coordination.k8s.io/v1", "Lease", "Plain"},
    {"apps/v1", "ReplicaSet", "ReplicaSet"},
    {"apps/v1", "Deployment", "Deployment"},
    {"batch/v1", "Job", "Job"},
};

const char* rootType(const std::string& apiVersion, const std::string& kind) {
  for (const auto& k : kKinds) {
    if (apiVersion == k.apiVersion && kind == k.kind) return k.type;
  }
  return nullptr;
}

FieldSpec fieldOf(const char* type, const std::string& field) {
  if (type == nullptr) return {};
  const auto& all = types();
  auto t = all.find(type);
  if (t == all.end()) return {};
  auto f = t->second.find(field);
  return f == t->second.end() ? FieldSpec{} : f->second;
}

Status bad(const std::string& path, const std::string& msg) {
  return Status(Code::kBadRequest, msg, path);
}

std::string childPath(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

bool startsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

class Merger {
 public:
  Status mergeMap(json& original, const json& patch, const char* type, const std::string& path);

 private:
  Status mergeValue(json& original, const json& patch, const FieldSpec& spec,
                    const std::string& path);
  Status mergeList(json& original, const json& patch, const FieldSpec& spec,
                   const std::string& path);
  Status mergeKeyedList(json& original, const json& patch, const FieldSpec& spec,
                        const std::string& path);
  static void order(json& list, const json& patch_order, const json& server_order,
                    const char* merge_key);
  /// Recursion guard: patches are user input and nlohmann parses any nesting depth.
  struct Depth {
    explicit Depth(int& d) : d_(++d) {}
    ~Depth() { --d_; }
    int& d_;
  };
  static constexpr int kMaxDepth = 512;
  int depth_ = 0;
};

// Recursively applies a value that has no counterpart in the original: maps and lists are
// merged into empty ones so that directives are processed and nulls dropped.
Status Merger::mergeValue(json& original, const json& patch, const FieldSpec& spec,
                          const std::string& path) {
  if (patch.is_object()) {
    if (!original.is_object()) original = json::object();
    return mergeMap(original, patch, spec.type, path);
  }
  if (patch.is_array()) {
    if (!original.is_array()) original = json::array();
    return mergeList(original, patch, spec, path);
  }
  original = patch;
  return Status::ok();
}

Status Merger::mergeMap(json& original, const json& patch, const char* type,
                        const std::string& path) {
  Depth depth(depth_);
  if (depth_ > kMaxDepth) return bad(path, "strategic merge patch: nested too deeply");
  if (!patch.is_object()) return bad(path, "strategic merge patch: expected an object");
  if (auto d = patch.find(kPatch); d != patch.end()) {
    std::string directive = d->is_string() ? d->get<std::string>() : "";
    // replace: the map becomes the patch's other keys (merged into nothing, so that nested
    // directives are still processed). No copy of the patch: it may be arbitrarily deep.
    if (directive == "replace") original = json::object();
    if (directive == "delete") {
      original = json::object();
      return Status::ok();
    }
    if (directive != "merge" && directive != "replace") {
      return bad(path, "unknown patch type: " + d->dump());
    }
  }
  if (auto r = patch.find(kRetainKeys); r != patch.end()) {
    if (!r->is_array()) return bad(path, "$retainKeys must be a list");
    std::vector<std::string> drop;
    for (const auto& [k, v] : original.items()) {
      if (std::find(r->begin(), r->end(), json(k)) == r->end()) drop.push_back(k);
    }
    for (const auto& k : drop) original.erase(k);
  }
  const json before = original;  // the server's order for $setElementOrder
  for (const auto& [key, value] : patch.items()) {
    if (key == kPatch || key == kRetainKeys || startsWith(key, kSetElementOrder)) continue;
    if (startsWith(key, kDeleteFromPrimitiveList)) {
      std::string field = key.substr(sizeof(kDeleteFromPrimitiveList) - 1);
      if (!value.is_array()) return bad(childPath(path, key), "expected a list");
      auto it = original.find(field);
      if (it == original.end() || !it->is_array()) continue;
      json kept = json::array();
      for (const auto& e : *it) {
        if (std::find(value.begin(), value.end(), e) == value.end()) kept.push_back(e);
      }
      *it = std::move(kept);
      continue;
    }
    std::string p = childPath(path, key);
    FieldSpec spec = fieldOf(type, key);
    if (value.is_null()) {
      original.erase(key);
      continue;
    }
    auto it = original.find(key);
    if (it == original.end()) {
      json fresh;
      if (Status st = mergeValue(fresh, value, spec, p); !st) return st;
      original[key] = std::move(fresh);
    } else if (it->is_object() && value.is_object()) {
      if (Status st = mergeMap(*it, value, spec.type, p); !st) return st;
    } else if (it->is_array() && value.is_array()) {
      if (Status st = mergeList(*it, value, spec, p); !st) return st;
    } else {
      json fresh;
      if (Status st = mergeValue(fresh, value, spec, p); !st) return st;
      *it = std::move(fresh);
    }
  }
  // $setElementOrder/<field>: the patch's order of the list's elements.
  for (const auto& [key, value] : patch.items()) {
    if (!startsWith(key, kSetElementOrder)) continue;
    std::string field = key.substr(sizeof(kSetElementOrder) - 1);
    if (!value.is_array()) return bad(childPath(path, key), "expected a list");
    auto it = original.find(field);
    if (it == original.end() || !it->is_array()) continue;
    auto server = before.find(field);
    const json& server_order = server != before.end() ? *server : json::array();
    order(*it, value, server_order, fieldOf(type, field).merge_key);
  }
  return Status::ok();
}

Status Merger::mergeList(json& original, const json& patch, const FieldSpec& spec,
                         const std::string& path) {
  Depth depth(depth_);
  if (depth_ > kMaxDepth) return bad(path, "strategic merge patch: nested too deeply");
  if (spec.merge_key != nullptr) return mergeKeyedList(original, patch, spec, path);
  if (spec.set_merge) {
    for (const auto& e : patch) {
      if (e.is_object()) continue;  // a {"$patch": ...} directive element is not a value
      if (std::find(original.begin(), original.end(), e) == original.end()) original.push_back(e);
    }
    return Status::ok();
  }
  // Atomic list: replaced whole (objects inside lose directives and nulls).
  json out = json::array();
  for (const auto& e : patch) {
    if (e.is_object() && e.contains(kPatch)) continue;
    json fresh;
    if (Status st = mergeValue(fresh, e, FieldSpec{}, path); !st) return st;
    out.push_back(std::move(fresh));
  }
  original = std::move(out);
  return Status::ok();
}

Status Merger::mergeKeyedList(json& original, const json& patch, const FieldSpec& spec,
                              const std::string& path) {
  const std::string key = spec.merge_key;
  std::vector<const json*> patch_items;  // the patch's elements without directive elements
  for (const auto& e : patch) {
    if (!e.is_object()) return bad(path, "expected a list of objects with merge key " + key);
    if (e.size() == 1 && e.value(kPatch, "") == "replace") {
      // {"$patch": "replace"}: the list becomes exactly the patch's other elements.
      original = json::array();
      continue;
    }
    auto k = e.find(key);
    if (k == e.end()) {
      return bad(path, "map: " + e.dump() + " does not contain declared merge key: " + key);
    }
    if (e.value(kPatch, "") == "delete") {
      json kept = json::array();
      for (const auto& o : original) {
        if (!(o.is_object() && o.contains(key) && o[key] == *k)) kept.push_back(o);
      }
      original = std::move(kept);
      continue;
    }
    patch_items.push_back(&e);
  }
  for (const json* ep : patch_items) {
    const json& e = *ep;
    const json& k = e[key];
    auto match = std::find_if(original.begin(), original.end(), [&](const json& o) {
      return o.is_object() && o.contains(key) && o[key] == k;
    });
    std::string p =
        path + "[" + key + "=" + (k.is_string() ? k.get<std::string>() : k.dump()) + "]";
    if (match != original.end()) {
      if (Status st = mergeMap(*match, e, spec.type, p); !st) return st;
    } else {
      json fresh = json::object();
      if (Status st = mergeMap(fresh, e, spec.type, p); !st) return st;
      original.push_back(std::move(fresh));
    }
  }
  return Status::ok();
}

// normalizeElementOrder: elements named by patch_order come in that order; the others keep their
// server order; the two runs are interleaved by their positions in the server's list.
void Merger::order(json& list, const json& patch_order, const json& server_order,
                   const char* merge_key) {
  auto id = [&](const json& e) -> json {
    if (merge_key == nullptr) return e;
    return e.is_object() && e.contains(merge_key) ? e[merge_key] : json();
  };
  auto indexIn = [&](const json& arr, const json& ident) -> long {
    for (size_t i = 0; i < arr.size(); ++i) {
      if (!ident.is_null() && id(arr[i]) == ident) return static_cast<long>(i);
    }
    return -1;
  };
  std::vector<json> patched, server_only;
  std::vector<long> patched_rank;
  for (const auto& e : list) {
    long r = indexIn(patch_order, id(e));
    if (r >= 0) {
      auto pos = std::upper_bound(patched_rank.begin(), patched_rank.end(), r);
      patched.insert(patched.begin() + (pos - patched_rank.begin()), e);
      patched_rank.insert(pos, r);
    } else {
      server_only.push_back(e);
    }
  }
  json out = json::array();
  size_t i = 0, j = 0;
  while (i < patched.size() && j < server_only.size()) {
    long li = indexIn(server_order, id(patched[i]));
    long rj = indexIn(server_order, id(server_only[j]));
    if (li >= 0 && rj >= 0 && rj < li) {
      out.push_back(server_only[j++]);
    } else {
      out.push_back(patched[i++]);
    }
  }
  for (; i < patched.size(); ++i) out.push_back(patched[i]);
  for (; j < server_only.size(); ++j) out.push_back(server_only[j]);
  list = std::move(out);
}

}  // namespace

bool supportsStrategicMerge(const std::string& apiVersion, const std::string& kind) {
  return rootType(apiVersion, kind) != nullptr;
}

Result<json> strategicMergePatch(const json& original, const json& patch,
                                 const std::string& apiVersion, const std::string& kind) {
  const char* type = rootType(apiVersion, kind);
  if (type == nullptr) {
    return Status(Code::kUnsupported,
                  "strategic merge patch is not supported for " + apiVersion + ", Kind=" + kind);
  }
  if (!patch.is_object()) {
    return Status(Code::kBadRequest, "strategic merge patch: the patch must be a JSON object");
  }
  json result = original.is_object() ? original : json::object();
  Merger merger;
  if (Status st = merger.mergeMap(result, patch, type, ""); !st) return st;
  return result;
}

}  // namespace vane::apiserver
