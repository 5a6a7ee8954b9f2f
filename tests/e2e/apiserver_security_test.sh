#!/usr/bin/env bash
# Given vane-apiserver started with --tls and --token-file,
# when clients call it with and without the token,
# then HTTPS works with the CA from the written kubeconfig, requests without the token get 401,
# and a restart keeps the same self-signed certificate.
set -eu
BIN=${VANE_BIN_DIR:?VANE_BIN_DIR}
KUBECTL=$(command -v kubectl.1.32 || echo /usr/lib/google-cloud-sdk/bin/kubectl.1.32)
DIR=$(mktemp -d /tmp/vane-sec.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
echo "s3cret-token" > "$DIR/token"
PID=
start() {
  rm -f "$DIR/kubeconfig"
  "$BIN/vane-apiserver" --listen "127.0.0.1:$PORT" --data-dir "$DIR/data" --tls \
    --token-file "$DIR/token" --kubeconfig-out "$DIR/kubeconfig" >>"$DIR/apiserver.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do
    [ -f "$DIR/kubeconfig" ] && break
    kill -0 "$PID" || { cat "$DIR/apiserver.log"; exit 1; }
    sleep 0.1
  done
}
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$DIR/apiserver.log"; exit 1; }

start
CA="$DIR/data/tls.crt"
URL="https://127.0.0.1:$PORT"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" "$URL/api/v1/namespaces")
[ "$code" = 401 ] || fail "no token: got $code, want 401"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H "Authorization: Bearer wrong" "$URL/version")
[ "$code" = 401 ] || fail "wrong token: got $code, want 401"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -H "Authorization: Bearer s3cret-token" "$URL/version")
[ "$code" = 200 ] || fail "good token: got $code, want 200"
grep -q 'certificate-authority-data' "$DIR/kubeconfig" || fail "kubeconfig lacks CA data"
out=$("$KUBECTL" --kubeconfig "$DIR/kubeconfig" --cache-dir "$DIR/cache" get ns default 2>&1) || fail "kubectl: $out"
echo "$out" | grep -Eq '^default +Active' || fail "kubectl output: $out"
before=$(sha256sum "$CA")
kill "$PID"; wait "$PID" || true
start
[ "$(sha256sum "$CA")" = "$before" ] || fail "certificate regenerated on restart"
"$KUBECTL" --kubeconfig "$DIR/kubeconfig" --cache-dir "$DIR/cache" get ns default >/dev/null 2>&1 || fail "kubectl after restart"
echo "security checks passed"
