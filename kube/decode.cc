#include "kube/decode.h"

#include <cmath>

namespace vane::kube {

namespace {
const nlohmann::json& nullJson() {
  static const nlohmann::json kNull = nullptr;
  return kNull;
}
const char* typeName(const nlohmann::json& v) {
  if (v.is_string()) return "string";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer() || v.is_number_unsigned()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_array()) return "array";
  if (v.is_object()) return "object";
  return "null";
}
}  // namespace

Decoder::Decoder(const nlohmann::json& value, std::string path)
    : Decoder(&value, std::move(path), std::make_shared<State>()) {
  if (!value_->is_object() && !value_->is_null()) {
    state_->first = Status(Code::kInvalid, std::string("expected object, got ") + typeName(value),
                           path_);
  }
}

Decoder::Decoder(const nlohmann::json* value, std::string path, std::shared_ptr<State> state)
    : value_(value), path_(std::move(path)), state_(std::move(state)) {}

std::string Decoder::fieldPath(const std::string& key) const {
  if (path_.empty()) return key;
  if (!key.empty() && key[0] == '[') return path_ + key;
  return path_ + "." + key;
}

const nlohmann::json* Decoder::field(const std::string& key) const {
  if (!value_->is_object()) return nullptr;
  auto it = value_->find(key);
  if (it == value_->end() || it->is_null()) return nullptr;
  return &*it;
}

bool Decoder::has(const std::string& key) const { return field(key) != nullptr; }

void Decoder::fail(const std::string& key, const std::string& message) const {
  if (state_->first.isOk()) state_->first = Status(Code::kInvalid, message, fieldPath(key));
}

Status Decoder::status() const { return state_->first; }
bool Decoder::ok() const { return state_->first.isOk(); }

Decoder Decoder::child(const std::string& key) const {
  const nlohmann::json* f = field(key);
  if (f == nullptr) return Decoder(&nullJson(), fieldPath(key), state_);
  if (!f->is_object()) {
    fail(key, std::string("expected object, got ") + typeName(*f));
    return Decoder(&nullJson(), fieldPath(key), state_);
  }
  return Decoder(f, fieldPath(key), state_);
}

std::vector<Decoder> Decoder::array(const std::string& key) const {
  std::vector<Decoder> out;
  const nlohmann::json* f = field(key);
  if (f == nullptr) return out;
  if (!f->is_array()) {
    fail(key, std::string("expected array, got ") + typeName(*f));
    return out;
  }
  out.reserve(f->size());
  for (std::size_t i = 0; i < f->size(); ++i) {
    const nlohmann::json& e = (*f)[i];
    std::string p = fieldPath(key) + "[" + std::to_string(i) + "]";
    if (!e.is_object()) {
      if (state_->first.isOk()) {
        state_->first =
            Status(Code::kInvalid, std::string("expected object, got ") + typeName(e), p);
      }
      out.emplace_back(Decoder(&nullJson(), p, state_));
    } else {
      out.emplace_back(Decoder(&e, p, state_));
    }
  }
  return out;
}

std::optional<std::string> Decoder::optString(const std::string& key) const {
  const nlohmann::json* f = field(key);
  if (f == nullptr) return std::nullopt;
  if (!f->is_string()) {
    fail(key, std::string("expected string, got ") + typeName(*f));
    return std::nullopt;
  }
  return f->get<std::string>();
}

std::optional<int64_t> Decoder::optInt(const std::string& key) const {
  const nlohmann::json* f = field(key);
  if (f == nullptr) return std::nullopt;
  if (f->is_number_integer() || f->is_number_unsigned()) return f->get<int64_t>();
  if (f->is_number_float()) {
    double d = f->get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) {
      return static_cast<int64_t>(d);
    }
  }
  fail(key, std::string("expected integer, got ") + typeName(*f));
  return std::nullopt;
}

std::optional<double> Decoder::optNumber(const std::string& key) const {
  const nlohmann::json* f = field(key);
  if (f == nullptr) return std::nullopt;
  if (f->is_number()) return f->get<double>();
  fail(key, std::string("expected number, got ") + typeName(*f));
  return std::nullopt;
}

std::optional<bool> Decoder::optBool(const std::string& key) const {
  const nlohmann::json* f = field(key);
  if (f == nullptr) return std::nullopt;
  if (f->is_boolean()) return f->get<bool>();
  fail(key, std::string("expected boolean, got ") + typeName(*f));
  return std::nullopt;
}

std::string Decoder::string(const std::string& key, const std::string& def) const {
  return optString(key).value_or(def);
}
int64_t Decoder::integer(const std::string& key, int64_t def) const {
  return optInt(key).value_or(def);
}
bool Decoder::boolean(const std::string& key, bool def) const {
  return optBool(key).value_or(def);
}

std::string Decoder::requiredString(const std::string& key) const {
  auto v = optString(key);
  if (!v && !has(key)) fail(key, "Required value");
  return v.value_or("");
}

std::optional<nlohmann::json> Decoder::optIntOrString(const std::string& key) const {
  const nlohmann::json* f = field(key);
  if (f == nullptr) return std::nullopt;
  if (f->is_string() || f->is_number_integer() || f->is_number_unsigned()) return *f;
  fail(key, std::string("expected integer or string, got ") + typeName(*f));
  return std::nullopt;
}

}  // namespace vane::kube
