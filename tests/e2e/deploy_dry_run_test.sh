#!/usr/bin/env bash
# Given a fresh vane-apiserver, when the install manifests (deploy/ via kustomize) are sent with
# `kubectl apply --dry-run=server` (plain apply where the server lacks dry-run), then every kind the
# server serves is accepted; RBAC (not served locally) is checked offline for least privilege, and
# the Alertmanager receiver config is checked with amtool.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
e2e_tmp deploy
start_apiserver

# Build both variants offline (kustomize is built into kubectl).
for variant in deploy deploy/namespaced deploy/dashboard; do
  if k kustomize "$src/$variant" >"$tmp/$(basename "$variant").yaml" 2>"$tmp/kustomize.err"; then
    pass "kustomize $variant"; else fail "kustomize $variant: $(cat "$tmp/kustomize.err")"; fi
done
grep -q -- '- --namespace=vane-system' "$tmp/namespaced.yaml" &&
  pass "namespaced variant adds --namespace=vane-system" || fail "namespaced variant lacks --namespace"

# Split into one file per document, tagged with its kind (python: no YAML::LoadAll in bash).
python3 - "$tmp/deploy.yaml" "$tmp/docs" <<'PY'
import os, sys, yaml
os.makedirs(sys.argv[2], exist_ok=True)
for i, d in enumerate(yaml.safe_load_all(open(sys.argv[1]))):
    if d:
        with open(f"{sys.argv[2]}/{i:02d}-{d['kind']}.yaml", "w") as f:
            yaml.safe_dump(d, f)
PY
served=$(k api-resources --no-headers 2>/dev/null | awk '{print $NF}')

# CRDs and the Namespace for real: the namespaced objects need them to exist for a dry run.
for f in "$tmp"/docs/*-CustomResourceDefinition.yaml "$tmp"/docs/*-Namespace.yaml; do
  out=$(k apply -f "$f" 2>&1) && pass "apply $(basename "$f")" || fail "apply $(basename "$f"): $out"
done

dry_run_supported=1
for f in "$tmp"/docs/*.yaml; do
  kind=$(basename "$f" .yaml); kind=${kind#*-}
  case $kind in CustomResourceDefinition|Namespace) continue ;; esac
  if ! grep -qx "$kind" <<<"$served"; then
    echo "SKIP: server does not serve $kind; checked offline below"; continue
  fi
  out=$(k apply --dry-run=server -f "$f" 2>&1); rc=$?
  if [ $rc -ne 0 ] && grep -qiE 'dry ?run.*(not supported|unsupported)' <<<"$out"; then
    dry_run_supported=0; out=$(k apply -f "$f" 2>&1); rc=$?
  fi
  if [ $rc -eq 0 ]; then pass "server accepts $(basename "$f"): $out"; else
    fail "server refuses $(basename "$f"): $out"; fi
done
if [ $dry_run_supported -eq 1 ]; then
  if k get deployment vane-controller -n vane-system >/dev/null 2>&1; then
    fail "dry run created the Deployment"; else pass "dry run left nothing behind"; fi
fi

# Least privilege, offline: no wildcards, secrets/configmaps read-only (get), pods list/watch/patch,
# events create/patch, and every resource the controller uses is granted.
if python3 - "$tmp/deploy.yaml" "$src/deploy/namespaced/role.yaml" <<'PY'
import sys, yaml
need = {
  ("argoproj.io", "rollouts"): {"get", "list", "watch", "update", "patch"},
  ("argoproj.io", "rollouts/status"): {"update", "patch"},
  ("argoproj.io", "analysisruns"): {"create", "list", "watch", "patch", "delete"},
  ("argoproj.io", "analysistemplates"): {"get", "list", "watch"},
  ("argoproj.io", "clusteranalysistemplates"): {"get", "list", "watch"},
  ("argoproj.io", "experiments"): {"create", "list", "watch", "patch", "delete"},
  ("apps", "replicasets"): {"create", "list", "watch", "update", "patch", "delete"},
  ("", "services"): {"get", "list", "watch", "patch"},
  ("", "pods"): {"list", "watch", "patch"},
  ("", "events"): {"create", "patch"},
  ("coordination.k8s.io", "leases"): {"create", "get", "update"},
  ("networking.istio.io", "virtualservices"): {"get", "list", "watch", "update"},
  ("networking.istio.io", "destinationrules"): {"get", "list", "watch", "update"},
  ("", "secrets"): {"get"}, ("", "configmaps"): {"get"},
  ("batch", "jobs"): {"create", "get", "delete"}, ("apps", "deployments"): {"get", "list", "watch", "patch"},
}
exact = {("", "secrets"): {"get"}, ("", "configmaps"): {"get"}, ("", "pods"): {"list", "watch", "patch"},
         ("", "events"): {"create", "patch"}}
bad = 0
for path in sys.argv[1:]:
    granted = {}
    for d in yaml.safe_load_all(open(path)):
        if not d or d["kind"] not in ("ClusterRole", "Role"): continue
        for r in d["rules"]:
            for g in r["apiGroups"]:
                for res in r["resources"]:
                    if "*" in (g, res) or "*" in r["verbs"]:
                        print(f"{path}: wildcard in {d['metadata']['name']}"); bad += 1
                    granted.setdefault((g, res), set()).update(r["verbs"])
    for key, verbs in need.items():
        if not verbs <= granted.get(key, set()):
            print(f"{path}: {key} lacks {verbs - granted.get(key, set())}"); bad += 1
    for key, verbs in exact.items():
        if granted.get(key) != verbs:
            print(f"{path}: {key} grants {granted.get(key)}, want exactly {verbs}"); bad += 1
sys.exit(1 if bad else 0)
PY
then pass "RBAC least privilege (cluster and namespaced)"; else fail "RBAC least privilege"; fi

# The controller Deployment's hardening.
if python3 - "$tmp/deploy.yaml" <<'PY'
import sys, yaml
d = [x for x in yaml.safe_load_all(open(sys.argv[1])) if x and x["kind"] == "Deployment"][0]
spec = d["spec"]["template"]["spec"]; c = spec["containers"][0]
ok = (d["spec"]["replicas"] == 2 and "--leader-elect" in c["args"]
      and c["livenessProbe"]["httpGet"]["path"] == "/healthz"
      and c["readinessProbe"]["httpGet"]["path"] == "/readyz"
      and "--metrics-addr=0.0.0.0:8090" in c["args"] and "--health-addr=0.0.0.0:8080" in c["args"]
      and "--hook-token-file=/etc/vane/alert-hook/token" in c["args"]
      and c["resources"]["requests"]["cpu"] and c["resources"]["requests"]["memory"]
      and spec["securityContext"]["runAsNonRoot"] and c["securityContext"]["readOnlyRootFilesystem"]
      and spec["serviceAccountName"] == "vane-controller")
sys.exit(0 if ok else 1)
PY
then pass "controller Deployment hardening"; else fail "controller Deployment hardening"; fi

if command -v amtool >/dev/null; then
  out=$(amtool check-config "$src/deploy/alertmanager-receiver.yaml" 2>&1) &&
    grep -q '/hooks/alertmanager' "$src/deploy/alertmanager-receiver.yaml" &&
    pass "alertmanager receiver config valid" || fail "alertmanager receiver config: $out"
else
  echo "SKIP: amtool not installed"
fi

echo "$fails failure(s)"
[ $fails -eq 0 ]
