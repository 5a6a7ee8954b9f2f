#!/usr/bin/env bash
# Given a fresh vane-apiserver on a free loopback port,
# when the 98 real-kubectl acceptance checks run against it (kubectl 1.32),
# then all 98 pass.
set -u
BIN=${VANE_BIN_DIR:?VANE_BIN_DIR}
SHARED=${VANE_SHARED_DIR:?VANE_SHARED_DIR}
KUBECTL=$(command -v kubectl.1.32 || echo /usr/lib/google-cloud-sdk/bin/kubectl.1.32)
DIR=$(mktemp -d /tmp/vane-accept.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$BIN/vane-apiserver" --listen "127.0.0.1:$PORT" --data-dir "$DIR/data" \
  --kubeconfig-out "$DIR/kubeconfig" ${VANE_ACCEPT_ARGS:-} >"$DIR/apiserver.log" 2>&1 &
PID=$!
cleanup() { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  [ -f "$DIR/kubeconfig" ] && curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break
  kill -0 "$PID" 2>/dev/null || { cat "$DIR/apiserver.log"; exit 1; }
  sleep 0.1
done
out=$(bash "$SHARED/reference/kube-acceptance/kube-acceptance.sh" "http://127.0.0.1:$PORT" "$KUBECTL" 2>&1)
rc=$?
printf '%s\n' "$out"
summary=$(printf '%s\n' "$out" | tail -1)
[ "$rc" = 0 ] && [ "$summary" = "98 passed, 0 failed" ] || { echo "acceptance failed: $summary"; exit 1; }
