// A kube::Client that serves objects from memory and records every request, for running a plan
// through the real Executor without an API server. Merge patches only; label selectors of the
// form "a=b,c=d" only (anything else is an error, so a test never passes on a selector the fake
// ignored). Faults are injected per "verb resource/name".
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kube/client.h"

namespace vane::controller::testing {

class FakeClient : public kube::Client {
 public:
  using json = nlohmann::json;

  struct Request {
    std::string verb;      // get, list, create, update, updateStatus, patch, delete
    std::string resource;  // plural: "replicasets"
    std::string name;      // "" for list
    json body;             // create/update: the object; patch: the patch
  };

  /// Every request, in order.
  std::vector<Request> requests;
  /// The writes only (no get or list), in order.
  std::vector<Request> writes() const {
    std::vector<Request> out;
    for (const auto& r : requests) {
      if (r.verb != "get" && r.verb != "list") out.push_back(r);
    }
    return out;
  }
  /// "verb resource/name" -> the error that request returns (instead of touching the store).
  std::map<std::string, Status> faults;

  /// The stored objects of a resource; tests add and inspect them directly.
  std::vector<json>& objects(const kube::Resource& r) { return store_[r.resource]; }
  json* find(const kube::Resource& r, const std::string& name) {
    for (json& o : store_[r.resource]) {
      if (nameOf(o) == name) return &o;
    }
    return nullptr;
  }

  const kube::RestConfig& config() const override { return config_; }

  Result<json> get(const kube::Resource& r, const std::string&, const std::string& name) override {
    record("get", r, name, nullptr);
    if (auto f = fault("get", r, name)) return *f;
    if (json* o = find(r, name)) return *o;
    return notFound(r, name);
  }

  Result<json> list(const kube::Resource& r, const std::string&,
                    const kube::ListOptions& opts) override {
    record("list", r, "", nullptr);
    if (auto f = fault("list", r, "")) return *f;
    if (!opts.field_selector.empty()) {
      return Status(Code::kUnsupported, "fake client: field selectors are not supported");
    }
    std::map<std::string, std::string> want;
    size_t start = 0;
    while (start < opts.label_selector.size()) {
      size_t end = opts.label_selector.find(',', start);
      if (end == std::string::npos) end = opts.label_selector.size();
      const std::string term = opts.label_selector.substr(start, end - start);
      const size_t eq = term.find('=');
      if (eq == std::string::npos || term.find_first_of("!()", 0) != std::string::npos) {
        return Status(Code::kUnsupported, "fake client: label selector term " + term);
      }
      want[term.substr(0, eq)] = term.substr(eq + 1);
      start = end + 1;
    }
    json items = json::array();
    for (const json& o : store_[r.resource]) {
      const json labels = o.value("metadata", json::object()).value("labels", json::object());
      bool match = true;
      for (const auto& [k, v] : want) match = match && labels.value(k, "") == v;
      if (match) items.push_back(o);
    }
    return json{{"items", items}, {"metadata", {{"resourceVersion", std::to_string(rv_)}}}};
  }

  Result<json> create(const kube::Resource& r, const std::string& ns, const json& obj) override {
    const std::string name = nameOf(obj);
    record("create", r, name, obj);
    if (auto f = fault("create", r, name)) return *f;
    if (find(r, name) != nullptr) {
      return Status(Code::kAlreadyExists, r.resource + " \"" + name + "\" already exists");
    }
    json stored = obj;
    stored["metadata"]["namespace"] = ns;
    if (!stored["metadata"].contains("uid")) stored["metadata"]["uid"] = "uid-" + name;
    stored["metadata"]["resourceVersion"] = std::to_string(++rv_);
    store_[r.resource].push_back(stored);
    return stored;
  }

  Result<json> update(const kube::Resource& r, const std::string&, const json& obj) override {
    return replace("update", r, obj);
  }
  Result<json> updateStatus(const kube::Resource& r, const std::string&, const json& obj) override {
    return replace("updateStatus", r, obj);
  }

  Result<json> patch(const kube::Resource& r, const std::string&, const std::string& name,
                     kube::PatchType type, const json& body, const std::string& subresource,
                     const std::string&) override {
    record("patch", r, name, body);
    if (auto f = fault("patch", r, name)) return *f;
    if (type != kube::PatchType::kMerge || !subresource.empty()) {
      return Status(Code::kUnsupported, "fake client: merge patches of the object only");
    }
    json* o = find(r, name);
    if (o == nullptr) return notFound(r, name);
    o->merge_patch(body);
    (*o)["metadata"]["resourceVersion"] = std::to_string(++rv_);
    return *o;
  }

  Status remove(const kube::Resource& r, const std::string&, const std::string& name,
                const kube::DeleteOptions&) override {
    record("delete", r, name, nullptr);
    if (auto f = fault("delete", r, name)) return *f;
    auto& objs = store_[r.resource];
    for (auto it = objs.begin(); it != objs.end(); ++it) {
      if (nameOf(*it) == name) {
        objs.erase(it);
        return Status::ok();
      }
    }
    return notFound(r, name);
  }

  Result<std::unique_ptr<kube::WatchStream>> watch(const kube::Resource&, const std::string&,
                                                   const kube::ListOptions&) override {
    return Status(Code::kUnsupported, "fake client: no watch");
  }
  Result<json> raw(const std::string&, const std::string& path, const json&) override {
    return Status(Code::kUnsupported, "fake client: no raw request " + path);
  }
  void setRequestObserver(kube::RequestObserver) override {}

 private:
  static std::string nameOf(const json& o) {
    return o.value("metadata", json::object()).value("name", "");
  }
  static Status notFound(const kube::Resource& r, const std::string& name) {
    return Status(Code::kNotFound, r.resource + " \"" + name + "\" not found");
  }
  void record(const std::string& verb, const kube::Resource& r, const std::string& name,
              const json& body) {
    requests.push_back({verb, r.resource, name, body});
  }
  std::optional<Status> fault(const std::string& verb, const kube::Resource& r,
                              const std::string& name) {
    auto it = faults.find(verb + " " + r.resource + "/" + name);
    if (it == faults.end()) return std::nullopt;
    return it->second;
  }
  Result<json> replace(const std::string& verb, const kube::Resource& r, const json& obj) {
    const std::string name = nameOf(obj);
    record(verb, r, name, obj);
    if (auto f = fault(verb, r, name)) return *f;
    json* o = find(r, name);
    if (o == nullptr) return notFound(r, name);
    *o = obj;
    (*o)["metadata"]["resourceVersion"] = std::to_string(++rv_);
    return *o;
  }

  kube::RestConfig config_;
  std::map<std::string, std::vector<json>> store_;
  int64_t rv_ = 100;
};

}  // namespace vane::controller::testing
