#!/usr/bin/env bash
# Given vane-apiserver --simulate-workloads, vane-controller with its Alertmanager hook (bearer
# token) and metrics endpoint, a canary instance of vane-test-app under steady requests, a real
# Prometheus 2.42 (alert rule on the canary's 5xx ratio, --rules.alert.resend-delay=1s, scraping
# the app and the controller) and a real Alertmanager 0.25 (group_wait 1s) posting to the hook,
# when a canary Rollout paused mid-update starts failing requests,
# then the alert aborts it: status.abort, Degraded with RolloutAborted and a message naming the
# alert, the stable ReplicaSet back at full size and the canary Service back on stable; the
# same Prometheus shows the Rollout's phase from the controller's metrics, and the controller
# has observed vane_abort_latency_seconds. Every wait is bounded; every process is stopped by PID.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

for b in vane-apiserver vane-controller vane-test-app; do
  [ -x "$bin/$b" ] || { echo "FAIL: $bin/$b not built"; exit 1; }
done
for b in prometheus prometheus-alertmanager curl python3; do
  command -v "$b" >/dev/null || { echo "FAIL: $b not installed"; exit 1; }
done

e2e_tmp alert-abort
pids=()
e2e_cleanup_extra() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  if [ $fails -ne 0 ]; then
    for f in controller prometheus alertmanager; do
      echo "--- $f.log (tail)"; tail -25 "$tmp/$f.log" 2>/dev/null
    done
  fi
}
# bg NAME COMMAND...: a background process logging to $tmp/NAME.log, stopped by PID at exit.
bg() { local name=$1; shift; "$@" >"$tmp/$name.log" 2>&1 & pids+=($!); }
freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
# wait_until SECONDS DESCRIPTION COMMAND...: polls every 0.3 s; false after the deadline.
wait_until() {
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then fail "timed out after $limit s waiting for $what"; return 1; fi
    sleep 0.3
  done
  pass "$what"
}
ro() { k get rollout web -n default -o "jsonpath=$1" 2>/dev/null; }
ro_is() { [ "$(ro "$1")" = "$2" ]; }
promql() {  # promql QUERY: the result vector as JSON
  curl -sf --get "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1"
}
# (Output captured first: with pipefail, grep -q closing the pipe early would fail curl.)
has_result() { local out; out=$(promql "$1") && grep -q '"value":\[[^]]*,"1"\]' <<<"$out"; }

start_apiserver --simulate-workloads --pod-ready-delay 1s
k apply -k "$src/crds" >/dev/null && k wait --for=condition=Established crd/rollouts.argoproj.io \
  --timeout=30s >/dev/null || { echo "FAIL: CRDs"; exit 1; }

# The canary instance of the app, under a steady trickle of requests (no errors yet).
app_port=$(freeport)
bg app "$bin/vane-test-app" --listen "127.0.0.1:$app_port" --version v2 --error-rate 0
wait_until 10 "vane-test-app up" curl -sf "http://127.0.0.1:$app_port/healthz" || exit 1
bg traffic bash -c "while :; do curl -s -o /dev/null http://127.0.0.1:$app_port/checkout; sleep 0.05; done"

# The controller with its hook (bearer token from a file) and metrics endpoint.
printf %s e2e-hook-token >"$tmp/token"
hook_port=$(freeport) metrics_port=$(freeport) health_port=$(freeport)
bg controller "$bin/vane-controller" --kubeconfig "$tmp/kubeconfig" \
  --hook-addr "127.0.0.1:$hook_port" --hook-token-file "$tmp/token" \
  --metrics-addr "127.0.0.1:$metrics_port" --health-addr "127.0.0.1:$health_port"
wait_until 30 "vane-controller ready" curl -sf "http://127.0.0.1:$health_port/readyz" || exit 1
hook_url="http://127.0.0.1:$hook_port/hooks/alertmanager"

# Alertmanager: one route to the hook, group_wait 1s, the token as Authorization credentials.
am_port=$(freeport)
cat >"$tmp/alertmanager.yml" <<EOF
route:
  receiver: vane-abort
  group_by: ['alertname', 'namespace', 'rollout']
  group_wait: 1s
  group_interval: 10s
  repeat_interval: 1h
receivers:
  - name: vane-abort
    webhook_configs:
      - url: '$hook_url'
        send_resolved: true
        http_config: {authorization: {credentials_file: '$tmp/token'}}
EOF
bg alertmanager prometheus-alertmanager --config.file="$tmp/alertmanager.yml" \
  --storage.path="$tmp/am" --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address=
wait_until 30 "alertmanager ready" curl -sf "http://127.0.0.1:$am_port/-/ready" || exit 1

# Prometheus: scrapes the canary app (labelled with its Rollout) and the controller; the rule
# fires when more than 10% of the canary's requests fail.
prom_port=$(freeport)
cat >"$tmp/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: ['$tmp/rules.yml']
alerting: {alertmanagers: [{static_configs: [{targets: ['127.0.0.1:$am_port']}]}]}
scrape_configs:
- job_name: app
  static_configs:
  - {targets: ['127.0.0.1:$app_port'], labels: {role: canary, rollout: web, namespace: default}}
- job_name: vane-controller
  static_configs:
  - {targets: ['127.0.0.1:$metrics_port']}
EOF
cat >"$tmp/rules.yml" <<'EOF'
groups:
- name: canary
  rules:
  - alert: CanaryHighErrorRate
    expr: |
      sum by (namespace, rollout) (rate(http_requests_total{role="canary",code="500"}[5s]))
        / sum by (namespace, rollout) (rate(http_requests_total{role="canary"}[5s])) > 0.1
    labels: {severity: critical}
    annotations: {summary: "5xx ratio above 10% on the {{ $labels.rollout }} canary"}
EOF
bg prometheus prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/prom" \
  --web.listen-address="127.0.0.1:$prom_port" --rules.alert.resend-delay=1s
wait_until 30 "prometheus ready" curl -sf "http://127.0.0.1:$prom_port/-/ready" || exit 1

# A basic canary with canary and stable Services: v1 becomes Healthy, v2 pauses at 25%.
rollout() {
  cat <<YAML
apiVersion: v1
kind: Service
metadata: {name: web-canary, namespace: default}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-stable, namespace: default}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web, namespace: default}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "vane/test-app:$1"}]}
  strategy:
    canary:
      canaryService: web-canary
      stableService: web-stable
      steps: [{setWeight: 25}, {pause: {}}]
YAML
}
rollout v1 >"$tmp/v1.yaml" && rollout v2 >"$tmp/v2.yaml"
k apply -f "$tmp/v1.yaml" >/dev/null || { echo "FAIL: applying v1"; exit 1; }
wait_until 60 "v1 Healthy" ro_is '{.status.phase}' Healthy || exit 1
stable=$(ro '{.status.stableRS}')
k apply -f "$tmp/v2.yaml" >/dev/null || { echo "FAIL: applying v2"; exit 1; }
wait_until 60 "v2 paused at step 1" ro_is '{.status.phase}/{.status.currentStepIndex}' Paused/1 \
  || exit 1
canary=$(ro '{.status.currentPodHash}')
[ -n "$stable" ] && [ "$canary" != "$stable" ] && pass "mid-update: stable $stable, canary $canary" \
  || fail "mid-update hashes: stable '$stable' canary '$canary'"
svc_hash() { k get svc "$1" -n default -o 'jsonpath={.spec.selector.rollouts-pod-template-hash}'; }
[ "$(svc_hash web-canary)" = "$canary" ] && pass "canary Service on the canary before the alert" \
  || fail "canary Service selects '$(svc_hash web-canary)', want $canary"
[ "$(ro '{.status.abort}')" != true ] || fail "aborted before the alert"

# A request without the token is refused and changes nothing.
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  --data '{"version":"4","status":"firing","alerts":[]}' "$hook_url")
[ "$code" = 401 ] && pass "hook without token: 401" || fail "hook without token: got $code"

# The canary starts failing half its requests: rule, Alertmanager, hook, abort.
wait_until 30 "prometheus scrapes the canary" has_result 'up{role="canary"}' || exit 1
curl -sf -X POST --data 0.5 "http://127.0.0.1:$app_port/error-rate" >/dev/null \
  || fail "setting the error rate"
wait_until 90 "status.abort set by the alert" ro_is '{.status.abort}' true || exit 1
wait_until 30 "phase Degraded" ro_is '{.status.phase}' Degraded
reason=$(ro '{.status.conditions[?(@.type=="Progressing")].reason}')
[ "$reason" = RolloutAborted ] && pass "Progressing reason RolloutAborted" \
  || fail "Progressing reason '$reason'"
message=$(ro '{.status.message}')
grep -q 'CanaryHighErrorRate' <<<"$message" && grep -q '5xx ratio above 10% on the web canary' \
  <<<"$message" && pass "abort message names the alert: $message" \
  || fail "abort message does not name the alert and its summary: '$message'"
rs_state() {  # rs_state HASH: "spec.replicas/availableReplicas" of that ReplicaSet
  k get rs -n default -l "rollouts-pod-template-hash=$1" \
    -o 'jsonpath={.items[0].spec.replicas}/{.items[0].status.availableReplicas}'
}
rs_is() { [ "$(rs_state "$1")" = "$2" ]; }
canary_gone() { [ "$(rs_state "$canary" | cut -d/ -f1)" = 0 ]; }
wait_until 30 "stable ReplicaSet back at 4/4" rs_is "$stable" 4/4
wait_until 30 "canary ReplicaSet scaled to 0" canary_gone
[ "$(svc_hash web-canary)" = "$stable" ] && pass "canary Service back on stable" \
  || fail "canary Service selects '$(svc_hash web-canary)', want $stable"
[ "$(svc_hash web-stable)" = "$stable" ] && pass "stable Service on stable" \
  || fail "stable Service selects '$(svc_hash web-stable)', want $stable"

# The controller's own metrics: the hook's 200, the abort latency; and through Prometheus the
# Rollout's phase.
metrics_match() {
  local out; out=$(curl -sf "http://127.0.0.1:$metrics_port/metrics") && grep -Eq "$1" <<<"$out"
}
wait_until 10 "hook requests counted with code 200" \
  metrics_match '^vane_alert_hook_requests_total\{code="200"\} [1-9]'
metrics_match '^vane_alert_hook_requests_total\{code="401"\} 1$' \
  && pass "the refused request counted as 401" || fail "401 not counted once: \
$(curl -sf "http://127.0.0.1:$metrics_port/metrics" | grep vane_alert_hook_requests_total)"
wait_until 20 "vane_abort_latency_seconds observed once" \
  metrics_match '^vane_abort_latency_seconds_count 1$'
wait_until 30 "prometheus: rollout_phase{phase=\"Degraded\"} is 1" \
  has_result 'rollout_phase{job="vane-controller",namespace="default",name="web",phase="Degraded"}'
wait_until 10 "prometheus: rollout_info carries the phase" \
  has_result 'rollout_info{job="vane-controller",name="web",phase="Degraded",strategy="canary"}'

[ $fails -eq 0 ] && echo "alert abort e2e passed" || echo "alert abort e2e: $fails failure(s)"
exit $((fails > 0))
