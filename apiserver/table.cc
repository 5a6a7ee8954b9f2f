#include "apiserver/table.h"

#include <ctime>
#include <functional>

namespace vane::apiserver {

namespace {

using Cells = std::vector<json>;
using RowFn = std::function<Cells(const json&, TimePoint)>;

json col(const std::string& name, const std::string& type, int priority = 0,
         const std::string& format = "") {
  json c = {{"name", name},
            {"type", type},
            {"format", format},
            {"description", ""},
            {"priority", priority}};
  return c;
}

std::string str(const json& obj, const std::string& path, const std::string& dflt = "") {
  json v = pathValue(obj, path);
  return v.is_string() ? v.get<std::string>() : dflt;
}

int64_t num(const json& obj, const std::string& path) {
  json v = pathValue(obj, path);
  return v.is_number_integer() ? v.get<int64_t>() : 0;
}

std::string age(const json& obj, const std::string& path, TimePoint now) {
  auto t = parseTime(str(obj, path));
  if (!t) return "<unknown>";
  return humanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
}

std::string name(const json& o) { return str(o, ".metadata.name"); }
std::string objAge(const json& o, TimePoint now) {
  return age(o, ".metadata.creationTimestamp", now);
}

std::string selectorString(const json& sel) {
  std::string out;
  if (sel.is_object()) {
    for (const auto& [k, v] : sel.items()) {
      if (v.is_string()) out += (out.empty() ? "" : ",") + k + "=" + v.get<std::string>();
    }
  }
  return out.empty() ? "<none>" : out;
}

std::string containerField(const json& o, const std::string& tmpl, const char* field) {
  std::string out;
  json cs = pathValue(o, tmpl);
  if (cs.is_array()) {
    for (const auto& c : cs) {
      json v = c.is_object() ? c.value(field, json()) : json();
      out += (out.empty() ? "" : ",") + (v.is_string() ? v.get<std::string>() : std::string());
    }
  }
  return out;
}

Cells podRow(const json& o, TimePoint now) {
  int total = 0, ready = 0, restarts = 0;
  json cs = pathValue(o, ".spec.containers");
  if (cs.is_array()) total = static_cast<int>(cs.size());
  json st = pathValue(o, ".status.containerStatuses");
  if (st.is_array()) {
    for (const auto& s : st) {
      if (!s.is_object()) continue;
      if (s.value("ready", false) == true) ++ready;
      if (s.contains("restartCount") && s["restartCount"].is_number()) {
        restarts += s["restartCount"].get<int>();
      }
    }
  }
  std::string phase = str(o, ".status.phase", "Pending");
  if (pathValue(o, ".metadata.deletionTimestamp").is_string()) phase = "Terminating";
  return {name(o),
          std::to_string(ready) + "/" + std::to_string(total),
          phase,
          restarts,
          objAge(o, now),
          str(o, ".status.podIP", "<none>"),
          str(o, ".spec.nodeName", "<none>"),
          "<none>",
          "<none>"};
}

Cells serviceRow(const json& o, TimePoint now) {
  std::string ports;
  json ps = pathValue(o, ".spec.ports");
  if (ps.is_array()) {
    for (const auto& p : ps) {
      if (!p.is_object()) continue;
      std::string s = p.value("port", json(0)).dump();
      if (p.contains("nodePort")) s += ":" + p["nodePort"].dump();
      json proto = p.value("protocol", json("TCP"));
      s += "/" + (proto.is_string() ? proto.get<std::string>() : std::string("TCP"));
      ports += (ports.empty() ? "" : ",") + s;
    }
  }
  std::string external = "<none>";
  json ext = pathValue(o, ".spec.externalIPs");
  if (ext.is_array() && !ext.empty() && ext[0].is_string()) external = ext[0].get<std::string>();
  return {name(o),
          str(o, ".spec.type", "ClusterIP"),
          str(o, ".spec.clusterIP", "<none>"),
          external,
          ports.empty() ? "<none>" : ports,
          objAge(o, now),
          selectorString(pathValue(o, ".spec.selector"))};
}

Cells eventRow(const json& o, TimePoint now) {
  std::string last = str(o, ".lastTimestamp");
  if (last.empty()) last = str(o, ".eventTime");
  if (last.empty()) last = str(o, ".metadata.creationTimestamp");
  auto t = parseTime(last);
  std::string seen =
      t ? humanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *t)) : "<unknown>";
  std::string kind = str(o, ".involvedObject.kind");
  for (auto& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return {seen,
          str(o, ".type"),
          str(o, ".reason"),
          kind + "/" + str(o, ".involvedObject.name"),
          str(o, ".message"),
          str(o, ".involvedObject.fieldPath"),
          str(o, ".source.component"),
          age(o, ".firstTimestamp", now),
          num(o, ".count"),
          name(o)};
}

struct Printer {
  std::vector<json> columns;
  RowFn row;
};

Printer builtinPrinter(const std::string& kind) {
  if (kind == "Pod") {
    return {{col("Name", "string", 0, "name"), col("Ready", "string"), col("Status", "string"),
             col("Restarts", "string"), col("Age", "string"), col("IP", "string", 1),
             col("Node", "string", 1), col("Nominated Node", "string", 1),
             col("Readiness Gates", "string", 1)},
            podRow};
  }
  if (kind == "Service") {
    return {{col("Name", "string", 0, "name"), col("Type", "string"), col("Cluster-IP", "string"),
             col("External-IP", "string"), col("Port(s)", "string"), col("Age", "string"),
             col("Selector", "string", 1)},
            serviceRow};
  }
  if (kind == "Secret") {
    return {{col("Name", "string", 0, "name"), col("Type", "string"), col("Data", "string"),
             col("Age", "string")},
            [](const json& o, TimePoint now) -> Cells {
              json d = pathValue(o, ".data");
              return {name(o), str(o, ".type", "Opaque"),
                      d.is_object() ? static_cast<int64_t>(d.size()) : 0, objAge(o, now)};
            }};
  }
  if (kind == "ConfigMap") {
    return {{col("Name", "string", 0, "name"), col("Data", "string"), col("Age", "string")},
            [](const json& o, TimePoint now) -> Cells {
              json d = pathValue(o, ".data"), b = pathValue(o, ".binaryData");
              int64_t n = (d.is_object() ? d.size() : 0) + (b.is_object() ? b.size() : 0);
              return {name(o), n, objAge(o, now)};
            }};
  }
  if (kind == "Namespace") {
    return {{col("Name", "string", 0, "name"), col("Status", "string"), col("Age", "string")},
            [](const json& o, TimePoint now) -> Cells {
              return {name(o), str(o, ".status.phase", "Active"), objAge(o, now)};
            }};
  }
  if (kind == "Event") {
    return {{col("Last Seen", "string"), col("Type", "string"), col("Reason", "string"),
             col("Object", "string"), col("Message", "string"), col("Subobject", "string", 1),
             col("Source", "string", 1), col("First Seen", "string", 1), col("Count", "string", 1),
             col("Name", "string", 1, "name")},
            eventRow};
  }
  if (kind == "Deployment") {
    return {{col("Name", "string", 0, "name"), col("Ready", "string"), col("Up-to-date", "string"),
             col("Available", "string"), col("Age", "string"), col("Containers", "string", 1),
             col("Images", "string", 1), col("Selector", "string", 1)},
            [](const json& o, TimePoint now) -> Cells {
              return {name(o),
                      std::to_string(num(o, ".status.readyReplicas")) + "/" +
                          std::to_string(num(o, ".spec.replicas")),
                      num(o, ".status.updatedReplicas"),
                      num(o, ".status.availableReplicas"),
                      objAge(o, now),
                      containerField(o, ".spec.template.spec.containers", "name"),
                      containerField(o, ".spec.template.spec.containers", "image"),
                      selectorString(pathValue(o, ".spec.selector.matchLabels"))};
            }};
  }
  if (kind == "ReplicaSet") {
    return {{col("Name", "string", 0, "name"), col("Desired", "string"), col("Current", "string"),
             col("Ready", "string"), col("Age", "string"), col("Containers", "string", 1),
             col("Images", "string", 1), col("Selector", "string", 1)},
            [](const json& o, TimePoint now) -> Cells {
              return {name(o),
                      num(o, ".spec.replicas"),
                      num(o, ".status.replicas"),
                      num(o, ".status.readyReplicas"),
                      objAge(o, now),
                      containerField(o, ".spec.template.spec.containers", "name"),
                      containerField(o, ".spec.template.spec.containers", "image"),
                      selectorString(pathValue(o, ".spec.selector.matchLabels"))};
            }};
  }
  if (kind == "Job") {
    return {{col("Name", "string", 0, "name"), col("Status", "string"),
             col("Completions", "string"), col("Duration", "string"), col("Age", "string")},
            [](const json& o, TimePoint now) -> Cells {
              std::string status = "Running";
              if (num(o, ".status.succeeded") > 0) status = "Complete";
              if (num(o, ".status.failed") > 0) status = "Failed";
              json c = pathValue(o, ".spec.completions");
              return {name(o), status,
                      std::to_string(num(o, ".status.succeeded")) + "/" +
                          std::to_string(c.is_number() ? c.get<int64_t>() : 1),
                      "", objAge(o, now)};
            }};
  }
  if (kind == "Lease") {
    return {{col("Name", "string", 0, "name"), col("Holder", "string"), col("Age", "string")},
            [](const json& o, TimePoint now) -> Cells {
              return {name(o), str(o, ".spec.holderIdentity"), objAge(o, now)};
            }};
  }
  if (kind == "CustomResourceDefinition") {
    return {{col("Name", "string", 0, "name"), col("Created At", "date")},
            [](const json& o, TimePoint) -> Cells {
              return {name(o), str(o, ".metadata.creationTimestamp")};
            }};
  }
  return {{col("Name", "string", 0, "name"), col("Age", "string")},
          [](const json& o, TimePoint now) -> Cells {
            return {name(o), objAge(o, now)};
          }};
}

json customCell(const Column& c, const json& o, TimePoint now) {
  json v = pathValue(o, c.json_path);
  if (v.is_null()) return nullptr;
  if (c.type == "date") {
    auto t = v.is_string() ? parseTime(v.get<std::string>()) : std::nullopt;
    if (!t) return nullptr;
    return humanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
  }
  if (c.type == "string") return v.is_string() ? v : json(v.dump());
  if (c.type == "integer" && !v.is_number_integer()) return nullptr;
  if (c.type == "number" && !v.is_number()) return nullptr;
  if (c.type == "boolean" && !v.is_boolean()) return nullptr;
  return v;
}

Printer customPrinter(const ResourceType& t, const std::string& version) {
  Printer p;
  p.columns.push_back(col("Name", "string", 0, "name"));
  std::vector<Column> cols;
  auto it = t.printer_columns.find(version);
  if (it != t.printer_columns.end()) cols = it->second;
  if (cols.empty()) {
    Column a;
    a.name = "Age";
    a.type = "date";
    a.json_path = ".metadata.creationTimestamp";
    cols.push_back(a);
  }
  for (const auto& c : cols) {
    json cd = col(c.name, c.type, c.priority, c.format);
    cd["description"] = c.description;
    p.columns.push_back(cd);
  }
  p.row = [cols](const json& o, TimePoint now) {
    Cells cells{name(o)};
    for (const auto& c : cols) cells.push_back(customCell(c, o, now));
    return cells;
  };
  return p;
}

}  // namespace

json pathValue(const json& obj, const std::string& json_path) {
  const json* cur = &obj;
  std::size_t i = 0;
  std::string p = json_path;
  if (!p.empty() && p.front() == '{' && p.back() == '}') p = p.substr(1, p.size() - 2);
  if (!p.empty() && p[0] == '$') i = 1;
  while (i < p.size()) {
    if (p[i] == '.') {
      ++i;
      std::size_t j = i;
      while (j < p.size() && p[j] != '.' && p[j] != '[') ++j;
      std::string key = p.substr(i, j - i);
      i = j;
      if (key.empty()) continue;
      if (!cur->is_object() || !cur->contains(key)) return nullptr;
      cur = &(*cur)[key];
    } else if (p[i] == '[') {
      auto close = p.find(']', i);
      if (close == std::string::npos) return nullptr;
      std::string idx = p.substr(i + 1, close - i - 1);
      i = close + 1;
      if (!cur->is_array()) return nullptr;
      try {
        long n = std::stol(idx);
        if (n < 0) n += static_cast<long>(cur->size());
        if (n < 0 || n >= static_cast<long>(cur->size())) return nullptr;
        cur = &(*cur)[static_cast<std::size_t>(n)];
      } catch (...) {
        return nullptr;
      }
    } else {
      return nullptr;
    }
  }
  return *cur;
}

std::string humanDuration(std::chrono::seconds d) {
  long long s = d.count();
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 120) return std::to_string(s) + "s";
  long long m = s / 60;
  if (m < 10)
    return s % 60 == 0 ? std::to_string(m) + "m"
                       : std::to_string(m) + "m" + std::to_string(s % 60) + "s";
  if (m < 180) return std::to_string(m) + "m";
  long long h = s / 3600;
  if (h < 8)
    return m % 60 == 0 ? std::to_string(h) + "h"
                       : std::to_string(h) + "h" + std::to_string(m % 60) + "m";
  if (h < 48) return std::to_string(h) + "h";
  if (h < 24 * 8)
    return h % 24 == 0 ? std::to_string(h / 24) + "d"
                       : std::to_string(h / 24) + "d" + std::to_string(h % 24) + "h";
  if (h < 24 * 365 * 2) return std::to_string(h / 24) + "d";
  long long y = h / 24 / 365, dy = (h / 24) % 365;
  if (h < 24 * 365 * 8)
    return dy == 0 ? std::to_string(y) + "y" : std::to_string(y) + "y" + std::to_string(dy) + "d";
  return std::to_string(y) + "y";
}

json renderTable(const ResourceType& t, const std::string& version,
                 const std::vector<ObjectPtr>& objs, const std::string& include_object,
                 bool with_headers, TimePoint now) {
  Printer p = t.custom ? customPrinter(t, version) : builtinPrinter(t.kind);
  json rows = json::array();
  for (const auto& o : objs) {
    json row = {{"cells", p.row(*o, now)}};
    if (include_object == "Object") {
      row["object"] = *o;
    } else if (include_object != "None") {
      json meta = (*o)["metadata"];
      if (meta.is_object()) meta.erase("managedFields");
      row["object"] = {
          {"kind", "PartialObjectMetadata"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", meta}};
    }
    rows.push_back(std::move(row));
  }
  return {{"kind", "Table"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", json::object()},
          {"columnDefinitions", with_headers ? json(p.columns) : json::array()},
          {"rows", rows}};
}

}  // namespace vane::apiserver
