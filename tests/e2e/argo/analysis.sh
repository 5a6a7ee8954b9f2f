#!/usr/bin/env bash
# Argo Rollouts' analysis e2e scenarios (test/e2e/analysis_test.go, 9f8d111) against
# vane-apiserver --simulate-workloads and vane-controller, driven with real kubectl and kubectl
# vane. Argo's Job templates run unchanged (the simulator honours `sh -c "sleep N && exit K"`,
# backoffLimit, activeDeadlineSeconds and unpullable images); the web template queries this
# server's /version instead of https://kubernetes.default.svc/version. Delays shortened
# (initialDelay 10s -> 2s, sleep 5 -> 1, activeDeadlineSeconds 10 -> 2).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"
e2e_tmp argo-analysis
argo_start
server_url=$("$kubectl_bin" config view --minify -o jsonpath='{.clusters[0].cluster.server}')

# Argo's suite-wide templates (test/e2e/functional/analysistemplate-*.yaml), per namespace.
templates() {
  sed "s|URL|$server_url/version|" <<'YAML' | apply
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: web-background}
spec:
  args:
  - {name: url-val, value: "URL"}
  metrics:
  - name: web
    interval: 2s
    successCondition: result.major == '1'
    provider:
      web: {url: "{{args.url-val}}", insecure: true}
---
kind: AnalysisTemplate
apiVersion: argoproj.io/v1alpha1
metadata: {name: sleep-job}
spec:
  args:
  - {name: duration, value: "0"}
  - {name: exit-code, value: "0"}
  - {name: count, value: "1"}
  metrics:
  - name: sleep-job
    count: "{{args.count}}"
    provider:
      job:
        spec:
          template:
            spec:
              containers:
              - name: sleep-job
                image: nginx:1.19-alpine
                command: [sh, -c, -x]
                args: ["sleep {{args.duration}} && exit {{args.exit-code}}"]
              restartPolicy: Never
          backoffLimit: 0
---
kind: AnalysisTemplate
apiVersion: argoproj.io/v1alpha1
metadata: {name: multiple-job}
spec:
  args:
  - {name: duration, value: 0s}
  - {name: exit-code, value: "0"}
  metrics:
  - name: sleep-job
    initialDelay: 2s
    count: 1
    provider:
      job:
        spec:
          template:
            spec:
              containers:
              - {name: sleep-job, image: nginx:1.19-alpine, command: [sh, -c, -x], args: ["sleep {{args.duration}} && exit {{args.exit-code}}"]}
              restartPolicy: Never
          backoffLimit: 0
  - name: sleep-job-rep
    count: 1
    provider:
      job:
        spec:
          template:
            spec:
              containers:
              - {name: sleep-job, image: nginx:1.19-alpine, command: [sh, -c, -x], args: ["sleep {{args.duration}} && exit {{args.exit-code}}"]}
              restartPolicy: Never
          backoffLimit: 0
---
kind: AnalysisTemplate
apiVersion: argoproj.io/v1alpha1
metadata: {name: multiple-job-fail}
spec:
  args:
  - {name: duration, value: 0s}
  - {name: exit-code, value: "0"}
  metrics:
  - name: sleep-job
    initialDelay: 10000s
    count: 1
    provider:
      job:
        spec:
          template:
            spec:
              containers:
              - {name: sleep-job, image: nginx:1.19-alpine, command: [sh, -c, -x], args: ["sleep {{args.duration}} && exit {{args.exit-code}}"]}
              restartPolicy: Never
          backoffLimit: 0
  - name: sleep-job-rep
    count: 2
    interval: 1s
    failureLimit: 1
    provider:
      job:
        spec:
          template:
            spec:
              containers:
              - {name: sleep-job, image: nginx:1.19-alpine, command: [sh, -c, -x], args: ["sleep {{args.duration}} && exit 1"]}
              restartPolicy: Never
          backoffLimit: 0
---
kind: AnalysisTemplate
apiVersion: argoproj.io/v1alpha1
metadata: {name: invalid-image-job}
spec:
  metrics:
  - name: invalid-image-job-metric
    count: 1
    provider:
      job:
        spec:
          template:
            spec:
              containers:
              - {name: invalid-image-job, image: "nonexistent-image-that-does-not-exist:latest", command: [sh, -c], args: ["echo 'This should never run'"]}
              restartPolicy: Never
          backoffLimit: 0
---
kind: AnalysisTemplate
apiVersion: argoproj.io/v1alpha1
metadata: {name: long-running-job-deadline}
spec:
  metrics:
  - name: long-running-job-deadline-metric
    count: 1
    provider:
      job:
        spec:
          activeDeadlineSeconds: 2
          template:
            spec:
              containers:
              - {name: long-running-job, image: nginx:1.19-alpine, command: [sh, -c], args: ["sleep 6000"]}
              restartPolicy: Never
          backoffLimit: 0
YAML
}
runs() { kn get analysisrun -o name | wc -l; }
run_phases() { kn get analysisrun -o jsonpath='{.items[*].status.phase}'; }
run_phase_is() { [ "$(run_phases)" = "$1" ]; }
# A run's phase by its rollout-type label: Background or Step (Argo's Background/Inline runs).
typed_phase() { kn get analysisrun -l "rollout-type=$1" -o jsonpath='{.items[-1:].status.phase}'; }
typed_phase_is() { [ "$(typed_phase "$1")" = "$2" ]; }

TestCanaryBackgroundAnalysis() {
  templates
  canary rollout-background-analysis 1 '    canary:
      analysis:
        templates: [{templateName: web-background}]
      steps:
      - setWeight: 10
      - pause: {}' | apply
  wait_phase rollout-background-analysis Healthy
  expect_eq "no run yet" "$(runs)" 0
  update_image rollout-background-analysis nginx:1.20-alpine
  wait_phase rollout-background-analysis Paused
  expect_eq "one run" "$(runs)" 1
  expect_eq "background run" "$(typed_phase Background)" Running
  plugin promote rollout-background-analysis
  wait_phase rollout-background-analysis Healthy
  wait_for 20 "background run Successful" typed_phase_is Background Successful
}

TestCanaryInlineAnalysis() {
  templates
  canary rollout-inline-analysis 1 '    canary:
      steps:
      - setWeight: 10
      - analysis: {templates: [{templateName: sleep-job}]}
      - pause: {}
      - analysis: {templates: [{templateName: sleep-job}]}
      - analysis: {templates: [{templateName: sleep-job}]}' | apply
  wait_phase rollout-inline-analysis Healthy
  expect_eq "no run yet" "$(runs)" 0
  update_image rollout-inline-analysis nginx:1.20-alpine
  wait_phase rollout-inline-analysis Paused
  expect_eq "one run" "$(runs)" 1
  wait_for 20 "inline run Successful" typed_phase_is Step Successful
  plugin promote rollout-inline-analysis
  wait_phase rollout-inline-analysis Healthy
  expect_eq "three runs" "$(runs)" 3
}

TestCanaryInlineMultipleAnalysis() {
  templates
  canary rollout-inline-multiple-analysis 1 '    canary:
      steps:
      - setWeight: 10
      - pause: {}
      - analysis: {templates: [{templateName: multiple-job}]}' | apply
  wait_phase rollout-inline-multiple-analysis Healthy
  update_image rollout-inline-multiple-analysis nginx:1.20-alpine
  wait_phase rollout-inline-multiple-analysis Paused
  plugin promote rollout-inline-multiple-analysis
  wait_for 10 "inline run Running (initialDelay)" typed_phase_is Step Running
  expect_eq "one run" "$(runs)" 1
  wait_for 20 "inline run Successful" typed_phase_is Step Successful
  wait_phase rollout-inline-multiple-analysis Healthy
  expect_eq "one run" "$(runs)" 1
}

TestCanaryFailInlineMultipleAnalysis() {
  templates
  canary rollout-degraded-inline-multiple-analysis 1 '    canary:
      steps:
      - setWeight: 10
      - pause: {}
      - analysis: {templates: [{templateName: multiple-job-fail}]}' | apply
  wait_phase rollout-degraded-inline-multiple-analysis Healthy
  update_image rollout-degraded-inline-multiple-analysis nginx:1.20-alpine
  wait_phase rollout-degraded-inline-multiple-analysis Paused
  plugin promote rollout-degraded-inline-multiple-analysis
  sleep 1
  expect_eq "phase" "$(jp ro/rollout-degraded-inline-multiple-analysis .status.phase)" Progressing
  wait_for 20 "inline run Failed" typed_phase_is Step Failed
  wait_phase rollout-degraded-inline-multiple-analysis Degraded
}

TestBlueGreenPrePromotionFail() {
  templates
  { service pre-promotion-fail-active pre-promotion-fail; echo ---
    service pre-promotion-fail-preview pre-promotion-fail; } | apply
  canary pre-promotion-fail 2 '    blueGreen:
      abortScaleDownDelaySeconds: 0
      activeService: pre-promotion-fail-active
      previewService: pre-promotion-fail-preview
      previewReplicaCount: 1
      prePromotionAnalysis:
        templates: [{templateName: sleep-job}]
        args: [{name: exit-code, value: "1"}, {name: duration, value: "1"}]' | apply
  wait_phase pre-promotion-fail Healthy
  expect_eq "no run yet" "$(runs)" 0
  update_image pre-promotion-fail nginx:1.20-alpine
  wait_phase pre-promotion-fail Degraded
  expect_eq "one run" "$(runs)" 1
  local h1 h2
  h1=$(rs_of pre-promotion-fail 1 | sed 's/.*-//'); h2=$(rs_of pre-promotion-fail 2 | sed 's/.*-//')
  expect_eq "stable" "$(jp ro/pre-promotion-fail .status.stableRS)" "$h1"
  expect_eq "active" "$(jp svc/pre-promotion-fail-active .spec.selector.rollouts-pod-template-hash)" "$h1"
  expect_eq "preview" "$(jp svc/pre-promotion-fail-preview .spec.selector.rollouts-pod-template-hash)" "$h2"
  kn patch ro pre-promotion-fail --type merge -p '{"spec":{"strategy":{"blueGreen":{"prePromotionAnalysis":{"templates":[{"templateName":"sleep-job"}],"args":[{"name":"exit-code","value":"0"},{"name":"duration","value":"1"}]}}}}}' >/dev/null
  plugin retry rollout pre-promotion-fail
  wait_phase pre-promotion-fail Healthy
  expect_eq "two runs" "$(runs)" 2
  expect_eq "stable" "$(jp ro/pre-promotion-fail .status.stableRS)" "$h2"
  expect_eq "active" "$(jp svc/pre-promotion-fail-active .spec.selector.rollouts-pod-template-hash)" "$h2"
  expect_eq "preview" "$(jp svc/pre-promotion-fail-preview .spec.selector.rollouts-pod-template-hash)" "$h2"
}

TestCanaryInlineAnalysisLongRunningJobWithDeadline() {
  templates
  canary rollout-inline-long-running-job-deadline 1 '    canary:
      steps:
      - setWeight: 10
      - analysis: {templates: [{templateName: long-running-job-deadline}]}' | apply
  wait_phase rollout-inline-long-running-job-deadline Healthy
  update_image rollout-inline-long-running-job-deadline nginx:1.20-alpine
  wait_phase rollout-inline-long-running-job-deadline Degraded
  expect_eq "one run" "$(runs)" 1
  wait_for 10 "inline run Failed" typed_phase_is Step Failed
  expect_eq "measurement" "$(kn get analysisrun -o jsonpath='{.items[0].status.metricResults[0].measurements[-1:].phase}')" Failed
}

TestCanaryInlineAnalysisInvalidImageJob() {
  templates
  canary rollout-inline-invalid-image-job 1 '    canary:
      steps:
      - setWeight: 10
      - analysis: {templates: [{templateName: invalid-image-job}]}
      - pause: {}' | apply
  wait_phase rollout-inline-invalid-image-job Healthy
  update_image rollout-inline-invalid-image-job nginx:1.20-alpine
  wait_phase rollout-inline-invalid-image-job Paused
  expect_eq "pause reason" "$(jp ro/rollout-inline-invalid-image-job '.status.pauseConditions[0].reason')" InconclusiveAnalysisRun
  wait_for 10 "inline run Inconclusive" typed_phase_is Step Inconclusive
}

skip_scenario TestCanaryInconclusiveBackgroundAnalysis "pending h/analysis: Inconclusive pauses the rollout"
skip_scenario TestCanaryInlineAnalysisInvalidImageJob "pending h/analysis: ErrImagePull Job measurements"
skip_scenario TestCanaryBackgroundAnalysisInvalidImageJob "pending h/analysis: ErrImagePull Job measurements"
skip_scenario TestCanaryBackgroundAnalysisLongRunningJob "pending h/analysis: a terminated Job measurement is Inconclusive"
skip_scenario TestCanaryBackgroundAnalysisLongRunningJobWithDeadline "pending h/analysis: Job deadline stays Failed"
run_scenarios TestCanaryBackgroundAnalysis TestCanaryInlineAnalysis TestCanaryInlineMultipleAnalysis \
  TestCanaryFailInlineMultipleAnalysis TestBlueGreenPrePromotionFail \
  TestCanaryInlineAnalysisLongRunningJobWithDeadline ${ARGO_PENDING:-}
echo "argo analysis scenarios: $fails failure(s)"
[ $fails -eq 0 ]
