// A small descriptor-driven protobuf wire-format decoder for the Kubernetes types kubectl sends as
// protobuf. Field numbers follow k8s.io/api and k8s.io/apimachinery generated.proto (v0.32).
//
// JSON shape: a JSON client omits zero-valued non-pointer fields (omitempty), while the protobuf
// encoder writes them (empty strings, 0, false, empty messages). Descriptors therefore mark Go
// pointer fields (`ptr`): those keep whatever is on the wire; the others are dropped when zero.
#include "apiserver/protobuf.h"

#include <cstdint>
#include <ctime>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/time.h"

namespace vane::apiserver {
namespace {

using json = nlohmann::json;

enum class T {
  kString,
  kBytes,  // base64 in JSON
  kInt32,
  kInt64,
  kBool,
  kMsg,
  kInline,  // an embedded Go struct: its fields land in the parent object
  kRepString,
  kRepMsg,
  kMapString,
  kMapBytes,
  kMapQuantity,
  kIntOrString,
  kTime,
  kQuantity,
};

struct Field {
  uint32_t num;
  const char* name;
  T type;
  bool ptr = false;
  const char* msg = nullptr;  // message name for kMsg, kInline, kRepMsg
};

using Descriptors = std::unordered_map<std::string, std::vector<Field>>;

// clang-format off
const Descriptors& descriptors() {
  static const Descriptors d = {
      {"ObjectMeta", {{1, "name", T::kString}, {2, "generateName", T::kString},
                      {3, "namespace", T::kString}, {4, "selfLink", T::kString},
                      {5, "uid", T::kString}, {6, "resourceVersion", T::kString},
                      {7, "generation", T::kInt64}, {8, "creationTimestamp", T::kTime},
                      {9, "deletionTimestamp", T::kTime, true},
                      {10, "deletionGracePeriodSeconds", T::kInt64, true},
                      {11, "labels", T::kMapString}, {12, "annotations", T::kMapString},
                      {13, "ownerReferences", T::kRepMsg, false, "OwnerReference"},
                      {14, "finalizers", T::kRepString}}},
      {"OwnerReference", {{5, "apiVersion", T::kString}, {1, "kind", T::kString},
                          {3, "name", T::kString}, {4, "uid", T::kString},
                          {6, "controller", T::kBool, true},
                          {7, "blockOwnerDeletion", T::kBool, true}}},
      {"LabelSelector", {{1, "matchLabels", T::kMapString},
                         {2, "matchExpressions", T::kRepMsg, false, "LabelSelectorRequirement"}}},
      {"LabelSelectorRequirement", {{1, "key", T::kString}, {2, "operator", T::kString},
                                    {3, "values", T::kRepString}}},
      {"Namespace", {{1, "metadata", T::kMsg, false, "ObjectMeta"},
                     {2, "spec", T::kMsg, false, "NamespaceSpec"}}},
      {"NamespaceSpec", {{1, "finalizers", T::kRepString}}},
      {"ConfigMap", {{1, "metadata", T::kMsg, false, "ObjectMeta"}, {2, "data", T::kMapString},
                     {3, "binaryData", T::kMapBytes}, {4, "immutable", T::kBool, true}}},
      {"Secret", {{1, "metadata", T::kMsg, false, "ObjectMeta"}, {2, "data", T::kMapBytes},
                  {3, "type", T::kString}, {4, "stringData", T::kMapString},
                  {5, "immutable", T::kBool, true}}},
      {"Service", {{1, "metadata", T::kMsg, false, "ObjectMeta"},
                   {2, "spec", T::kMsg, false, "ServiceSpec"}}},
      {"ServiceSpec", {{1, "ports", T::kRepMsg, false, "ServicePort"},
                       {2, "selector", T::kMapString}, {3, "clusterIP", T::kString},
                       {18, "clusterIPs", T::kRepString}, {4, "type", T::kString},
                       {5, "externalIPs", T::kRepString}, {7, "sessionAffinity", T::kString},
                       {8, "loadBalancerIP", T::kString},
                       {9, "loadBalancerSourceRanges", T::kRepString},
                       {10, "externalName", T::kString}, {11, "externalTrafficPolicy", T::kString},
                       {12, "healthCheckNodePort", T::kInt32},
                       {13, "publishNotReadyAddresses", T::kBool},
                       {14, "sessionAffinityConfig", T::kMsg, true, "SessionAffinityConfig"},
                       {19, "ipFamilies", T::kRepString}, {17, "ipFamilyPolicy", T::kString, true},
                       {20, "allocateLoadBalancerNodePorts", T::kBool, true},
                       {21, "loadBalancerClass", T::kString, true},
                       {22, "internalTrafficPolicy", T::kString, true},
                       {23, "trafficDistribution", T::kString, true}}},
      {"SessionAffinityConfig", {{1, "clientIP", T::kMsg, true, "ClientIPConfig"}}},
      {"ClientIPConfig", {{1, "timeoutSeconds", T::kInt32, true}}},
      {"ServicePort", {{1, "name", T::kString}, {2, "protocol", T::kString},
                       {6, "appProtocol", T::kString, true}, {3, "port", T::kInt32},
                       {4, "targetPort", T::kIntOrString}, {5, "nodePort", T::kInt32}}},
      {"Pod", {{1, "metadata", T::kMsg, false, "ObjectMeta"},
               {2, "spec", T::kMsg, false, "PodSpec"}}},
      {"PodTemplateSpec", {{1, "metadata", T::kMsg, false, "ObjectMeta"},
                           {2, "spec", T::kMsg, false, "PodSpec"}}},
      {"PodSpec", {{1, "volumes", T::kRepMsg, false, "Volume"},
                   {20, "initContainers", T::kRepMsg, false, "Container"},
                   {2, "containers", T::kRepMsg, false, "Container"},
                   {3, "restartPolicy", T::kString},
                   {4, "terminationGracePeriodSeconds", T::kInt64, true},
                   {5, "activeDeadlineSeconds", T::kInt64, true}, {6, "dnsPolicy", T::kString},
                   {7, "nodeSelector", T::kMapString}, {8, "serviceAccountName", T::kString},
                   {9, "serviceAccount", T::kString},
                   {21, "automountServiceAccountToken", T::kBool, true},
                   {10, "nodeName", T::kString}, {11, "hostNetwork", T::kBool},
                   {12, "hostPID", T::kBool}, {13, "hostIPC", T::kBool},
                   {27, "shareProcessNamespace", T::kBool, true},
                   {15, "imagePullSecrets", T::kRepMsg, false, "LocalObjectReference"},
                   {16, "hostname", T::kString}, {17, "subdomain", T::kString},
                   {19, "schedulerName", T::kString},
                   {22, "tolerations", T::kRepMsg, false, "Toleration"},
                   {24, "priorityClassName", T::kString}, {25, "priority", T::kInt32, true},
                   {29, "runtimeClassName", T::kString, true},
                   {30, "enableServiceLinks", T::kBool, true},
                   {31, "preemptionPolicy", T::kString, true}}},
      {"Toleration", {{1, "key", T::kString}, {2, "operator", T::kString},
                      {3, "value", T::kString}, {4, "effect", T::kString},
                      {5, "tolerationSeconds", T::kInt64, true}}},
      {"LocalObjectReference", {{1, "name", T::kString}}},
      {"Volume", {{1, "name", T::kString}, {2, "", T::kInline, false, "VolumeSource"}}},
      {"VolumeSource", {{2, "emptyDir", T::kMsg, true, "EmptyDirVolumeSource"},
                        {6, "secret", T::kMsg, true, "SecretVolumeSource"},
                        {10, "persistentVolumeClaim", T::kMsg, true, "PVCVolumeSource"},
                        {19, "configMap", T::kMsg, true, "ConfigMapVolumeSource"}}},
      {"EmptyDirVolumeSource", {{1, "medium", T::kString}, {2, "sizeLimit", T::kQuantity, true}}},
      {"SecretVolumeSource", {{1, "secretName", T::kString},
                              {2, "items", T::kRepMsg, false, "KeyToPath"},
                              {3, "defaultMode", T::kInt32, true}, {4, "optional", T::kBool, true}}},
      {"ConfigMapVolumeSource", {{1, "", T::kInline, false, "LocalObjectReference"},
                                 {2, "items", T::kRepMsg, false, "KeyToPath"},
                                 {3, "defaultMode", T::kInt32, true},
                                 {4, "optional", T::kBool, true}}},
      {"PVCVolumeSource", {{1, "claimName", T::kString}, {2, "readOnly", T::kBool}}},
      {"KeyToPath", {{1, "key", T::kString}, {2, "path", T::kString},
                     {3, "mode", T::kInt32, true}}},
      {"Container", {{1, "name", T::kString}, {2, "image", T::kString},
                     {3, "command", T::kRepString}, {4, "args", T::kRepString},
                     {5, "workingDir", T::kString},
                     {6, "ports", T::kRepMsg, false, "ContainerPort"},
                     {19, "envFrom", T::kRepMsg, false, "EnvFromSource"},
                     {7, "env", T::kRepMsg, false, "EnvVar"},
                     {8, "resources", T::kMsg, false, "ResourceRequirements"},
                     {9, "volumeMounts", T::kRepMsg, false, "VolumeMount"},
                     {10, "livenessProbe", T::kMsg, true, "Probe"},
                     {11, "readinessProbe", T::kMsg, true, "Probe"},
                     {22, "startupProbe", T::kMsg, true, "Probe"},
                     {13, "terminationMessagePath", T::kString},
                     {20, "terminationMessagePolicy", T::kString},
                     {14, "imagePullPolicy", T::kString}, {16, "stdin", T::kBool},
                     {17, "stdinOnce", T::kBool}, {18, "tty", T::kBool}}},
      {"ContainerPort", {{1, "name", T::kString}, {2, "hostPort", T::kInt32},
                         {3, "containerPort", T::kInt32}, {4, "protocol", T::kString},
                         {5, "hostIP", T::kString}}},
      {"EnvVar", {{1, "name", T::kString}, {2, "value", T::kString},
                  {3, "valueFrom", T::kMsg, true, "EnvVarSource"}}},
      {"EnvVarSource", {{1, "fieldRef", T::kMsg, true, "ObjectFieldSelector"},
                        {2, "resourceFieldRef", T::kMsg, true, "ResourceFieldSelector"},
                        {3, "configMapKeyRef", T::kMsg, true, "KeySelector"},
                        {4, "secretKeyRef", T::kMsg, true, "KeySelector"}}},
      {"ObjectFieldSelector", {{1, "apiVersion", T::kString}, {2, "fieldPath", T::kString}}},
      {"ResourceFieldSelector", {{1, "containerName", T::kString}, {2, "resource", T::kString},
                                 {3, "divisor", T::kQuantity}}},
      {"KeySelector", {{1, "", T::kInline, false, "LocalObjectReference"}, {2, "key", T::kString},
                       {3, "optional", T::kBool, true}}},
      {"EnvFromSource", {{1, "prefix", T::kString},
                         {2, "configMapRef", T::kMsg, true, "EnvSource"},
                         {3, "secretRef", T::kMsg, true, "EnvSource"}}},
      {"EnvSource", {{1, "", T::kInline, false, "LocalObjectReference"},
                     {2, "optional", T::kBool, true}}},
      {"ResourceRequirements", {{1, "limits", T::kMapQuantity}, {2, "requests", T::kMapQuantity}}},
      {"VolumeMount", {{1, "name", T::kString}, {2, "readOnly", T::kBool},
                       {3, "mountPath", T::kString}, {4, "subPath", T::kString},
                       {5, "mountPropagation", T::kString, true}, {6, "subPathExpr", T::kString}}},
      {"Probe", {{1, "", T::kInline, false, "ProbeHandler"},
                 {2, "initialDelaySeconds", T::kInt32}, {3, "timeoutSeconds", T::kInt32},
                 {4, "periodSeconds", T::kInt32}, {5, "successThreshold", T::kInt32},
                 {6, "failureThreshold", T::kInt32},
                 {7, "terminationGracePeriodSeconds", T::kInt64, true}}},
      {"ProbeHandler", {{1, "exec", T::kMsg, true, "ExecAction"},
                        {2, "httpGet", T::kMsg, true, "HTTPGetAction"},
                        {3, "tcpSocket", T::kMsg, true, "TCPSocketAction"}}},
      {"ExecAction", {{1, "command", T::kRepString}}},
      {"HTTPGetAction", {{1, "path", T::kString}, {2, "port", T::kIntOrString},
                         {3, "host", T::kString}, {4, "scheme", T::kString},
                         {5, "httpHeaders", T::kRepMsg, false, "HTTPHeader"}}},
      {"HTTPHeader", {{1, "name", T::kString}, {2, "value", T::kString}}},
      {"TCPSocketAction", {{1, "port", T::kIntOrString}, {2, "host", T::kString}}},
      {"Deployment", {{1, "metadata", T::kMsg, false, "ObjectMeta"},
                      {2, "spec", T::kMsg, false, "DeploymentSpec"}}},
      {"DeploymentSpec", {{1, "replicas", T::kInt32, true},
                          {2, "selector", T::kMsg, true, "LabelSelector"},
                          {3, "template", T::kMsg, false, "PodTemplateSpec"},
                          {4, "strategy", T::kMsg, false, "DeploymentStrategy"},
                          {5, "minReadySeconds", T::kInt32},
                          {6, "revisionHistoryLimit", T::kInt32, true}, {7, "paused", T::kBool},
                          {9, "progressDeadlineSeconds", T::kInt32, true}}},
      {"DeploymentStrategy", {{1, "type", T::kString},
                              {2, "rollingUpdate", T::kMsg, true, "RollingUpdateDeployment"}}},
      {"RollingUpdateDeployment", {{1, "maxUnavailable", T::kIntOrString, true},
                                   {2, "maxSurge", T::kIntOrString, true}}},
      {"ReplicaSet", {{1, "metadata", T::kMsg, false, "ObjectMeta"},
                      {2, "spec", T::kMsg, false, "ReplicaSetSpec"}}},
      {"ReplicaSetSpec", {{1, "replicas", T::kInt32, true}, {4, "minReadySeconds", T::kInt32},
                          {2, "selector", T::kMsg, true, "LabelSelector"},
                          {3, "template", T::kMsg, false, "PodTemplateSpec"}}},
      {"Job", {{1, "metadata", T::kMsg, false, "ObjectMeta"},
               {2, "spec", T::kMsg, false, "JobSpec"}}},
      {"JobSpec", {{1, "parallelism", T::kInt32, true}, {2, "completions", T::kInt32, true},
                   {3, "activeDeadlineSeconds", T::kInt64, true},
                   {7, "backoffLimit", T::kInt32, true},
                   {4, "selector", T::kMsg, true, "LabelSelector"},
                   {5, "manualSelector", T::kBool, true},
                   {6, "template", T::kMsg, false, "PodTemplateSpec"},
                   {8, "ttlSecondsAfterFinished", T::kInt32, true},
                   {9, "completionMode", T::kString, true}, {10, "suspend", T::kBool, true}}},
  };
  return d;
}
// clang-format on

struct Kind {
  const char* apiVersion;
  const char* kind;
};
constexpr Kind kKinds[] = {
    {"v1", "Namespace"}, {"v1", "ConfigMap"},       {"v1", "Secret"},          {"v1", "Service"},
    {"v1", "Pod"},       {"apps/v1", "Deployment"}, {"apps/v1", "ReplicaSet"}, {"batch/v1", "Job"}};

enum Wire : uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

class Reader {
 public:
  explicit Reader(std::string_view data) : p_(data.data()), end_(data.data() + data.size()) {}
  bool done() const { return p_ >= end_; }

  bool varint(uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return false;
      auto b = static_cast<uint8_t>(*p_++);
      out |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;  // more than 10 bytes
  }
  bool tag(uint32_t& field, uint32_t& wire) {
    uint64_t v = 0;
    if (!varint(v) || (v >> 3) == 0 || (v >> 3) > 0x1fffffff) return false;
    field = static_cast<uint32_t>(v >> 3);
    wire = static_cast<uint32_t>(v & 7);
    return true;
  }
  bool bytes(std::string_view& out) {
    uint64_t n = 0;
    if (!varint(n) || n > static_cast<uint64_t>(end_ - p_)) return false;
    out = std::string_view(p_, n);
    p_ += n;
    return true;
  }
  bool skip(uint32_t wire) {
    uint64_t v = 0;
    std::string_view s;
    switch (wire) {
      case kVarint:
        return varint(v);
      case kLen:
        return bytes(s);
      case kFixed64:
        return advance(8);
      case kFixed32:
        return advance(4);
      default:
        return false;  // groups (3, 4) are not used by Kubernetes
    }
  }

 private:
  bool advance(std::ptrdiff_t n) {
    if (end_ - p_ < n) return false;
    p_ += n;
    return true;
  }
  const char* p_;
  const char* end_;
};

Status malformed(const std::string& where) {
  return Status(Code::kBadRequest, "protobuf: malformed data in " + where);
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(n >> s) & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

bool isZero(const json& v) {
  if (v.is_string()) return v.get_ref<const std::string&>().empty();
  if (v.is_number_integer()) return v.get<int64_t>() == 0;
  if (v.is_boolean()) return !v.get<bool>();
  if (v.is_object() || v.is_array()) return v.empty();
  return v.is_null();
}

Result<json> decodeMessage(std::string_view data, const std::string& type, int depth);

// Small fixed-shape messages: map entries {1 key, 2 value}, Time, Quantity, IntOrString.
Result<std::pair<std::string, std::string_view>> decodeMapEntry(std::string_view data,
                                                                const char* where) {
  Reader r(data);
  std::string key;
  std::string_view value;
  while (!r.done()) {
    uint32_t f = 0, w = 0;
    if (!r.tag(f, w)) return malformed(where);
    std::string_view s;
    if ((f == 1 || f == 2) && w == kLen) {
      if (!r.bytes(s)) return malformed(where);
      if (f == 1)
        key = std::string(s);
      else
        value = s;
    } else if (!r.skip(w)) {
      return malformed(where);
    }
  }
  return std::make_pair(std::move(key), value);
}

Result<json> decodeSmall(std::string_view data, T type, const char* where) {
  Reader r(data);
  int64_t ints[4] = {0, 0, 0, 0};
  std::string str;
  while (!r.done()) {
    uint32_t f = 0, w = 0;
    if (!r.tag(f, w)) return malformed(where);
    uint64_t v = 0;
    std::string_view s;
    if (w == kVarint && f < 4) {
      if (!r.varint(v)) return malformed(where);
      ints[f] = static_cast<int64_t>(v);
    } else if (w == kLen &&
               ((type == T::kQuantity && f == 1) || (type == T::kIntOrString && f == 3))) {
      if (!r.bytes(s)) return malformed(where);
      str = std::string(s);
    } else if (!r.skip(w)) {
      return malformed(where);
    }
  }
  if (type == T::kQuantity) return json(str);
  if (type == T::kIntOrString) {
    if (ints[1] == 1) return json(str);
    return json(static_cast<int32_t>(ints[2]));
  }
  if (ints[1] == 0 && ints[2] == 0) return json("");  // zero Time: omitted (null in JSON)
  return json(base::formatRfc3339(ints[1]));
}

// Decodes one occurrence of field f (wire type w) from r into obj.
Status decodeField(Reader& r, uint32_t w, const Field& f, json& obj, int depth) {
  const char* where = f.name[0] ? f.name : (f.msg ? f.msg : "message");
  uint64_t v = 0;
  bool scalar = f.type == T::kInt32 || f.type == T::kInt64 || f.type == T::kBool;
  if (scalar) {
    if (w != kVarint || !r.varint(v)) return malformed(where);
    json value = f.type == T::kBool    ? json(v != 0)
                 : f.type == T::kInt32 ? json(static_cast<int32_t>(v))
                                       : json(static_cast<int64_t>(v));
    if (f.ptr || !isZero(value)) obj[f.name] = std::move(value);
    return Status::ok();
  }
  std::string_view s;
  if (w != kLen || !r.bytes(s)) return malformed(where);
  switch (f.type) {
    case T::kString:
    case T::kBytes: {
      json value = f.type == T::kString ? json(std::string(s)) : json(base64(s));
      if (f.ptr || !isZero(value)) obj[f.name] = std::move(value);
      return Status::ok();
    }
    case T::kRepString:
      obj[f.name].push_back(std::string(s));
      return Status::ok();
    case T::kMapString:
    case T::kMapBytes:
    case T::kMapQuantity: {
      auto entry = decodeMapEntry(s, where);
      if (!entry.ok()) return entry.status();
      auto& [key, raw] = *entry;
      json value = json(std::string(raw));
      if (f.type == T::kMapBytes) value = base64(raw);
      if (f.type == T::kMapQuantity) {
        auto q = decodeSmall(raw, T::kQuantity, where);
        if (!q.ok()) return q.status();
        value = std::move(*q);
      }
      obj[f.name][key] = std::move(value);
      return Status::ok();
    }
    case T::kIntOrString:
    case T::kTime:
    case T::kQuantity: {
      auto value = decodeSmall(s, f.type, where);
      if (!value.ok()) return value.status();
      if (f.ptr || !isZero(*value)) obj[f.name] = std::move(*value);
      return Status::ok();
    }
    case T::kMsg:
    case T::kRepMsg:
    case T::kInline: {
      auto sub = decodeMessage(s, f.msg, depth + 1);
      if (!sub.ok()) return sub.status();
      if (f.type == T::kRepMsg) {
        obj[f.name].push_back(std::move(*sub));
      } else if (f.type == T::kInline) {
        for (auto& [k, val] : sub->items()) obj[k] = std::move(val);
      } else if (f.ptr || !sub->empty()) {
        obj[f.name] = std::move(*sub);
      }
      return Status::ok();
    }
    default:
      return malformed(where);
  }
}

Result<json> decodeMessage(std::string_view data, const std::string& type, int depth) {
  if (depth > 32) return malformed(type);
  const auto& all = descriptors();
  auto it = all.find(type);
  if (it == all.end()) return Status(Code::kInternal, "protobuf: no descriptor for " + type);
  json obj = json::object();
  Reader r(data);
  while (!r.done()) {
    uint32_t num = 0, w = 0;
    if (!r.tag(num, w)) return malformed(type);
    const Field* field = nullptr;
    for (const auto& f : it->second) {
      if (f.num == num) field = &f;
    }
    if (field == nullptr) {
      if (!r.skip(w)) return malformed(type);
      continue;
    }
    if (Status st = decodeField(r, w, *field, obj, depth); !st) return st;
  }
  return obj;
}

struct Envelope {
  std::string apiVersion, kind, contentEncoding;
  std::string_view raw;
};

Result<Envelope> decodeEnvelope(std::string_view body) {
  Envelope env;
  Reader r(body.substr(4));
  while (!r.done()) {
    uint32_t f = 0, w = 0;
    std::string_view s;
    if (!r.tag(f, w)) return malformed("runtime.Unknown");
    if (w != kLen || f > 4) {
      if (!r.skip(w)) return malformed("runtime.Unknown");
      continue;
    }
    if (!r.bytes(s)) return malformed("runtime.Unknown");
    if (f == 1) {
      Reader tm(s);
      while (!tm.done()) {
        uint32_t tf = 0, tw = 0;
        std::string_view ts;
        if (!tm.tag(tf, tw)) return malformed("runtime.TypeMeta");
        if (tw == kLen && (tf == 1 || tf == 2)) {
          if (!tm.bytes(ts)) return malformed("runtime.TypeMeta");
          (tf == 1 ? env.apiVersion : env.kind) = std::string(ts);
        } else if (!tm.skip(tw)) {
          return malformed("runtime.TypeMeta");
        }
      }
    } else if (f == 2) {
      env.raw = s;
    } else if (f == 3) {
      env.contentEncoding = std::string(s);
    }
  }
  return env;
}

}  // namespace

bool looksLikeProtobuf(std::string_view body) {
  return body.size() >= 4 && body.substr(0, 4) == std::string_view("k8s\0", 4);
}

Result<json> decodeProtobuf(std::string_view body) {
  if (!looksLikeProtobuf(body)) {
    return Status(Code::kBadRequest, "protobuf: missing the k8s\\0 magic prefix");
  }
  auto env = decodeEnvelope(body);
  if (!env.ok()) return env.status();
  if (!env->contentEncoding.empty()) {
    return Status(Code::kUnsupported,
                  "protobuf: unsupported content encoding " + env->contentEncoding);
  }
  if (env->kind.empty()) return Status(Code::kBadRequest, "protobuf: envelope without a kind");
  bool known = false;
  for (const auto& k : kKinds) {
    known = known || (env->apiVersion == k.apiVersion && env->kind == k.kind);
  }
  if (!known) {
    return Status(Code::kUnsupported, "protobuf: unsupported kind " + env->apiVersion +
                                          ", Kind=" + env->kind + "; send application/json");
  }
  auto obj = decodeMessage(env->raw, env->kind, 0);
  if (!obj.ok()) return obj.status();
  json out = json::object();
  out["apiVersion"] = env->apiVersion;
  out["kind"] = env->kind;
  if (!obj->contains("metadata")) (*obj)["metadata"] = json::object();
  for (auto& [k, v] : obj->items()) out[k] = std::move(v);
  // kubectl sends type:"" for generic secrets; the API server's defaulting makes it Opaque.
  if (env->kind == "Secret" && !out.contains("type")) out["type"] = "Opaque";
  return out;
}

}  // namespace vane::apiserver
