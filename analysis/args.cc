#include "analysis/args.h"

#include <cctype>
#include <charconv>

#include "analysis/expr.h"
#include "kube/decode.h"

namespace vane::analysis {

json Argument::toJson() const {
  json j = {{"name", name}};
  if (value) j["value"] = *value;
  if (secretName) j["valueFrom"]["secretKeyRef"] = {{"name", *secretName}, {"key", *secretKey}};
  if (fieldPath) j["valueFrom"]["fieldRef"] = {{"fieldPath", *fieldPath}};
  if (podTemplateHashValue) j["valueFrom"]["podTemplateHashValue"] = *podTemplateHashValue;
  return j;
}

json argsToJson(const std::vector<Argument>& args) {
  json arr = json::array();
  for (const auto& a : args) arr.push_back(a.toJson());
  return arr;
}

Result<std::vector<Argument>> decodeArgs(const json& args, const std::string& path) {
  json holder = {{"args", args}};
  size_t dot = path.rfind('.');
  kube::Decoder root(holder, dot == std::string::npos ? "" : path.substr(0, dot));
  std::vector<Argument> out;
  for (const auto& d : root.array("args")) {
    Argument a;
    a.name = d.requiredString("name");
    a.value = d.optString("value");
    kube::Decoder from = d.child("valueFrom");
    if (from.has("secretKeyRef")) {
      a.secretName = from.child("secretKeyRef").requiredString("name");
      a.secretKey = from.child("secretKeyRef").requiredString("key");
    }
    if (from.has("fieldRef")) a.fieldPath = from.child("fieldRef").requiredString("fieldPath");
    a.podTemplateHashValue = from.optString("podTemplateHashValue");
    out.push_back(std::move(a));
  }
  if (!root.ok()) return root.status();
  return out;
}

Result<std::map<std::string, std::string>> argumentValues(const std::vector<Argument>& args,
                                                          const std::string& ns,
                                                          const SecretLookup& lookup,
                                                          std::vector<std::string>* secret_values) {
  std::map<std::string, std::string> out;
  for (const auto& a : args) {
    if (a.value) {
      out[a.name] = *a.value;
    } else if (a.secretName) {
      if (!lookup) {
        return Status(Code::kInvalid, "argument \"" + a.name + "\": no secret lookup available");
      }
      auto v = lookup(ns, *a.secretName, *a.secretKey);
      if (!v) {
        return Status(v.status().code(), "argument \"" + a.name + "\": secret \"" + *a.secretName +
                                             "\" key \"" + *a.secretKey +
                                             "\": " + v.status().message());
      }
      if (secret_values) secret_values->push_back(*v);
      out[a.name] = *v;
    } else if (a.fieldPath || a.podTemplateHashValue) {
      return Status(Code::kInvalid,
                    "argument \"" + a.name + "\" was not resolved from the Rollout");
    } else {
      return Status(Code::kInvalid, "argument \"" + a.name + "\" was not supplied");
    }
  }
  return out;
}

Result<std::string> substituteArgs(const std::string& text,
                                   const std::map<std::string, std::string>& args) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t open = text.find("{{", pos);
    if (open == std::string::npos) break;
    size_t close = text.find("}}", open + 2);
    if (close == std::string::npos) break;
    std::string tag = text.substr(open + 2, close - open - 2);
    size_t b = tag.find_first_not_of(' ');
    size_t e = tag.find_last_not_of(' ');
    tag = b == std::string::npos ? "" : tag.substr(b, e - b + 1);
    out.append(text, pos, open - pos);
    auto it = tag.rfind("args.", 0) == 0 ? args.find(tag.substr(5)) : args.end();
    if (it == args.end()) return Status(Code::kInvalid, "failed to resolve {{" + tag + "}}");
    out += it->second;
    pos = close + 2;
  }
  out.append(text, pos, std::string::npos);
  return out;
}

Result<json> substituteArgs(const json& value, const std::map<std::string, std::string>& args) {
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (s.find("{{") == std::string::npos) return value;
    auto r = substituteArgs(s, args);
    if (!r) return r.status();
    return json(std::move(r).value());
  }
  if (value.is_array() || value.is_object()) {
    json out = value;
    for (auto it = out.begin(); it != out.end(); ++it) {
      auto r = substituteArgs(*it, args);
      if (!r) return r.status();
      *it = std::move(r).value();
    }
    return out;
  }
  return value;
}

std::string maskSecrets(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    if (s.empty()) continue;
    for (size_t p = text.find(s); p != std::string::npos;
         p = text.find(s, p + kMaskedSecret.size()))
      text.replace(p, s.size(), kMaskedSecret);
  }
  return text;
}

Result<std::string> resolveFieldPath(const json& obj, const std::string& path) {
  const json* cur = &obj;
  size_t i = 0;
  auto missing = [&] {
    return Status(Code::kNotFound, "fieldPath \"" + path + "\" not found", path);
  };
  while (i < path.size()) {
    if (path[i] == '.') ++i;
    std::string key;
    bool is_index = false;
    if (i < path.size() && path[i] == '[') {
      size_t close = path.find(']', i);
      if (close == std::string::npos) return Status(Code::kInvalid, "bad fieldPath " + path, path);
      key = path.substr(i + 1, close - i - 1);
      if (!key.empty() && (key.front() == '\'' || key.front() == '"')) {
        key = key.substr(1, key.size() >= 2 ? key.size() - 2 : 0);
      } else {
        is_index = true;
      }
      i = close + 1;
    } else {
      size_t j = i;
      while (j < path.size() && path[j] != '.' && path[j] != '[') ++j;
      key = path.substr(i, j - i);
      i = j;
    }
    if (is_index) {
      if (!cur->is_array()) return missing();
      size_t k = 0;
      auto [p, ec] = std::from_chars(key.data(), key.data() + key.size(), k);
      if (ec != std::errc() || p != key.data() + key.size() || k >= cur->size()) return missing();
      cur = &(*cur)[k];
    } else {
      if (!cur->is_object() || !cur->contains(key)) return missing();
      cur = &(*cur)[key];
    }
  }
  if (cur->is_string()) return cur->get<std::string>();
  if (cur->is_number() || cur->is_boolean()) return expr::formatValue(*cur);
  return cur->dump();
}

}  // namespace vane::analysis
