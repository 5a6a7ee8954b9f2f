// Line diff of two JSON objects for `kubectl vane plan`: readable paths instead of JSON Pointer
// indices, so that a route prepended by setMirrorRoute shows as one added route rather than every
// following route "replaced".
#include <algorithm>
#include <map>
#include <set>

#include "cli/plan.h"

namespace vane::cli {

using nlohmann::json;

namespace {

// Key of an array element: a route's name, a Gateway API rule's backendRef names, or a
// destination's host (up to its first '.') and subset. Empty when the element has no identity.
std::string elementKey(const json& e) {
  if (!e.is_object()) return "";
  if (auto n = e.find("name"); n != e.end() && n->is_string()) return n->get<std::string>();
  if (auto refs = e.find("backendRefs"); refs != e.end() && refs->is_array()) {
    // A Gateway API rule (unnamed): its backendRefs' names, and what makes a managed rule.
    std::string key;
    for (const json& r : *refs) {
      if (r.is_object() && r.contains("name") && r["name"].is_string()) {
        key += (key.empty() ? "" : ",") + r["name"].get<std::string>();
      }
    }
    const std::string dump = e.value("matches", json()).dump() + e.value("filters", json()).dump();
    if (dump.find("RequestMirror") != std::string::npos) key += "+mirror";
    if (dump.find("\"headers\"") != std::string::npos) key += "+headers";
    return key;
  }
  auto d = e.find("destination");
  if (d == e.end() || !d->is_object()) return "";
  auto text = [&](const char* k) {
    auto it = d->find(k);
    return it != d->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string host = text("host");
  if (!host.empty() && host.find('.') != std::string::npos) host = host.substr(0, host.find('.'));
  std::string subset = text("subset");
  return subset.empty() ? host : host + "/" + subset;
}

// Keys for every element, or empty when some element has none or keys repeat.
std::vector<std::string> uniqueKeys(const json& arr) {
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const json& e : arr) {
    std::string k = elementKey(e);
    if (k.empty() || !seen.insert(k).second) return {};
    keys.push_back(k);
  }
  return keys;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

class Differ {
 public:
  std::vector<std::string> lines;

  void diff(const std::string& path, const json& a, const json& b) {
    if (a == b) return;
    if (a.is_object() && b.is_object()) return objects(path, a, b);
    if (a.is_array() && b.is_array()) return arrays(path, a, b);
    lines.push_back(path + ": " + a.dump() + " -> " + b.dump());
  }

 private:
  static std::string child(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  void objects(const std::string& path, const json& a, const json& b) {
    for (const auto& [k, v] : a.items()) {
      if (!b.contains(k)) lines.push_back(child(path, k) + ": removed");
    }
    for (const auto& [k, v] : b.items()) {
      if (!a.contains(k)) {
        lines.push_back(child(path, k) + ": added " + v.dump());
      } else {
        diff(child(path, k), a.at(k), v);
      }
    }
  }

  void arrays(const std::string& path, const json& a, const json& b) {
    std::vector<std::string> ka = uniqueKeys(a), kb = uniqueKeys(b);
    bool keyed =
        (a.empty() || !ka.empty()) && (b.empty() || !kb.empty()) && !(a.empty() && b.empty());
    if (!keyed) return indexed(path, a, b);
    std::map<std::string, std::size_t> ia, ib;
    for (std::size_t i = 0; i < ka.size(); ++i) ia[ka[i]] = i;
    for (std::size_t i = 0; i < kb.size(); ++i) ib[kb[i]] = i;
    std::vector<std::string> common_a, common_b;
    for (const auto& k : ka) {
      if (!ib.count(k))
        lines.push_back(path + "[" + k + "]: removed");
      else
        common_a.push_back(k);
    }
    for (const auto& k : kb) {
      if (!ia.count(k)) {
        lines.push_back(path + "[" + k + "]: added " + b[ib[k]].dump());
      } else {
        common_b.push_back(k);
        diff(path + "[" + k + "]", a[ia[k]], b[ib[k]]);
      }
    }
    if (common_a != common_b) {
      lines.push_back(path + " order: " + joined(common_a) + " -> " + joined(common_b));
    }
  }

  void indexed(const std::string& path, const json& a, const json& b) {
    std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) diff(path + "[" + std::to_string(i) + "]", a[i], b[i]);
    for (std::size_t i = n; i < a.size(); ++i) {
      lines.push_back(path + "[" + std::to_string(i) + "]: removed");
    }
    for (std::size_t i = n; i < b.size(); ++i) {
      lines.push_back(path + "[" + std::to_string(i) + "]: added " + b[i].dump());
    }
  }
};

}  // namespace

std::vector<std::string> diffObjects(const json& before, const json& after) {
  Differ d;
  d.diff("", before, after);
  return std::move(d.lines);
}

std::string formatSeconds(int64_t seconds) {
  if (seconds == 0) return "0s";
  std::string out;
  if (seconds >= 3600) out += std::to_string(seconds / 3600) + "h";
  if (seconds % 3600 >= 60) out += std::to_string(seconds % 3600 / 60) + "m";
  if (seconds % 60 != 0) out += std::to_string(seconds % 60) + "s";
  return out;
}

}  // namespace vane::cli
