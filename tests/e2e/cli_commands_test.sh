#!/usr/bin/env bash
# Given a fresh vane-apiserver with the CRDs and Rollouts applied, when `kubectl vane ...` runs
# through real kubectl 1.32 (plugin found on PATH), then each command exits as documented and its
# patch is visible on the object (argo-rollouts.md 1.14).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
# field DESCRIPTION EXPECTED NAME JSONPATH [NS]: the Rollout's field equals EXPECTED.
field() {
  local got; got=$(k get ro "$3" -n "${5:-default}" -o "jsonpath=$4" 2>&1)
  if [ "$got" = "$2" ]; then pass "$1"; else fail "$1: $4 = '$got', want '$2'"; fi
}

# wait_for FILE REGEX: true once a line of FILE matches REGEX, false after 20 s.
wait_for() {
  local deadline=$((SECONDS + 20))
  until grep -Eqs -- "$2" "$1"; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.1
  done
}
# reads: how many Rollout GETs and child LISTs the server has answered, as "resource.verb=N" lines.
reads() {
  local counter='^apiserver_request_total\{code="200",resource="' end='"\} ([0-9]+)$'
  k get --raw /metrics | sed -nE -e "s/${counter}(rollouts)\",verb=\"(get)$end/\1.\2=\3/p" \
    -e "s/${counter}(replicasets|pods|analysisruns|experiments)\",verb=\"(list)$end/\1.\2=\3/p" |
    sort
}
# stop_watch: interrupts the background watch (as Ctrl-C; started under `timeout`, which passes
# SIGINT on) and reaps it; true if it was still running and the interrupt ended it.
stop_watch() {
  local alive=0 rc; kill -0 "$watch_pid" 2>/dev/null && alive=1
  kill -INT "$watch_pid" 2>/dev/null; wait "$watch_pid" 2>/dev/null; rc=$?; watch_pid=""
  [ $alive = 1 ] && [ $rc = 130 ]  # 128 + SIGINT: ended by the interrupt
}

e2e_tmp cli
use_plugin
watch_pid=""
e2e_cleanup_extra() { [ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null; }
start_apiserver
export KUBECONFIG="$tmp/kubeconfig"
k() { "$kubectl_bin" "$@"; }

k apply -k "$src/crds" >/dev/null && k wait --for=condition=Established crd/rollouts.argoproj.io \
  --timeout=30s >/dev/null || { echo "FAIL: CRDs"; exit 1; }
# --- the Rollout CRD publishes status.duration (Argo 1.10) ---
expect "explain rollout.status.duration" 'totalManualPauseDurationSeconds.*<integer>' \
  k explain rollout.status.duration
out=$(k explain rollout.status.duration 2>&1)
for f in rolloutStartedAt manualPauseStartedAt finishedAt completionStatus; do
  grep -Eq "^ +$f.*<string>" <<<"$out" && pass "explain shows status.duration.$f" ||
    fail "explain status.duration.$f: $out"
done
rollout() {  # rollout NAME TIER [NAMESPACE]
  cat <<YAML
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: $1
  namespace: ${3:-default}
  labels: {tier: $2}
spec:
  replicas: 2
  selector: {matchLabels: {app: $1}}
  template:
    metadata: {labels: {app: $1}}
    spec:
      initContainers: [{name: init, image: busybox:1.36}]
      containers: [{name: app, image: nginx:1.25}, {name: side, image: envoy:1.30}]
  strategy:
    canary:
      steps: [{setWeight: 20}, {pause: {}}, {setWeight: 50}, {pause: {duration: 30s}}]
YAML
}
k create namespace shop >/dev/null
{ rollout demo web; echo ---; rollout demo2 web; echo ---; rollout other db; echo ---
  rollout demo web shop; } >"$tmp/rollouts.yaml"
k apply -f "$tmp/rollouts.yaml" >/dev/null || { echo "FAIL: applying rollouts"; exit 1; }
status() { k patch ro "$1" -n "${3:-default}" --subresource=status --type merge -p "$2" >/dev/null; }
gen() { k get ro "$1" -o jsonpath='{.metadata.generation}'; }

# status.duration round-trips through the status subresource and its types are checked.
status demo '{"status":{"duration":{"rolloutStartedAt":"2026-01-01T00:00:00Z",
  "manualPauseStartedAt":"2026-01-01T00:01:00Z","totalManualPauseDurationSeconds":30,
  "finishedAt":"2026-01-01T00:05:00Z","completionStatus":"Promoted"}}}' ||
  fail "writing status.duration"
d='.status.duration'
field "status.duration round-trips" \
  "2026-01-01T00:00:00Z 2026-01-01T00:01:00Z 30 2026-01-01T00:05:00Z Promoted" demo \
  "{$d.rolloutStartedAt} {$d.manualPauseStartedAt} {$d.totalManualPauseDurationSeconds} {$d.finishedAt} {$d.completionStatus}"
refuse "status.duration types checked, field named" 'status\.duration\.totalManualPauseDurationSeconds' \
  k patch ro demo --subresource=status --type merge \
  -p '{"status":{"duration":{"totalManualPauseDurationSeconds":"long"}}}'
status demo '{"status":{"duration":null}}' || fail "clearing status.duration"

# --- discovery and offline commands ---
expect "plugin found by kubectl" 'kubectl-vane' k plugin list
expect "version" 'kubectl-vane: v0\.1\.0' k vane version
expect "--help for promote" 'kubectl vane promote NAME' k vane promote --help
expect "--help for set image" 'kubectl vane set image NAME CONTAINER=IMAGE' k vane set image --help
refuse "promote without NAME names it" 'requires NAME' k vane promote
refuse "unknown flag named" 'unknown flag: --bogus' k vane abort demo --bogus
refuse "bad --in named" '--in' k vane restart demo --in soon
refuse "bad CONTAINER=IMAGE named" 'nginx' k vane set image demo nginx
refuse "unknown rollout" 'not found' k vane abort nope

# --- pause / promote ---
expect "pause" "rollout 'demo' paused" k vane pause demo
field "pause sets spec.paused" true demo '{.spec.paused}'
status demo '{"status":{"currentStepIndex":1,"controllerPause":true,"pauseConditions":[{"reason":"CanaryPauseStep","startTime":"2026-01-01T00:00:00Z"}]}}'
expect "promote" "rollout 'demo' promoted" k vane promote demo
field "promote clears spec.paused" false demo '{.spec.paused}'
field "promote clears pauseConditions" "" demo '{.status.pauseConditions}'
field "promote keeps the step while paused" 1 demo '{.status.currentStepIndex}'
expect "promote without pause conditions" "promoted" k vane promote demo
field "promote skips the running step" 2 demo '{.status.currentStepIndex}'
status demo '{"status":{"currentPodHash":"aaa","stableRS":"bbb"}}'
expect "promote --full" "rollout 'demo' fully promoted" k vane promote demo --full
field "promote --full sets status.promoteFull" true demo '{.status.promoteFull}'

# --- abort / retry ---
expect "abort" "rollout 'demo' aborted" k vane abort demo
field "abort sets status.abort" true demo '{.status.abort}'
expect "retry rollout" "rollout 'demo' retried" k vane retry rollout demo
field "retry clears status.abort" false demo '{.status.abort}'

# --- restart ---
before=$(date -u +%s)
expect "restart" "rollout 'demo' restarts in 0s" k vane restart demo
at=$(k get ro demo -o jsonpath='{.spec.restartAt}')
at_s=$(date -u -d "$at" +%s 2>/dev/null || echo 0)
if [[ $at =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] && [ "$at_s" -ge "$before" ] &&
  [ "$at_s" -le $((before + 60)) ]; then pass "restart sets spec.restartAt to now ($at)"; else
  fail "restart: spec.restartAt = '$at'"; fi
expect "restart --in 1h" "restarts in 1h" k vane restart demo --in 1h
at_s=$(date -u -d "$(k get ro demo -o jsonpath='{.spec.restartAt}')" +%s)
[ "$at_s" -ge $((before + 3600)) ] && pass "restart --in 1h is an hour ahead" ||
  fail "restart --in 1h: $at_s"

# --- set image ---
expect "set image one container" 'rollout "demo" image updated' k vane set image demo app=nginx:1.27
field "set image changed app" "nginx:1.27 envoy:1.30" demo '{.spec.template.spec.containers[*].image}'
expect "set image *" 'image updated' k vane set image demo '*=busybox:1.37'
field "set image * changed all containers" "busybox:1.37 busybox:1.37 busybox:1.37" demo \
  '{.spec.template.spec.initContainers[*].image} {.spec.template.spec.containers[*].image}'
refuse "set image unknown container" 'unable to find container named "nope"' \
  k vane set image demo nope=x:1

# --- undo: two ReplicaSets owned by the Rollout, revisions 1 and 2 ---
uid=$(k get ro demo -o jsonpath='{.metadata.uid}')
replicaset() {  # replicaset REVISION IMAGE
  cat <<YAML
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: demo-h$1
  labels: {app: demo, rollouts-pod-template-hash: h$1}
  annotations: {rollout.argoproj.io/revision: "$1"}
  ownerReferences:
  - {apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: demo, uid: $uid, controller: true}
spec:
  replicas: 0
  selector: {matchLabels: {app: demo, rollouts-pod-template-hash: h$1}}
  template:
    metadata: {labels: {app: demo, rollouts-pod-template-hash: h$1}}
    spec: {containers: [{name: app, image: $2}]}
YAML
}
{ replicaset 1 nginx:1.21; echo ---; replicaset 2 nginx:1.22; echo ---; replicaset 3 nginx:1.23; } |
  k apply -f - >/dev/null || fail "creating ReplicaSets"
expect "undo" "rollout 'demo' undo" k vane undo demo
field "undo restores the previous revision's template" "nginx:1.22" demo \
  '{.spec.template.spec.containers[*].image}'
field "undo drops the hash label" "" demo '{.spec.template.metadata.labels.rollouts-pod-template-hash}'
expect "undo --to-revision 1" "undo" k vane undo demo --to-revision 1
field "undo --to-revision" "nginx:1.21" demo '{.spec.template.spec.containers[*].image}'
refuse "undo to a missing revision" 'unable to find specified revision 9' k vane undo demo --to-revision=9

# --- bulk promote / abort ---
for r in demo demo2 other; do
  status "$r" '{"status":{"pauseConditions":[{"reason":"CanaryPauseStep","startTime":"2026-01-01T00:00:00Z"}]}}'
done
out=$(k vane promote -l tier=web 2>&1); rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c "promoted" <<<"$out")" = 2 ]; then pass "bulk promote -l: one line per Rollout"
else fail "bulk promote -l (rc=$rc): $out"; fi
field "bulk promote cleared demo2" "" demo2 '{.status.pauseConditions}'
field "bulk promote left unmatched Rollout" "CanaryPauseStep" other '{.status.pauseConditions[0].reason}'
out=$(k vane abort --all 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$(grep -c aborted <<<"$out")" = 3 ] && pass "abort --all" || fail "abort --all (rc=$rc): $out"
field "abort --all reached other" true other '{.status.abort}'
refuse "bulk with no match fails" 'no Rollouts matched' k vane promote -l tier=none

# --- namespace and context flags ---
expect "-n selects the namespace" "paused" k vane pause demo -n shop
field "-n: shop/demo paused" true demo '{.spec.paused}' shop
ctx=$(k config current-context)
expect "--context and --kubeconfig" "paused" k vane --kubeconfig "$tmp/kubeconfig" --context "$ctx" pause demo2
refuse "unknown --context" 'context' k vane --context nope pause demo2

# --- status ---
[ -n "${VANE_E2E_TRACE:-}" ] && set -x
status demo "{\"status\":{\"observedGeneration\":\"$(gen demo)\",\"phase\":\"Healthy\",\"message\":\"\",\"controllerPause\":false}}"
expect "status Healthy exits 0" '^Healthy$' k vane status demo
status demo "{\"status\":{\"phase\":\"Degraded\",\"message\":\"RolloutAborted: aborted\"}}"
refuse "status Degraded exits non-zero" 'degraded state with message: RolloutAborted: aborted' \
  k vane status demo
status demo '{"status":{"phase":"Progressing","message":"more replicas need to be updated"}}'
refuse "status times out" 'Progressing - more replicas need to be updated' k vane status demo --timeout 2s
refuse "status timeout message" 'exceeded timeout' k vane status demo --timeout 1s
expect "status --watch=false prints once" 'Progressing - more replicas' k vane status demo --watch=false
k vane status demo --timeout 60s >"$tmp/watch.out" 2>&1 &
watch_pid=$!
deadline=$((SECONDS + 20))
until grep -qs Progressing "$tmp/watch.out" || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
status demo '{"status":{"phase":"Healthy","message":""}}'
deadline=$((SECONDS + 30))
while kill -0 "$watch_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
wait "$watch_pid"; rc=$?; watch_pid=""
if [ $rc -eq 0 ] && grep -q '^Progressing - more replicas' "$tmp/watch.out" &&
  grep -q '^Healthy$' "$tmp/watch.out"; then pass "status --watch follows the change to Healthy"
else fail "status --watch (rc=$rc): $(cat "$tmp/watch.out")"; fi

# --- get / list ---
# The ReplicaSets were made with replicas 0; mark them observed so they read as scaled down.
for r in 1 2 3; do
  k patch rs "demo-h$r" --subresource=status --type merge \
    -p '{"status":{"observedGeneration":1,"replicas":0}}' >/dev/null || fail "patch rs status"
done
status demo '{"status":{"currentStepIndex":1,"phase":"Paused","message":"CanaryPauseStep","abort":false}}'
out=$(k vane get rollout demo --no-color 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q '^Name:            demo$' <<<"$out" && grep -q '^Status:          ॥ Paused$' <<<"$out" &&
  grep -q '^  Step:          1/4$' <<<"$out" && grep -q '^  SetWeight:     20$' <<<"$out" &&
  grep -Eq '^NAME +KIND +STATUS +AGE +INFO' <<<"$out" && grep -Eq '^⟳ demo +Rollout +॥ Paused' <<<"$out" &&
  grep -Eq '^├──# revision:3' <<<"$out" && grep -Eq '^   └──⧉ demo-h1 +ReplicaSet +• ScaledDown' <<<"$out" &&
  ! grep -q $'\033' <<<"$out"; then pass "get rollout tree"; else fail "get rollout (rc=$rc): $out"; fi
k vane get ro demo -o json >"$tmp/get.json" 2>&1 &&
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["status"]=="Paused" and d["step"]=="1/4" and len(d["replicaSets"])==3' "$tmp/get.json" &&
  pass "get rollout -o json" || fail "get rollout -o json: $(cat "$tmp/get.json")"
expect "get rollout colours by default" $'\033\\[' k vane get rollout demo
expect "list rollouts" '^demo +Canary +Paused +1/4 +20 +0/0 +2 ' k vane list rollouts
expect "list rollouts -A" '^shop +demo +Canary' k vane list rollouts -A

timeout 120 "$kubectl_bin" vane get rollout demo --watch --no-color >"$tmp/get-watch.out" 2>&1 &
watch_pid=$!
deadline=$((SECONDS + 20))
until grep -qs 'Paused' "$tmp/get-watch.out" || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
status demo '{"status":{"phase":"Degraded","message":"RolloutAborted: watch test"}}'
until grep -q 'RolloutAborted: watch test' "$tmp/get-watch.out" || [ $SECONDS -ge $deadline ]; do
  sleep 0.1
done
if kill -0 "$watch_pid" 2>/dev/null && grep -q '^Status:          ॥ Paused' "$tmp/get-watch.out" &&
  grep -q '^Status:          ✖ Degraded' "$tmp/get-watch.out"; then
  pass "get rollout --watch redraws on change"
else fail "get rollout --watch: $(cat "$tmp/get-watch.out")"; fi
stop_watch || fail "get rollout --watch did not end on SIGINT"

# --- get rollout --watch redraws when only a child changes (Argo's viewcontroller): a Pod's
# readiness through the status subresource, then a new AnalysisRun; the Rollout stays untouched. ---
rs_uid=$(k get rs demo-h3 -o jsonpath='{.metadata.uid}')
ro_uid=$(k get ro demo -o jsonpath='{.metadata.uid}')
cat <<YAML | k apply -f - >/dev/null || fail "creating a Pod of demo-h3"
apiVersion: v1
kind: Pod
metadata:
  name: demo-h3-pod
  labels: {app: demo, rollouts-pod-template-hash: h3}
  ownerReferences:
  - {apiVersion: apps/v1, kind: ReplicaSet, name: demo-h3, uid: $rs_uid, controller: true}
spec: {containers: [{name: app, image: nginx:1.23}]}
YAML
ro_rv=$(k get ro demo -o jsonpath='{.metadata.resourceVersion}')
out="$tmp/get-watch-children.out"
timeout 120 "$kubectl_bin" vane get rollout demo --watch --no-color >"$out" 2>&1 &
watch_pid=$!
if wait_for "$out" 'demo-h3-pod +Pod .*ready:0/1'; then
  reads >"$tmp/reads.before"
  k patch pod demo-h3-pod --subresource=status --type merge -p '{"status":{"phase":"Running",
    "containerStatuses":[{"name":"app","ready":true,"restartCount":0,"image":"nginx:1.23",
    "imageID":"","state":{"running":{"startedAt":"2026-01-01T00:00:00Z"}}}]}}' >/dev/null ||
    fail "patching the Pod's status"
fi
wait_for "$out" 'demo-h3-pod +Pod +. Running .*ready:1/1' &&
  pass "get rollout --watch redraws on a Pod's readiness" ||
  fail "get rollout --watch after a Pod became ready: $(cat "$out")"
cat <<YAML | k apply -f - >/dev/null || fail "creating an AnalysisRun of demo"
apiVersion: argoproj.io/v1alpha1
kind: AnalysisRun
metadata:
  name: demo-h3-3-watched
  labels: {rollouts-pod-template-hash: h3}
  ownerReferences:
  - {apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: demo, uid: $ro_uid, controller: true}
spec:
  metrics: [{name: up, provider: {prometheus: {address: "http://127.0.0.1:1", query: up}}}]
YAML
wait_for "$out" 'demo-h3-3-watched +AnalysisRun' &&
  pass "get rollout --watch redraws on a new AnalysisRun" ||
  fail "get rollout --watch after an AnalysisRun was created: $(cat "$out")"
reads >"$tmp/reads.after"
# Two changes, two reads of each resource: quiet watch timeouts redraw without reading again.
delta=$(join -t= "$tmp/reads.before" "$tmp/reads.after" | awk -F= '{printf "%s=%d ", $1, $3 - $2}')
want="analysisruns.list=2 experiments.list=2 pods.list=2 replicasets.list=2 rollouts.get=2 "
[ "$delta" = "$want" ] &&
  pass "get rollout --watch reads each resource once per change" ||
  fail "get rollout --watch reads per change: $delta"
[ "$(k get ro demo -o jsonpath='{.metadata.resourceVersion}')" = "$ro_rv" ] &&
  pass "the Rollout was not touched by the child changes" || fail "the Rollout changed"
stop_watch && pass "get rollout --watch runs until interrupted" ||
  fail "get rollout --watch ended early: $(cat "$out")"
k delete analysisrun demo-h3-3-watched >/dev/null || fail "deleting the AnalysisRun"

# --- list rollouts --watch: the table, then a Rollout's line again when it changes. `timeout`
# bounds it; it is stopped (as by an interrupt) once the change is seen. ---
# list_watch OUT NAME NAMESPACE PATCH LINE_REGEX [ARGS...]: true when the line matching
# LINE_REGEX appeared after NAME's status was patched while the watch ran.
list_watch() {
  local out=$1 name=$2 ns=$3 patch=$4 re=$5; shift 5
  timeout 30 "$kubectl_bin" vane list rollouts --watch "$@" >"$out" 2>&1 &
  watch_pid=$!
  local deadline=$((SECONDS + 20))
  until grep -q '^NAME' "$out" || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
  status "$name" "$patch" "$ns"
  until grep -Eq "$re" "$out" || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
  local alive=0; kill -0 "$watch_pid" 2>/dev/null && alive=1
  kill -INT "$watch_pid" 2>/dev/null; wait "$watch_pid" 2>/dev/null; watch_pid=""
  [ $alive = 1 ]
}
if list_watch "$tmp/list-watch.out" demo2 default '{"status":{"phase":"Degraded","message":"watched"}}' \
  '^demo2 +Canary +Degraded' &&
  [ "$(grep -c '^NAME' "$tmp/list-watch.out")" = 1 ] &&
  [ "$(grep -Ec '^demo2 ' "$tmp/list-watch.out")" = 2 ] &&
  [ "$(grep -Ec '^other ' "$tmp/list-watch.out")" = 1 ]; then
  pass "list rollouts --watch prints the changed Rollout's line again"
else fail "list rollouts --watch: $(cat "$tmp/list-watch.out")"; fi
if list_watch "$tmp/list-watch-a.out" demo shop '{"status":{"phase":"Healthy","message":""}}' \
  '^shop +demo +Canary +Healthy' -A && grep -Eq '^default +demo2 ' "$tmp/list-watch-a.out"; then
  pass "list rollouts -A --watch follows every namespace"
else fail "list rollouts -A --watch: $(cat "$tmp/list-watch-a.out")"; fi
expect "list rollouts --name" '^demo2 ' k vane list rollouts --name demo2
expect "list rollouts --timestamps" '^TIMESTAMP +NAME' k vane list rollouts --timestamps

# --- experiments (made with kubectl: the controller does not create them yet) ---
uid=$(k get ro demo -o jsonpath='{.metadata.uid}')
exp=demo-h3-3-0
cat <<YAML | k apply -f - >/dev/null || fail "creating the Experiment"
apiVersion: argoproj.io/v1alpha1
kind: Experiment
metadata:
  name: $exp
  annotations: {rollout.argoproj.io/revision: "3"}
  ownerReferences:
  - {apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: demo, uid: $uid, controller: true}
spec:
  duration: 1h
  templates:
  - name: canary-preview
    replicas: 1
    selector: {matchLabels: {app: demo, exp: preview}}
    template:
      metadata: {labels: {app: demo, exp: preview}}
      spec: {containers: [{name: app, image: nginx:1.23}]}
YAML
exp_uid=$(k get experiment $exp -o jsonpath='{.metadata.uid}')
k patch experiment $exp --subresource=status --type merge \
  -p "{\"status\":{\"phase\":\"Running\",\"availableAt\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}" \
  >/dev/null || fail "Experiment status"
cat <<YAML | k apply -f - >/dev/null || fail "creating the Experiment's children"
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: $exp-canary-preview
  labels: {app: demo, exp: preview}
  annotations: {experiment.argoproj.io/template-name: canary-preview}
  ownerReferences:
  - {apiVersion: argoproj.io/v1alpha1, kind: Experiment, name: $exp, uid: $exp_uid, controller: true}
spec:
  replicas: 0
  selector: {matchLabels: {app: demo, exp: preview}}
  template:
    metadata: {labels: {app: demo, exp: preview}}
    spec: {containers: [{name: app, image: nginx:1.23}]}
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisRun
metadata:
  name: $exp-smoke
  ownerReferences:
  - {apiVersion: argoproj.io/v1alpha1, kind: Experiment, name: $exp, uid: $exp_uid, controller: true}
spec:
  metrics: [{name: up, provider: {prometheus: {address: "http://127.0.0.1:1", query: up}}}]
YAML
k patch analysisrun $exp-smoke --subresource=status --type merge \
  -p '{"status":{"phase":"Running"}}' >/dev/null || fail "AnalysisRun status"
out=$(k vane get experiment $exp --no-color 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "^Name:            $exp$" <<<"$out" &&
  grep -q '^Status:          ◌ Running$' <<<"$out" &&
  grep -Eq "^Σ $exp +Experiment +◌ Running" <<<"$out" &&
  grep -Eq "^├──⧉ $exp-canary-preview +ReplicaSet" <<<"$out" &&
  grep -Eq "^└──α $exp-smoke +AnalysisRun +◌ Running" <<<"$out"; then pass "get experiment tree"
else fail "get experiment (rc=$rc): $out"; fi
# get experiment --watch redraws when its AnalysisRun's status changes, the Experiment untouched.
out="$tmp/get-exp-watch.out"
timeout 120 "$kubectl_bin" vane get experiment $exp --watch --no-color >"$out" 2>&1 &
watch_pid=$!
if wait_for "$out" "$exp-smoke +AnalysisRun +. Running"; then
  k patch analysisrun $exp-smoke --subresource=status --type merge \
    -p '{"status":{"phase":"Successful"}}' >/dev/null || fail "AnalysisRun status Successful"
fi
wait_for "$out" "$exp-smoke +AnalysisRun +. Successful" &&
  pass "get experiment --watch redraws on its AnalysisRun's change" ||
  fail "get experiment --watch: $(cat "$out")"
stop_watch || fail "get experiment --watch ended early: $(cat "$out")"
k patch analysisrun $exp-smoke --subresource=status --type merge \
  -p '{"status":{"phase":"Running"}}' >/dev/null || fail "AnalysisRun status Running"
refuse "get experiment names a missing one" '"nope" not found' k vane get experiment nope
expect "list experiments" "^$exp +Running +60m +(59m|60m) +[0-9]+[sm]" k vane list experiments
expect "list experiments -A" "^default +$exp +Running" k vane list exp -A
expect "list experiments, none" 'No resources found in shop namespace' k vane list experiments -n shop
out=$(k vane get rollout demo --no-color 2>&1)
if grep -Eq "^│  └──Σ $exp +Experiment +◌ Running" <<<"$out" &&
  grep -Eq "^│     ├──⧉ $exp-canary-preview +ReplicaSet" <<<"$out" &&
  grep -Eq "^│     └──α $exp-smoke +AnalysisRun" <<<"$out"; then
  pass "get rollout shows the Experiment under its revision"
else fail "get rollout with an Experiment: $out"; fi

# --- terminate ---
expect "terminate analysisrun" "analysisRun '$exp-smoke' terminated" \
  k vane terminate analysisrun $exp-smoke
[ "$(k get analysisrun $exp-smoke -o jsonpath='{.spec.terminate}')" = true ] &&
  pass "terminate sets AnalysisRun spec.terminate" || fail "AnalysisRun spec.terminate not set"
expect "terminate experiment" "experiment '$exp' terminated" k vane terminate exp $exp
[ "$(k get experiment $exp -o jsonpath='{.spec.terminate}')" = true ] &&
  pass "terminate sets Experiment spec.terminate" || fail "Experiment spec.terminate not set"

# --- retry experiment: Argo's {"status":null}, so the controller starts it over ---
[ -n "$(k get experiment $exp -o jsonpath='{.status.phase}')" ] || fail "the Experiment has no status"
expect "retry experiment" "experiment '$exp' retried" k vane retry experiment $exp
got=$(k get experiment $exp -o jsonpath='{.status}')
[ -z "$got" ] && pass "retry experiment clears the status" || fail "retry experiment left: $got"
[ "$(k get experiment $exp -o jsonpath='{.spec.duration}')" = 1h ] &&
  pass "retry experiment keeps the spec" || fail "retry experiment changed the spec"
refuse "retry a missing Experiment names it" "experiment 'nope'.*not found" \
  k vane retry exp nope
refuse "terminate a missing AnalysisRun names it" "analysisrun 'nope' in namespace default" \
  k vane terminate analysisrun nope
refuse "terminate a missing Experiment names it" "experiment 'nope'.*not found" \
  k vane terminate experiment nope
refuse "terminate needs a NAME" 'requires NAME' k vane terminate experiment

# --- lint ---
expect "lint valid example" '1 Rollout\(s\) valid' k vane lint -f "$src/examples/rollout-canary-istio.yaml"
{ rollout bad1 web | sed 's/setWeight: 20/setWeight: "abc"/'; echo ---
  rollout bad2 web | sed 's/setWeight: 50/setWeight: 150/'; } >"$tmp/bad.yaml"
refuse "lint invalid manifest names the field" 'spec\.strategy\.canary\.steps\[0\]\.setWeight' \
  k vane lint -f "$tmp/bad.yaml"
refuse "lint reports range errors" 'steps\[2\]\.setWeight: SetWeight needs to be between 0 and 100' \
  k vane lint -f "$tmp/bad.yaml"

echo "$fails failure(s)"
[ $fails -eq 0 ]
