#!/usr/bin/env bash
# Given vane-apiserver --simulate-workloads and the vane-controller binary, when a canary Rollout
# is deployed, updated, held at its indefinite pause step and aborted through real kubectl, then
# status.duration records each update (Argo 1.10) and GET /metrics shows rollout_duration_seconds,
# rollout_progression_duration_seconds and rollout_manual_pause_duration_seconds labelled by the
# completion status, each finished update once; a restarted controller observes none again.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
e2e_tmp duration
start_apiserver --simulate-workloads
k apply -k "$src/crds" >/dev/null && k wait --for=condition=Established crd/rollouts.argoproj.io \
  --timeout=30s >/dev/null || { echo "FAIL: CRDs"; exit 1; }

# start_duration_controller: vane-controller with its metrics on $metrics_port.
start_duration_controller() {
  metrics_port=$(free_port)
  "$bin/vane-controller" --kubeconfig "$tmp/kubeconfig" --metrics-addr "127.0.0.1:$metrics_port" \
    --health-addr "127.0.0.1:$(free_port)" >>"$tmp/controller.log" 2>&1 &
  controller_pid=$!
}
# until_ok SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.2 s; pass/fail by the deadline.
until_ok() {
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      fail "$what (after ${limit}s): $(k get ro web -o jsonpath='{.status.phase} {.status.message} {.status.duration}')"
      return 1
    fi
    sleep 0.2
  done
  pass "$what"
}
phase_is() { [ "$(k get ro web -o jsonpath='{.status.phase}')" = "$1" ]; }
duration_field() { k get ro web -o jsonpath="{.status.duration.$1}"; }
metrics() { curl -sf "http://127.0.0.1:$metrics_port/metrics"; }
# metric_is SAMPLE VALUE: the /metrics line "SAMPLE VALUE" is there.
metric_is() { metrics | grep -Fxq "$1 $2"; }

rollout() {  # rollout IMAGE
  cat <<EOF
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "$1"}]}
  strategy:
    canary:
      steps: [{setWeight: 50}, {pause: {}}]
EOF
}

start_duration_controller
rollout nginx:1 | k apply -f - >/dev/null || { echo "FAIL: apply rollout"; exit 1; }
until_ok 40 "the initial deploy reaches Healthy" phase_is Healthy
expect "the initial deploy is a promoted update" '^Promoted$' duration_field completionStatus
until_ok 10 "/metrics counts it under status=Promoted" \
  metric_is 'rollout_duration_seconds_count{status="Promoted"}' 1

rollout nginx:2 | k apply -f - >/dev/null || { echo "FAIL: apply v2"; exit 1; }
until_ok 40 "the update pauses at the indefinite step" phase_is Paused
expect "the update has started" 'T' duration_field rolloutStartedAt
expect "the indefinite pause step is a manual pause" 'T' duration_field manualPauseStartedAt
[ -z "$(duration_field finishedAt)" ] && pass "not finished while paused" || fail "finishedAt set early"

k patch ro web --subresource=status --type merge -p '{"status":{"abort":true}}' >/dev/null
until_ok 30 "the aborted update is Degraded" phase_is Degraded
expect "finished as Aborted" '^Aborted$' duration_field completionStatus
expect "the open manual pause is added up" '^[0-9]+$' duration_field totalManualPauseDurationSeconds
[ -z "$(duration_field manualPauseStartedAt)" ] && pass "manual pause closed" || fail "manual pause still open"
until_ok 10 "/metrics counts the abort" metric_is 'rollout_duration_seconds_count{status="Aborted"}' 1
expect "progression histogram by status" 'rollout_progression_duration_seconds_count\{status="Aborted"\} 1' metrics
expect "manual pause histogram by status" 'rollout_manual_pause_duration_seconds_count\{status="Aborted"\} 1' metrics
expect "Argo's buckets" 'rollout_duration_seconds_bucket\{status="Aborted",le="28800"\} 1' metrics
expect "the promoted update is still counted once" 'rollout_duration_seconds_count\{status="Promoted"\} 1' metrics

# Restart: the new process reads finishedAt back and observes nothing again. Its rewrite of a
# status message shows that it has reconciled the Rollout.
kill "$controller_pid"; wait "$controller_pid" 2>/dev/null
start_duration_controller
k patch ro web --subresource=status --type merge -p '{"status":{"message":"stale"}}' >/dev/null
until_ok 40 "the restarted controller reconciles" \
  bash -c "[ \"\$($kubectl_bin --kubeconfig $tmp/kubeconfig get ro web -o jsonpath='{.status.message}')\" != stale ]"
expect "finished update kept" '^Aborted$' duration_field completionStatus
until_ok 10 "the restarted controller serves /metrics" metrics
if metrics | grep -q '^rollout_duration_seconds_count'; then
  fail "a restarted controller observed a finished update again: $(metrics | grep '^rollout_duration_seconds_count')"
else
  pass "a restarted controller observes no finished update again"
fi

[ $fails -eq 0 ]
