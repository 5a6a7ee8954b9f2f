#!/usr/bin/env bash
# bench/analysis_abort_latency.sh [RUNS] [BIN_DIR]: how fast a Prometheus error-rate breach takes
# the canary's traffic away. Starts vane-apiserver --simulate-workloads, Prometheus scraping two
# vane-test-app instances (stable and canary), vane-loadgen sending traffic the way the
# VirtualService splits it, and vane-controller; then, RUNS times (default 3): deploys a new
# canary revision (setWeight 20, background analysis of the demo's error-rate template, interval
# 5s, failureLimit 0), waits for a passing measurement, raises the canary's error rate to 0.5 and
# polls every 50 ms:
#   T_breach  first moment the template's own query, asked of Prometheus, is >= 0.05
#   T_zero    first moment the VirtualService's canary weight reads 0
# and prints T_zero - T_breach per run. Every process it starts is stopped by PID on exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
bin=${2:-${VANE_BIN_DIR:-$root/build/bin}}
KUBECTL=$(command -v kubectl.1.32 || echo kubectl)
for b in vane-apiserver vane-controller vane-test-app vane-loadgen; do
  [ -x "$bin/$b" ] || { echo "$bin/$b not built" >&2; exit 1; }
done

work=$(mktemp -d /tmp/vane-abort-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
start() { local log=$work/$1.log; shift; "$@" >"$log" 2>&1 & pids+=($!); }
k() { "$KUBECTL" --kubeconfig "$work/kubeconfig" "$@"; }
waitfor() {  # waitfor SECONDS DESCRIPTION COMMAND...
  local deadline=$((SECONDS + $1)) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "timed out waiting for $what" >&2
      k get rollout bench -o yaml 2>&1 | tail -30 >&2 || true
      k get analysisruns -o yaml 2>&1 | grep -E '^    name:|phase|message|successful|error' >&2 || true
      tail -20 "$work/controller.log" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
}
now_ms() { date +%s%3N; }

api_port=$(freeport)
start apiserver "$bin/vane-apiserver" --listen "127.0.0.1:$api_port" --data-dir "$work/data" \
  --kubeconfig-out "$work/kubeconfig" --simulate-workloads --pod-ready-delay 1s
waitfor 30 "the API server" k get --raw /readyz
stable_port=$(freeport) canary_port=$(freeport) prom_port=$(freeport)
start app-stable "$bin/vane-test-app" --listen "127.0.0.1:$stable_port" --version v1
start app-canary "$bin/vane-test-app" --listen "127.0.0.1:$canary_port" --version v2
mkdir -p "$work/prom"
cat >"$work/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
- job_name: bench
  static_configs:
  - {targets: ['127.0.0.1:$stable_port'], labels: {role: stable}}
  - {targets: ['127.0.0.1:$canary_port'], labels: {role: canary}}
EOF
start prometheus prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prom" \
  --web.listen-address="127.0.0.1:$prom_port"
k apply -k "$root/crds/" >/dev/null
k apply -f "$root/examples/istio/" >/dev/null
waitfor 30 "the CRDs" k get rollouts,virtualservices
start controller "$bin/vane-controller" --kubeconfig "$work/kubeconfig" \
  --metrics-addr "127.0.0.1:$(freeport)" --health-addr "127.0.0.1:$(freeport)"
start loadgen "$bin/vane-loadgen" --kubeconfig "$work/kubeconfig" --namespace default \
  --virtualservice bench-vsvc --route primary --canary-host bench-canary --stable-host bench-stable \
  --stable-url "http://127.0.0.1:$stable_port" --canary-url "http://127.0.0.1:$canary_port" \
  --rps 40 --duration 900

query='(sum(rate(http_requests_total{role="canary",code=~"5.."}[10s])) or vector(0)) / (sum(rate(http_requests_total{role="canary"}[10s])) > 0)'
manifests() {  # manifests IMAGE
  cat <<EOF
apiVersion: v1
kind: Service
metadata: {name: bench-stable}
spec: {ports: [{name: http, port: 80}], selector: {app: bench}}
---
apiVersion: v1
kind: Service
metadata: {name: bench-canary}
spec: {ports: [{name: http, port: 80}], selector: {app: bench}}
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: bench-vsvc}
spec:
  hosts: [bench.example.com]
  http:
  - name: primary
    route:
    - {destination: {host: bench-stable}, weight: 100}
    - {destination: {host: bench-canary}, weight: 0}
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: error-rate}
spec:
  metrics:
  - name: error-rate
    interval: 5s
    failureLimit: 0
    successCondition: result[0] < 0.05
    provider:
      prometheus:
        address: http://127.0.0.1:$prom_port
        query: '$query'
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: bench}
spec:
  replicas: 5
  selector: {matchLabels: {app: bench}}
  template:
    metadata: {labels: {app: bench}}
    spec: {containers: [{name: app, image: "$1"}]}
  strategy:
    canary:
      canaryService: bench-canary
      stableService: bench-stable
      abortScaleDownDelaySeconds: 0
      analysis:
        startingStep: 1
        templates: [{templateName: error-rate}]
      trafficRouting:
        istio: {virtualService: {name: bench-vsvc, routes: [primary]}}
      steps:
      - setWeight: 20
      - pause: {}
EOF
}
phase() { k get rollout bench -o jsonpath='{.status.phase}' 2>/dev/null; }
weight() {  # straight from the API server: kubectl's start-up would blur the figure
  curl -sf "http://127.0.0.1:$api_port/apis/networking.istio.io/v1beta1/namespaces/default/virtualservices/bench-vsvc" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["spec"]["http"][0]["route"][1]["weight"])'
}
breached() {
  curl -sf "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=($query) >= 0.05" |
    python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["data"]["result"] else 1)'
}
bg_passing() {  # a background run of the current revision with a successful measurement
  local hash; hash=$(k get rollout bench -o jsonpath='{.status.currentPodHash}')
  k get analysisruns -l "rollouts-pod-template-hash=$hash" -o json |
    python3 -c 'import json,sys; sys.exit(0 if any(r.get("status",{}).get("phase")=="Running" and r["status"]["metricResults"][0].get("successful",0)>=1 for r in json.load(sys.stdin)["items"]) else 1)'
}
not_breached() { ! breached; }
rate() { curl -sf -X POST --data "$1" "http://127.0.0.1:$canary_port/error-rate" >/dev/null; }

manifests app:1 | k apply -f - >/dev/null
waitfor 60 "v1 Healthy" bash -c "[ \"\$($KUBECTL --kubeconfig $work/kubeconfig get rollout bench -o jsonpath='{.status.phase}')\" = Healthy ]"
results=()
for run in $(seq 1 "$runs"); do
  rate 0
  waitfor 60 "the previous run's errors to leave the rate window" not_breached
  manifests "app:$((run + 1))" | k apply -f - >/dev/null
  waitfor 60 "weight 20 (run $run)" bash -c "[ \"\$($KUBECTL --kubeconfig $work/kubeconfig get virtualservice bench-vsvc -o jsonpath='{.spec.http[0].route[1].weight}')\" = 20 ]"
  waitfor 90 "a passing measurement (run $run)" bg_passing
  sleep 11  # the 10 s rate window holds only error-free canary traffic
  rate 0.5
  t_breach="" t_zero=""
  deadline=$((SECONDS + 120))
  while [ $SECONDS -lt $deadline ] && { [ -z "$t_breach" ] || [ -z "$t_zero" ]; }; do
    [ -z "$t_breach" ] && breached && t_breach=$(now_ms)
    [ -z "$t_zero" ] && [ "$(weight)" = 0 ] && t_zero=$(now_ms)
    sleep 0.05
  done
  [ -n "$t_breach" ] && [ -n "$t_zero" ] || { echo "run $run: no abort seen" >&2; exit 1; }
  echo "run $run: breach visible -> canary weight 0: $((t_zero - t_breach)) ms ($(phase))"
  results+=($((t_zero - t_breach)))
done
printf 'runs (ms): %s\n' "${results[*]}"
