#!/usr/bin/env bash
# Given vane-apiserver --simulate-workloads and the vane-controller binary, when the blue-green
# example (examples/rollout-bluegreen.yaml, Argo's rollout-bluegreen example with its Services)
# is applied and driven with `kubectl vane` through real kubectl, then it reaches Healthy, pauses
# a new version behind the preview Service, and promote, abort, retry, promote --full and undo
# move the active Service as Argo's controller does.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
e2e_tmp bluegreen
use_plugin
start_apiserver --simulate-workloads
export KUBECONFIG="$tmp/kubeconfig"
k() { "$kubectl_bin" "$@"; }  # the plugin reads KUBECONFIG: no flags before its name
k apply -k "$src/crds" >/dev/null && k wait --for=condition=Established crd/rollouts.argoproj.io \
  --timeout=30s >/dev/null || { echo "FAIL: CRDs"; exit 1; }
start_controller

# until SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.2 s; pass/fail by the deadline.
until_ok() {
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then fail "$what (after ${limit}s): $(k get ro bluegreen -o jsonpath='{.status.phase} {.status.message}')"; return 1; fi
    sleep 0.2
  done
  pass "$what"
}
phase_is() {  # phase_is PHASE [MESSAGE]
  [ "$(k get ro bluegreen -o jsonpath='{.status.phase}|{.status.message}')" = "$1|${2:-}" ]
}
active() { k get svc bluegreen-active -o jsonpath='{.spec.selector.rollouts-pod-template-hash}'; }
current() { k get ro bluegreen -o jsonpath='{.status.currentPodHash}'; }

k apply -f "$src/examples/rollout-bluegreen.yaml" >/dev/null || { echo "FAIL: apply example"; exit 1; }
until_ok 40 "the example reaches Healthy" phase_is Healthy
expect "status exits 0 on Healthy" '^Healthy' k vane status bluegreen --timeout 10s
v1=$(current)
[ "$(active)" = "$v1" ] && pass "active Service on the first ReplicaSet" || fail "active $(active) != $v1"

# A new version waits behind the preview Service (autoPromotionEnabled: false).
expect "set image" 'image updated' k vane set image bluegreen 'app=argoproj/rollouts-demo:blue'
until_ok 40 "new version paused (BlueGreenPause)" phase_is Paused BlueGreenPause
v2=$(current)
[ -n "$v2" ] && [ "$v2" != "$v1" ] && pass "a second ReplicaSet for v2" || fail "no new ReplicaSet: $v2"
[ "$(active)" = "$v1" ] && pass "active still on v1 while paused" || fail "active moved early"
expect "preview Service on v2" "^$v2\$" k get svc bluegreen-preview -o jsonpath='{.spec.selector.rollouts-pod-template-hash}'
expect "get rollout tree tags preview and active" 'preview' k vane get rollout bluegreen --no-color
expect "get rollout names the strategy" 'BlueGreen' k vane get rollout bluegreen --no-color

# Abort: Degraded, active kept on v1; retry pauses again; promote switches.
expect "abort" 'aborted' k vane abort bluegreen
until_ok 30 "aborted rollout is Degraded" bash -c "[ \"\$($kubectl_bin get ro bluegreen -o jsonpath='{.status.phase}')\" = Degraded ]"
[ "$(active)" = "$v1" ] && pass "abort leaves active on stable" || fail "active not on stable after abort"
expect "retry" 'retried|retry' k vane retry rollout bluegreen
until_ok 30 "retried rollout paused again" phase_is Paused BlueGreenPause
expect "promote" 'promoted' k vane promote bluegreen
until_ok 40 "promoted rollout Healthy" phase_is Healthy
[ "$(active)" = "$v2" ] && pass "active switched to v2" || fail "active $(active) != $v2"
expect "stableRS is v2" "^$v2\$" k get ro bluegreen -o jsonpath='{.status.stableRS}'

# Undo to v1 while its pods are inside scaleDownDelaySeconds (30 s): fast rollback, no new pods.
pods_before=$(k get pods -l "rollouts-pod-template-hash=$v1" -o name | sort | tr '\n' ' ')
expect "undo" 'rolled back|undo' k vane undo bluegreen
until_ok 30 "rollback to v1 Healthy" bash -c "[ \"\$($kubectl_bin get ro bluegreen -o jsonpath='{.status.stableRS}|{.status.phase}')\" = '$v1|Healthy' ]"
[ "$(active)" = "$v1" ] && pass "active back on v1" || fail "active $(active) != $v1"
pods_after=$(k get pods -l "rollouts-pod-template-hash=$v1" -o name | sort | tr '\n' ' ')
[ "$pods_before" = "$pods_after" ] && pass "rollback reused v1's pods" || fail "pods changed: '$pods_before' -> '$pods_after'"
expect "still two ReplicaSets" '^2$' bash -c "$kubectl_bin get rs -o name | wc -l"

# promote --full skips the pause.
expect "set image again" 'image updated' k vane set image bluegreen 'app=argoproj/rollouts-demo:yellow'
until_ok 40 "v3 paused" phase_is Paused BlueGreenPause
expect "promote --full" 'promoted' k vane promote bluegreen --full
until_ok 40 "promote --full reaches Healthy" phase_is Healthy
v3=$(current)
[ "$v3" != "$v1" ] && [ "$v3" != "$v2" ] && [ "$(active)" = "$v3" ] && pass "active on v3" ||
  fail "active $(active), v3 $v3"

echo "bluegreen plugin e2e: $fails failure(s)"
[ $fails -eq 0 ]
