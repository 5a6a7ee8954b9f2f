#include "apiserver/managed_fields.h"

#include <algorithm>
#include <functional>
#include <map>

#include "apiserver/table.h"

namespace vane::apiserver {

namespace {

using json = nlohmann::json;

std::string escapeToken(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::string> tokens(const std::string& pointer) {
  std::vector<std::string> out;
  std::size_t p = 1;
  while (p <= pointer.size() && !pointer.empty()) {
    auto slash = pointer.find('/', p);
    std::string t = pointer.substr(p, slash == std::string::npos ? std::string::npos : slash - p);
    std::string u;
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (t[i] == '~' && i + 1 < t.size()) {
        u.push_back(t[i + 1] == '1' ? '/' : '~');
        ++i;
      } else {
        u.push_back(t[i]);
      }
    }
    out.push_back(u);
    if (slash == std::string::npos) break;
    p = slash + 1;
  }
  return out;
}

void collect(const json& v, const std::string& prefix, FieldSet& out) {
  if (v.is_object() && !v.empty()) {
    for (const auto& [k, child] : v.items()) collect(child, prefix + "/" + escapeToken(k), out);
  } else {
    out.insert(prefix);
  }
}

const json* lookup(const json& obj, const std::string& pointer) {
  const json* cur = &obj;
  for (const auto& t : tokens(pointer)) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(t);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

void assign(json& obj, const std::string& pointer, const json& value) {
  json* cur = &obj;
  for (const auto& t : tokens(pointer)) {
    if (!cur->is_object()) *cur = json::object();
    cur = &(*cur)[t];
  }
  *cur = value;
}

void erase(json& obj, const std::string& pointer) {
  auto toks = tokens(pointer);
  if (toks.empty()) return;
  json* cur = &obj;
  for (std::size_t i = 0; i + 1 < toks.size(); ++i) {
    if (!cur->is_object() || !cur->contains(toks[i])) return;
    cur = &(*cur)[toks[i]];
  }
  if (cur->is_object()) cur->erase(toks.back());
}

struct ManagedFieldsEntry {
  json raw;
  FieldSet fields;
  std::string manager, operation, subresource;
};

std::vector<ManagedFieldsEntry> loadEntries(const json& obj) {
  std::vector<ManagedFieldsEntry> out;
  if (!obj.is_object() || !obj.contains("metadata")) return out;
  const auto mf = obj["metadata"].value("managedFields", json::array());
  if (!mf.is_array()) return out;
  for (const auto& e : mf) {
    if (!e.is_object()) continue;
    ManagedFieldsEntry en{e, fromFieldsV1(e.value("fieldsV1", json::object())),
                          e.value("manager", std::string()), e.value("operation", std::string()),
                          e.value("subresource", std::string())};
    out.push_back(std::move(en));
  }
  return out;
}

void storeEntries(json& obj, std::vector<ManagedFieldsEntry>& entries) {
  json mf = json::array();
  for (auto& e : entries) {
    if (e.fields.empty()) continue;
    e.raw["fieldsType"] = "FieldsV1";
    e.raw["fieldsV1"] = toFieldsV1(e.fields);
    mf.push_back(e.raw);
  }
  if (mf.empty()) {
    obj["metadata"].erase("managedFields");
  } else {
    obj["metadata"]["managedFields"] = mf;
  }
}

ManagedFieldsEntry& entryFor(std::vector<ManagedFieldsEntry>& entries, const std::string& manager,
                             const std::string& op, const std::string& sub,
                             const std::string& api_version) {
  for (auto& e : entries) {
    if (e.manager == manager && e.operation == op && e.subresource == sub) {
      e.raw["apiVersion"] = api_version;
      e.raw["time"] = formatTime(std::chrono::system_clock::now());
      return e;
    }
  }
  ManagedFieldsEntry e;
  e.manager = manager;
  e.operation = op;
  e.subresource = sub;
  e.raw = {{"manager", manager},
           {"operation", op},
           {"apiVersion", api_version},
           {"time", formatTime(std::chrono::system_clock::now())}};
  if (!sub.empty()) e.raw["subresource"] = sub;
  entries.push_back(std::move(e));
  return entries.back();
}

std::string describe(const ManagedFieldsEntry& e) {
  if (e.operation == "Update") {
    return "\"" + e.manager + "\" using " + e.raw.value("apiVersion", std::string());
  }
  return "\"" + e.manager + "\"";
}

}  // namespace

FieldSet leafPaths(const json& obj) {
  FieldSet out;
  if (!obj.is_object()) return out;
  for (const auto& [k, v] : obj.items()) {
    if (k == "apiVersion" || k == "kind") continue;
    if (k == "metadata") {
      if (!v.is_object()) continue;
      for (const char* f : {"labels", "annotations", "finalizers", "ownerReferences"}) {
        if (v.contains(f)) collect(v[f], std::string("/metadata/") + f, out);
      }
      continue;
    }
    collect(v, "/" + escapeToken(k), out);
  }
  return out;
}

json toFieldsV1(const FieldSet& fields) {
  json out = json::object();
  for (const auto& p : fields) {
    json* cur = &out;
    for (const auto& t : tokens(p)) cur = &(*cur)["f:" + t];
    if (cur->is_null()) *cur = json::object();
  }
  return out;
}

FieldSet fromFieldsV1(const json& fields_v1) {
  FieldSet out;
  std::function<void(const json&, const std::string&)> walk = [&](const json& node,
                                                                  const std::string& prefix) {
    bool child = false;
    if (node.is_object()) {
      for (const auto& [k, v] : node.items()) {
        if (k.rfind("f:", 0) != 0) continue;
        child = true;
        walk(v, prefix + "/" + escapeToken(k.substr(2)));
      }
    }
    if (!child && !prefix.empty()) out.insert(prefix);
  };
  walk(fields_v1, "");
  return out;
}

std::string dottedPath(const std::string& pointer) {
  std::string out;
  for (const auto& t : tokens(pointer)) out += "." + t;
  return out;
}

void recordUpdate(json& updated, const json* old, const std::string& manager,
                  const std::string& api_version, const std::string& subresource) {
  std::vector<ManagedFieldsEntry> entries =
      old ? loadEntries(*old) : std::vector<ManagedFieldsEntry>{};
  FieldSet now = leafPaths(updated);
  FieldSet changed;
  if (!old) {
    changed = now;
  } else {
    FieldSet before = leafPaths(*old);
    for (const auto* set : {&now, &before}) {
      for (const auto& p : *set) {
        const json* a = lookup(*old, p);
        const json* b = lookup(updated, p);
        if (!a || !b || *a != *b) changed.insert(p);
      }
    }
  }
  if (changed.empty() && old) {
    storeEntries(updated, entries);
    return;
  }
  for (auto& e : entries) {
    if (e.manager == manager && e.operation == "Update" && e.subresource == subresource) continue;
    for (const auto& p : changed) e.fields.erase(p);
  }
  ManagedFieldsEntry& mine = entryFor(entries, manager, "Update", subresource, api_version);
  for (const auto& p : changed) {
    if (now.count(p)) mine.fields.insert(p);
  }
  storeEntries(updated, entries);
}

ApplyOutcome applyConfiguration(const json& live, const json& config, const std::string& manager,
                                const std::string& api_version, bool force) {
  ApplyOutcome out;
  FieldSet applied = leafPaths(config);
  std::vector<ManagedFieldsEntry> entries =
      live.is_null() ? std::vector<ManagedFieldsEntry>{} : loadEntries(live);
  std::map<std::string, std::vector<std::string>> conflict_paths;
  std::vector<std::pair<std::size_t, std::string>> conflicting;  // (entry index, path)
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    if (e.manager == manager && e.operation == "Apply") continue;
    for (const auto& p : applied) {
      if (!e.fields.count(p)) continue;
      const json* lv = lookup(live, p);
      const json* cv = lookup(config, p);
      if (lv && cv && *lv != *cv) {
        conflicting.emplace_back(i, p);
        out.conflicts.push_back({describe(e), e.manager, dottedPath(p)});
      }
    }
  }
  if (!out.conflicts.empty() && !force) return out;
  out.conflicts.clear();
  json obj = live.is_null() ? json::object() : live;
  ManagedFieldsEntry& mine = entryFor(entries, manager, "Apply", "", api_version);
  // Fields this manager applied before and no longer applies are removed unless co-owned.
  for (const auto& p : mine.fields) {
    if (applied.count(p)) continue;
    bool other = std::any_of(entries.begin(), entries.end(), [&](const ManagedFieldsEntry& e) {
      return &e != &mine && e.fields.count(p);
    });
    if (!other) erase(obj, p);
  }
  for (const auto& p : applied) {
    const json* cv = lookup(config, p);
    if (cv) assign(obj, p, *cv);
  }
  for (const auto& [i, p] : conflicting) entries[i].fields.erase(p);
  mine.fields = applied;
  for (const char* f : {"apiVersion", "kind"}) {
    if (config.contains(f)) obj[f] = config[f];
  }
  if (!obj["metadata"].is_object()) obj["metadata"] = json::object();
  storeEntries(obj, entries);
  out.object = std::move(obj);
  return out;
}

std::string conflictMessage(const std::vector<ApplyConflict>& conflicts) {
  if (conflicts.size() == 1) {
    return "Apply failed with 1 conflict: conflict with " + conflicts[0].manager + ": " +
           conflicts[0].path;
  }
  std::map<std::string, std::vector<std::string>> by_manager;
  for (const auto& c : conflicts) by_manager[c.manager].push_back(c.path);
  std::string msg = "Apply failed with " + std::to_string(conflicts.size()) + " conflicts: ";
  bool first = true;
  for (const auto& [m, paths] : by_manager) {
    msg += (first ? "" : "\n") + std::string("conflicts with ") + m + ":";
    first = false;
    for (const auto& p : paths) msg += "\n- " + p;
  }
  return msg;
}

}  // namespace vane::apiserver
