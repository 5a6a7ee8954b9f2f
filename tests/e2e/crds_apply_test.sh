#!/usr/bin/env bash
# Given a fresh vane-apiserver, when crds/ and every examples/*.yaml are applied with real kubectl 1.32,
# then the CRDs are Established, re-applying is a no-op, the printer columns show, objects round-trip,
# and schema violations are refused naming the field.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
e2e_tmp crds
start_apiserver

# --- CRDs ---
expect "apply -k crds/" 'rollouts.argoproj.io (created|configured)' k apply -k "$src/crds"
for crd in rollouts analysisruns analysistemplates clusteranalysistemplates experiments; do
  expect "crd $crd established" 'condition met' \
    k wait --for=condition=Established "crd/$crd.argoproj.io" --timeout=30s
done
expect "re-apply crds/ unchanged" 'rollouts.argoproj.io unchanged' k apply -k "$src/crds"
expect "short name ro is discoverable" 'rollouts +ro +argoproj.io/v1alpha1 +true +Rollout' \
  k api-resources --api-group=argoproj.io
expect "istio CRDs applied" 'virtualservices.networking.istio.io' \
  k apply -f "$src/examples/istio/virtualservice.crd.yaml" \
  -f "$src/examples/istio/destinationrule.crd.yaml"
k wait --for=condition=Established crd/virtualservices.networking.istio.io --timeout=30s >/dev/null

# --- every example, twice ---
for f in "$src"/examples/*.yaml; do
  name=$(basename "$f")
  expect "apply $name" '(created|configured)' k apply -f "$f"
  out=$(k apply -f "$f" 2>&1); rc=$?
  if [ $rc -eq 0 ] && ! grep -Eq 'created' <<<"$out"; then pass "re-apply $name"; else
    fail "re-apply $name (rc=$rc): $out"; fi
done

# --- printer columns ---
expect "get rollouts prints Argo's columns" \
  '^NAME +DESIRED +CURRENT +UP-TO-DATE +AVAILABLE +AGE' k get rollouts
expect "get ro lists canary-basic with desired 5" '^canary-basic +5 ' k get ro
expect "rollouts in category argoproj" 'rollout.argoproj.io/bluegreen' k get argoproj -o name
k apply -f - >/dev/null 2>&1 <<'YAML'
apiVersion: argoproj.io/v1alpha1
kind: AnalysisRun
metadata:
  name: run-1
spec:
  metrics:
  - name: m
    provider:
      prometheus: {address: "http://127.0.0.1:9", query: "up"}
YAML
k patch analysisrun run-1 --subresource=status --type merge -p '{"status":{"phase":"Running"}}' >/dev/null
expect "get analysisruns prints Status/Age" '^run-1 +Running +[0-9]+s' k get ar
expect "analysisrun header" '^NAME +STATUS +AGE' k get analysisruns

# --- round trip: what we get back equals what we applied, and replace accepts it ---
for name in canary-basic istio-host-split canary-analysis bluegreen; do
  file=$(grep -l "name: $name\$" "$src"/examples/rollout-*.yaml | head -1)
  k get ro "$name" -o yaml >"$tmp/$name.yaml"
  if python3 - "$file" "$tmp/$name.yaml" "$name" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d.get('kind') == 'Rollout']
src = [d for d in docs if d['metadata']['name'] == sys.argv[3]][0]
got = yaml.safe_load(open(sys.argv[2]))
sys.exit(0 if got['spec'] == src['spec'] and got['kind'] == 'Rollout' else 1)
PY
  then pass "round trip $name"; else fail "round trip $name: $(cat "$tmp/$name.yaml")"; fi
  expect "replace $name with its own yaml" 'replaced' k replace -f "$tmp/$name.yaml"
done
expect "pause duration int stays int" 'duration: 10$' k get ro canary-basic -o yaml
expect "pause duration string stays string" 'duration: 30s$' k get ro canary-basic -o yaml

# --- schema violations ---
invalid() {  # invalid NAME STEP_YAML
  cat <<YAML
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: $1
spec:
  selector: {matchLabels: {app: bad}}
  template:
    metadata: {labels: {app: bad}}
    spec: {containers: [{name: c, image: nginx}]}
  strategy:
    canary:
      steps:
      - $2
YAML
}
invalid bad-weight 'setWeight: "abc"' >"$tmp/bad-weight.yaml"
refuse "setWeight: \"abc\" refused naming the field" 'spec\.strategy\.canary\.steps\[0\]\.setWeight' \
  k apply -f "$tmp/bad-weight.yaml"
invalid bad-pause 'pause: {duration: [1]}' >"$tmp/bad-pause.yaml"
refuse "pause.duration list refused" 'spec\.strategy\.canary\.steps\[0\]\.pause\.duration' \
  k apply -f "$tmp/bad-pause.yaml"
invalid bad-replicas 'setWeight: 10' | sed 's/^spec:/spec:\n  replicas: many/' >"$tmp/bad-replicas.yaml"
refuse "replicas: many refused" 'spec\.replicas' k apply -f "$tmp/bad-replicas.yaml"
invalid typo 'setWeight: 10' | sed 's/^    canary:/    canary:\n      stabelService: x/' >"$tmp/typo.yaml"
refuse "unknown canary field refused by strict validation" 'stabelService' k apply -f "$tmp/typo.yaml"
refuse "invalid rollouts were not stored" 'NotFound|not found' k get ro bad-weight

echo "$fails failure(s)"
[ $fails -eq 0 ]
