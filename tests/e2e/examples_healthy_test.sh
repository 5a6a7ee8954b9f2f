#!/usr/bin/env bash
# Given vane-apiserver --simulate-workloads and the vane-controller binary, when every example
# Rollout that needs no mesh or Prometheus (canary with steps, rolling update, Job analysis step,
# blue-green) is applied with real kubectl, then each reaches Healthy; after `kubectl vane set
# image` each goes through its update (promoted with `kubectl vane promote` when it pauses
# indefinitely) to Healthy on the new version, as Argo's controller would take it.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
e2e_tmp examples
use_plugin
start_apiserver --simulate-workloads
export KUBECONFIG="$tmp/kubeconfig"
k() { "$kubectl_bin" "$@"; }  # the plugin reads KUBECONFIG: no flags before its name
k apply -k "$src/crds" >/dev/null && k wait --for=condition=Established crd/rollouts.argoproj.io \
  --timeout=30s >/dev/null || { echo "FAIL: CRDs"; exit 1; }
start_controller

examples="rollout-canary-basic.yaml:canary-basic rollout-rolling-update.yaml:rolling-update
rollout-analysis-step.yaml:analysis-step rollout-bluegreen.yaml:bluegreen"
names=""
for e in $examples; do
  k apply -f "$src/examples/${e%%:*}" >/dev/null || fail "apply ${e%%:*}"
  names="$names ${e##*:}"
done
state() { k get ro "$1" -o jsonpath='{.status.phase}|{.status.stableRS}|{.status.currentPodHash}'; }
healthy_on_current() {  # Healthy, with the current template's ReplicaSet stable
  local s; s=$(state "$1")
  IFS='|' read -r phase stable current <<<"$s"
  [ "$phase" = Healthy ] && [ -n "$current" ] && [ "$stable" = "$current" ]
}
# drive SECONDS: until every Rollout is Healthy on its current template, promoting indefinite
# pauses as a release manager would.
drive() {
  local deadline=$((SECONDS + $1)) left
  while :; do
    left=""
    for n in $names; do
      healthy_on_current "$n" && continue
      left="$left $n"
      case "$(k get ro "$n" -o jsonpath='{.status.phase}|{.status.message}')" in
        'Paused|BlueGreenPause') k vane promote "$n" >/dev/null ;;
        'Paused|CanaryPauseStep') indefinite "$n" && k vane promote "$n" >/dev/null ;;
      esac
    done
    [ -z "$left" ] && return 0
    if [ $SECONDS -ge $deadline ]; then
      for n in $left; do fail "$n not Healthy: $(k get ro "$n" -o jsonpath='{.status.phase} {.status.message}')"; done
      return 1
    fi
    sleep 0.5
  done
}
# indefinite NAME: the current canary step is a pause without duration.
indefinite() {
  local i; i=$(k get ro "$1" -o jsonpath='{.status.currentStepIndex}')
  [ -n "$i" ] && [ -z "$(k get ro "$1" -o jsonpath="{.spec.strategy.canary.steps[$i].pause.duration}")" ]
}

drive 60 && pass "every example reaches Healthy on its first version"
declare -A first
for n in $names; do first[$n]=$(k get ro "$n" -o jsonpath='{.status.stableRS}'); done
for n in $names; do
  expect "set image $n" 'image updated' k vane set image "$n" 'app=argoproj/rollouts-demo:yellow'
done
drive 150 && pass "every example goes through its update to Healthy on the new version"
for n in $names; do
  s=$(k get ro "$n" -o jsonpath='{.status.stableRS}')
  [ -n "$s" ] && [ "$s" != "${first[$n]}" ] && pass "$n: the new version is stable" ||
    fail "$n: stable '$s' (was '${first[$n]}')"
  img=$(k get rs "$n-$s" -o jsonpath='{.spec.template.spec.containers[0].image}')
  [ "$img" = argoproj/rollouts-demo:yellow ] && pass "$n: stable ReplicaSet runs the new image" ||
    fail "$n: stable ReplicaSet image '$img'"
done
expect "the analysis step ran a Job metric to success" 'Successful' \
  k get analysisrun -l rollout-type=Step -o jsonpath='{.items[*].status.phase}'

echo "examples e2e: $fails failure(s)"
[ $fails -eq 0 ]
