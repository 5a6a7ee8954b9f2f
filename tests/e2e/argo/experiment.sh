#!/usr/bin/env bash
# Argo Rollouts' experiment e2e scenarios (test/e2e/experiment_test.go, 9f8d111) against
# vane-apiserver --simulate-workloads and vane-controller with real kubectl; duration 10 s -> 45 s (its checks must fit inside it on a loaded machine),
# scaleDownDelaySeconds 5 s -> 2 s.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"
e2e_tmp argo-experiment
argo_start

# experiment NAME SERVICE-YAML: Argo's experiment-with-service*.yaml.
experiment() {
  cat <<YAML
apiVersion: argoproj.io/v1alpha1
kind: Experiment
metadata: {name: $1}
spec:
  duration: 45s
  scaleDownDelaySeconds: 2
  templates:
  - name: test
    replicas: 1
    service: $2
    selector: {matchLabels: {app: $1}}
    template:
      metadata: {labels: {app: $1}}
      spec:
        containers:
        - name: $1
          image: nginx:1.19-alpine
          resources: {requests: {memory: 16Mi, cpu: 1m}}
          ports: [{protocol: TCP, containerPort: 8080}]
YAML
}
ex_phase_is() { is "experiment/$1" .status.phase "$2"; }
# The template's ReplicaSet (labelled by the template's app label) and its replicas.
tmpl_rs() { kn get rs -l "app=$1" -o jsonpath='{.items[0].metadata.name}'; }
tmpl_replicas() { jp "rs/$(tmpl_rs "$1")" "$2"; }
tmpl_replicas_are() { [ "$(tmpl_replicas "$1" "$2")" = "$3" ]; }

with_service() {  # NAME SERVICE-YAML WANT-SERVICE-NAME
  experiment "$1" "$2" | apply
  wait_for 20 "experiment Running" ex_phase_is "$1" Running
  wait_for 20 "template ReplicaSet has 1 pod" tmpl_replicas_are "$1" .status.replicas 1
  wait_for 10 "one Service" bash -c "[ \$($kubectl_bin -n $ns get svc -o name | wc -l) -eq 1 ]"
  [ -z "$3" ] || expect_eq "Service name" "$(kn get svc -o jsonpath='{.items[0].metadata.name}')" "$3"
  wait_for 20 "experiment Successful" ex_phase_is "$1" Successful
  wait_for 20 "template scaled down after the delay" tmpl_replicas_are "$1" .status.replicas 0
  wait_for 10 "no available pod" bash -c "[ \"\$($kubectl_bin -n $ns get rs $(tmpl_rs "$1") -o jsonpath='{.status.availableReplicas}')\" -eq 0 ] 2>/dev/null || [ -z \"\$($kubectl_bin -n $ns get rs $(tmpl_rs "$1") -o jsonpath='{.status.availableReplicas}')\" ]"
  expect_eq "template replicas" "$(tmpl_replicas "$1" .spec.replicas)" 0
  wait_for 10 "Service removed" bash -c "[ \$($kubectl_bin -n $ns get svc -o name | wc -l) -eq 0 ]"
}
TestExperimentWithServiceAndScaleDownDelay() { with_service experiment-with-service '{}' ""; }
TestExperimentWithServiceNameAndScaleDownDelay() {
  with_service experiment-with-service-name '{name: test-service-name}' test-service-name
}

run_scenarios TestExperimentWithServiceAndScaleDownDelay TestExperimentWithServiceNameAndScaleDownDelay
echo "argo experiment scenarios: $fails failure(s)"
[ $fails -eq 0 ]
