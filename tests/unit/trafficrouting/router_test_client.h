// The kube::Client the router unit tests share: objects in memory keyed by (plural, namespace,
// name), a record of the calls, and conflicts to inject. Routers only get and update; each test
// file defines those two (its own call record and resourceVersion rules), and every other call
// answers kUnsupported, so a router that starts calling something else fails its test.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "kube/client.h"

namespace vane::trafficrouting::testing {

class RouterTestClient : public kube::Client {
 public:
  using json = nlohmann::json;
  using Key = std::tuple<std::string, std::string, std::string>;  // plural, ns, name
  std::map<Key, json> objects;
  std::vector<std::string> calls;
  int conflicts_to_inject = 0;

  void put(const std::string& plural, json obj) {
    obj["metadata"]["resourceVersion"] = "1";
    const std::string ns = obj["metadata"]["namespace"], name = obj["metadata"]["name"];
    objects[{plural, ns, name}] = std::move(obj);
  }
  json& at(const std::string& plural, const std::string& ns, const std::string& name) {
    return objects.at({plural, ns, name});
  }
  int count(const std::string& prefix) const {
    int n = 0;
    for (const auto& c : calls) n += c.rfind(prefix, 0) == 0;
    return n;
  }

  const kube::RestConfig& config() const override { return config_; }
  Result<json> list(const kube::Resource&, const std::string&, const kube::ListOptions&) override {
    return notUsed();
  }
  Result<json> create(const kube::Resource&, const std::string&, const json&) override {
    return notUsed();
  }
  Result<json> updateStatus(const kube::Resource&, const std::string&, const json&) override {
    return notUsed();
  }
  Result<json> patch(const kube::Resource&, const std::string&, const std::string&, kube::PatchType,
                     const json&, const std::string&, const std::string&) override {
    return notUsed();
  }
  Status remove(const kube::Resource&, const std::string&, const std::string&,
                const kube::DeleteOptions&) override {
    return notUsed();
  }
  Result<std::unique_ptr<kube::WatchStream>> watch(const kube::Resource&, const std::string&,
                                                   const kube::ListOptions&) override {
    return notUsed();
  }
  Result<json> raw(const std::string&, const std::string&, const json&) override {
    return notUsed();
  }
  void setRequestObserver(kube::RequestObserver) override {}

 private:
  static Status notUsed() { return Status(Code::kUnsupported, "not used by routers"); }
  kube::RestConfig config_;
};

}  // namespace vane::trafficrouting::testing
