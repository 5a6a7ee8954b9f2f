// Decoding of Kubernetes protobuf request bodies (Content-Type application/vnd.kubernetes.protobuf)
// into the JSON object a JSON client would have sent. kubectl >= 1.32 sends protobuf from its typed
// clients (`kubectl create namespace|configmap|secret|deployment|service`).
//
// Wire layout: the 4 magic bytes "k8s\0", then a runtime.Unknown {1 typeMeta{1 apiVersion, 2 kind},
// 2 raw (the typed message), 3 contentEncoding, 4 contentType}. Field numbers follow k8s.io/api
// generated.proto (v0.32). Unknown fields are skipped.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "kube/status.h"

namespace vane::apiserver {

/// True when body starts with the "k8s\0" magic.
bool looksLikeProtobuf(std::string_view body);

/// Decodes a protobuf envelope into JSON with "apiVersion" and "kind" set. Supported kinds:
/// v1 Namespace, ConfigMap, Secret, Service, Pod; apps/v1 Deployment, ReplicaSet. Errors:
/// kBadRequest for malformed input (bad magic, truncated or invalid wire data), kUnsupported for a
/// well-formed envelope of a kind this decoder does not know. Never throws; thread-safe.
Result<nlohmann::json> decodeProtobuf(std::string_view body);

}  // namespace vane::apiserver
