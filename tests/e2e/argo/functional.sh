#!/usr/bin/env bash
# Argo Rollouts' test/e2e/functional_test.go (9f8d111) scenarios against vane-apiserver
# --simulate-workloads and the vane-controller binary, driven with real kubectl and kubectl vane.
# Argo's crashing containers (`command: [/bad-command]`) are pods that never turn Ready here
# (template annotation vane.dev/simulate: never-ready); progress deadlines are 3 s instead of 10 s.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"
e2e_tmp argo-functional
argo_start

bad='vane.dev/simulate: never-ready'

TestRolloutAbortRetryPromote() {
  canary abort-retry-promote 1 '    canary:
      steps:
      - setWeight: 50
      - pause: {duration: 20s}' | apply
  wait_phase abort-retry-promote Healthy
  update_image abort-retry-promote nginx:1.20-alpine
  wait_phase abort-retry-promote Paused
  expect_pods abort-retry-promote 1 1
  expect_pods abort-retry-promote 2 1
  plugin abort abort-retry-promote
  wait_phase abort-retry-promote Degraded
  plugin retry rollout abort-retry-promote
  wait_phase abort-retry-promote Paused
  expect_pods abort-retry-promote 1 1
  expect_pods abort-retry-promote 2 1
  wait_phase abort-retry-promote Healthy  # the 20 s pause (Argo: 3 s; longer so that the checks above fit inside it) ends by itself
  expect_pods abort-retry-promote 1 0
  expect_pods abort-retry-promote 2 1
}

TestCanaryPromoteFull() {
  apply <<'YAML'
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: sleep-job}
spec:
  args:
  - {name: duration, value: "0"}
  metrics:
  - name: sleep-job
    provider:
      job:
        spec:
          backoffLimit: 0
          template:
            spec:
              restartPolicy: Never
              containers:
              - name: sleep-job
                image: nginx:1.19-alpine
                command: [sh, -c, "sleep {{args.duration}}"]
YAML
  canary canary-promote-full 1 '    canary:
      analysis:
        templates: [{templateName: sleep-job}]
        startingStep: 4
      steps:
      - pause: {duration: 24h}
      - analysis:
          templates: [{templateName: sleep-job}]
          args: [{name: duration, value: "86400"}]
      - pause: {}
      - analysis:
          templates: [{templateName: sleep-job}]' | apply
  wait_phase canary-promote-full Healthy
  update_image canary-promote-full nginx:1.20-alpine
  wait_phase canary-promote-full Paused
  plugin promote canary-promote-full
  wait_for 20 "step analysis Running" bash -c "[ \"\$($kubectl_bin -n $ns get analysisrun -o jsonpath='{.items[*].status.phase}')\" = Running ]"
  expect_eq "phase at the analysis step" "$(jp ro/canary-promote-full .status.phase)" Progressing
  expect_eq "currentStepIndex" "$(jp ro/canary-promote-full .status.currentStepIndex)" 1
  plugin promote canary-promote-full
  wait_phase canary-promote-full Paused
  plugin abort canary-promote-full
  sleep 1
  plugin promote canary-promote-full --full
  wait_phase canary-promote-full Healthy
  expect_eq "analysis runs (no new one)" "$(kn get analysisrun -o name | wc -l)" 1
}

TestRolloutGoodToBadUpdate() {
  canary good2bad 4 '    canary: {maxSurge: 1, maxUnavailable: 0}' | apply
  wait_phase good2bad Healthy
  kn patch ro good2bad --type merge -p "{\"spec\":{\"progressDeadlineSeconds\":3,\"template\":{\"metadata\":{\"annotations\":{\"vane.dev/simulate\":\"never-ready\"}}}}}" >/dev/null
  wait_phase good2bad Degraded
  expect_pods good2bad 1 4
  expect_replicas good2bad 2 1
  kn patch ro good2bad --type merge -p '{"spec":{"template":{"metadata":{"annotations":{"bad":"2"}}}}}' >/dev/null
  wait_phase good2bad Progressing 10
  wait_phase good2bad Degraded
  expect_pods good2bad 1 4
  expect_replicas good2bad 2 0
  expect_replicas good2bad 3 1
}

TestRolloutBadToGoodUpdate() {
  canary bad2good 4 '    canary: {maxSurge: 1, maxUnavailable: 0}' "$bad" '  progressDeadlineSeconds: 3' | apply
  wait_phase bad2good Degraded
  kn patch ro bad2good --type merge -p '{"spec":{"progressDeadlineSeconds":60,"template":{"metadata":{"annotations":{"vane.dev/simulate":null}}}}}' >/dev/null
  wait_phase bad2good Healthy
  expect_pods bad2good 2 4
  expect_pods bad2good 1 0
}

TestRolloutBadToBadUpdate() {
  canary bad2bad 4 '    canary: {maxSurge: 1, maxUnavailable: 0}' "$bad" '  progressDeadlineSeconds: 3' | apply
  wait_phase bad2bad Degraded
  kn patch ro bad2bad --type merge -p '{"spec":{"template":{"metadata":{"annotations":{"bad":"2"}}}}}' >/dev/null
  wait_phase bad2bad Progressing 10
  wait_phase bad2bad Degraded
  # Argo counts the pods of each revision (Ready or not): revision 1 keeps its 4, revision 2 gets 1.
  expect_replicas bad2bad 1 4
  expect_replicas bad2bad 2 1
}

TestRolloutBadToGoodSetWeightUpdate() {
  canary bad2good-setweight 4 '    canary:
      maxSurge: 1
      maxUnavailable: 0
      steps:
      - setWeight: 50
      - pause: {duration: 2s}' "$bad" '  progressDeadlineSeconds: 3' | apply
  wait_phase bad2good-setweight Degraded
  kn patch ro bad2good-setweight --type merge -p '{"spec":{"template":{"metadata":{"annotations":{"vane.dev/simulate":null}}}}}' >/dev/null
  wait_phase bad2good-setweight Healthy
  expect_pods bad2good-setweight 2 4
  expect_pods bad2good-setweight 1 0
}

TestBlueGreenUpdate() {
  apply <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: bluegreen}
spec:
  selector: {app: bluegreen}
  ports: [{port: 80, targetPort: 8080}]
YAML
  sed 's/^  strategy:$/  revisionHistoryLimit: 2\n  strategy:/' <(canary bluegreen 3 '    blueGreen:
      activeService: bluegreen
      scaleDownDelaySeconds: 30') | apply
  wait_phase bluegreen Healthy
  expect_eq "replica counts" "$(jp ro/bluegreen '.status.replicas},{.status.updatedReplicas},{.status.readyReplicas},{.status.availableReplicas')" 3,3,3,3
  update_image bluegreen nginx:1.20-alpine
  wait_for 30 "active revision 2" svc_on_rev bluegreen bluegreen 2
  wait_phase bluegreen Healthy
  # Both ReplicaSets run during the scale-down delay: 6 pods, 3 updated.
  expect_eq "replica counts" "$(jp ro/bluegreen '.spec.replicas},{.status.replicas},{.status.updatedReplicas},{.status.availableReplicas')" 3,6,3,3
}

TestBlueGreenToCanary() {
  apply <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: bluegreen-to-canary}
spec:
  selector: {app: bluegreen-to-canary}
  ports: [{port: 80, targetPort: 8080}]
YAML
  canary bluegreen-to-canary 2 '    blueGreen:
      activeService: bluegreen-to-canary
      scaleDownDelaySeconds: 5' | apply
  wait_phase bluegreen-to-canary Healthy
  kn patch ro bluegreen-to-canary --type merge -p '{"spec":{"template":{"metadata":{"annotations":{"foo":"bar"}}},"strategy":{"blueGreen":null,"canary":{"steps":[{"setWeight":50},{"pause":{}}]}}}}' >/dev/null
  wait_phase bluegreen-to-canary Paused
  wait_for 20 "2 available" is ro/bluegreen-to-canary .status.availableReplicas 2
  expect_eq "replica counts" "$(jp ro/bluegreen-to-canary '.spec.replicas},{.status.replicas},{.status.updatedReplicas},{.status.readyReplicas},{.status.availableReplicas')" 2,2,1,2,2
  expect_eq "service selector hash removed" "$(jp svc/bluegreen-to-canary '.spec.selector.rollouts-pod-template-hash')" ""
}

TestFixInvalidSpec() {
  canary fix-invalid-spec 0 '    canary:
      analysis:
        templates: [{templateName: doesnt-exist-yet}]' | apply
  wait_phase fix-invalid-spec Degraded
  expect_eq "condition" "$(jp ro/fix-invalid-spec '.status.conditions[?(@.type=="InvalidSpec")].status')" True
  apply <<'YAML'
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: doesnt-exist-yet}
spec:
  metrics:
  - name: web
    interval: 5s
    successCondition: result.major == '1'
    provider:
      web: {url: "https://kubernetes.default.svc/version", insecure: true}
YAML
  wait_phase fix-invalid-spec Healthy
}

TestMalformedRollout() {
  # Argo's expectedfailures/malformed-rollout.yaml: `memory: invalid`. The CRD schema admits it
  # (int-or-string); the controller refuses it with InvalidSpec naming the field.
  canary malformed-rollout 1 '    canary: {}' | sed 's/memory: 16Mi/memory: invalid/' | apply
  wait_phase malformed-rollout Degraded
  expect_eq "InvalidSpec" "$(jp ro/malformed-rollout '.status.conditions[?(@.type=="InvalidSpec")].status')" True
  jp ro/malformed-rollout '.status.conditions[?(@.type=="InvalidSpec")].message' | grep -q 'resources.requests.memory' ||
    die "InvalidSpec message names the field: $(jp ro/malformed-rollout '.status.conditions[?(@.type=="InvalidSpec")].message')"
}

TestContainerResourceFormats() {
  apply <<'YAML'
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: container-resource-formats}
spec:
  replicas: 1
  selector: {matchLabels: {app: container-resource-formats}}
  template:
    metadata: {labels: {app: container-resource-formats}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {name: a, image: nginx:1.19-alpine, command: [sleep, infinity], resources: {requests: {cpu: 0.001}}}
      - {name: b, image: nginx:1.19-alpine, command: [sleep, infinity], resources: {requests: {cpu: '0.001'}}}
      - {name: c, image: nginx:1.19-alpine, command: [sleep, infinity], resources: {requests: {cpu: 1m}}}
  strategy:
    canary: {}
YAML
  wait_phase container-resource-formats Healthy
  local cpu; cpu=$(kn get pods -l app=container-resource-formats -o jsonpath='{.items[0].spec.containers[*].resources.requests.cpu}')
  # Argo compares parsed quantities (1m); the pod keeps each container's spelling.
  [[ "$cpu" =~ ^(0.001|1m)\ (0.001|1m)\ 1m$ ]] || die "pod cpu requests: $cpu"
}

TestRolloutPodVolumesItemsSpec() {
  apply <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: rollout-items}
data:
  game.properties: "enemy.types=aliens,monsters\n"
  user-interface.properties: "color.good=purple\n"
YAML
  canary rollout-items 2 '    canary:
      maxUnavailable: 100%
      steps:
      - setWeight: 25
      - pause: {}' | sed 's/^        resources:/        volumeMounts: [{name: rollout-items, mountPath: \/config, readOnly: true}]\n        resources:/' |
    sed '$a\      volumes:\n      - name: rollout-items\n        configMap:\n          name: rollout-items\n          items:\n          - {key: game.properties, path: game.properties}\n          - {key: user-interface.properties, path: user-interface.properties}' | apply
  wait_phase rollout-items Healthy
  expect_eq "volume items kept" "$(kn get pods -l app=rollout-items -o jsonpath='{.items[0].spec.volumes[0].configMap.items[*].path}')" "game.properties user-interface.properties"
}

TestSpecAndReplicaChangeSameTime() {
  canary spec-and-replicas 2 '    canary:
      steps:
      - setWeight: 50
      - pause: {}' | apply
  wait_phase spec-and-replicas Healthy
  kn patch ro spec-and-replicas --type merge -p '{"spec":{"replicas":4,"template":{"spec":{"containers":[{"name":"spec-and-replicas","image":"nginx:1.20-alpine"}]}}}}' >/dev/null
  wait_phase spec-and-replicas Paused
  expect_pods spec-and-replicas 2 2
  expect_pods spec-and-replicas 1 2
  plugin promote spec-and-replicas
  wait_phase spec-and-replicas Healthy
  expect_pods spec-and-replicas 2 4
  expect_pods spec-and-replicas 1 0
}

# Written, not run: Vane does not do this yet (see tests/README.md).
skip_scenario TestRolloutAbortRetryPromote "flaky on a loaded machine: after retry the 20 s pause was once not observed (Healthy at once); to investigate"
skip_scenario TestRolloutBadToGoodSetWeightUpdate "gap: the setWeight step never completes while the stable ReplicaSet has no available pod; Degraded"
skip_scenario TestFixInvalidSpec "gap: a missing background AnalysisTemplate is not InvalidSpec; the Rollout goes Healthy"
skip_scenario TestRolloutGoodToBadUpdate "gap: the unavailable canary ReplicaSet of the previous revision keeps its pod on a newer bad revision (Argo scales it to 0)"
skip_scenario TestMalformedRollout "gap: resource quantities are not validated (memory: invalid is accepted)"
run_scenarios TestCanaryPromoteFull \
  TestRolloutBadToGoodUpdate TestRolloutBadToBadUpdate TestBlueGreenUpdate TestBlueGreenToCanary \
  TestContainerResourceFormats TestRolloutPodVolumesItemsSpec TestSpecAndReplicaChangeSameTime
echo "argo functional scenarios: $fails failure(s)"
[ $fails -eq 0 ]
