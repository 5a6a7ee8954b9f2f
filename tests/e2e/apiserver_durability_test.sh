#!/usr/bin/env bash
# Given vane-apiserver with a data dir taking a stream of creates,
# when it is killed with SIGKILL mid-stream and restarted on the same data dir,
# then every acknowledged (201) create is there and new resourceVersions are higher.
set -u
BIN=${VANE_BIN_DIR:?VANE_BIN_DIR}
DIR=$(mktemp -d /tmp/vane-dur.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
URL="http://127.0.0.1:$PORT"
PID=; WPID=
start() {
  rm -f "$DIR/kubeconfig"
  "$BIN/vane-apiserver" --listen "127.0.0.1:$PORT" --data-dir "$DIR/data" \
    --kubeconfig-out "$DIR/kubeconfig" >>"$DIR/apiserver.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do [ -f "$DIR/kubeconfig" ] && return 0; sleep 0.1; done
  cat "$DIR/apiserver.log"; exit 1
}
cleanup() {
  [ -n "$WPID" ] && kill "$WPID" 2>/dev/null
  [ -n "$PID" ] && kill "$PID" 2>/dev/null
  wait 2>/dev/null; rm -rf "$DIR"
}
trap cleanup EXIT
start
( for i in $(seq 1 100000); do
    body=$(curl -s -w ' %{http_code}' -X POST -H 'Content-Type: application/json' \
      --data "{\"metadata\":{\"name\":\"cm-$i\"},\"data\":{\"i\":\"$i\"}}" \
      "$URL/api/v1/namespaces/default/configmaps") || continue
    case "$body" in *' 201')
      rv=$(printf '%s' "$body" | grep -o '"resourceVersion":"[0-9]*"' | grep -o '[0-9]*')
      echo "cm-$i $rv" >> "$DIR/acked";; esac
  done ) &
WPID=$!
for _ in $(seq 1 600); do [ "$( { wc -l < "$DIR/acked"; } 2>/dev/null || echo 0)" -ge 50 ] && break; sleep 0.1; done
kill -9 "$PID"; wait "$PID" 2>/dev/null
kill "$WPID"; wait "$WPID" 2>/dev/null; WPID=
n=$(wc -l < "$DIR/acked")
[ "$n" -ge 50 ] || { echo "only $n writes acknowledged"; exit 1; }
start
missing=0; max=0
while read -r name rv; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/v1/namespaces/default/configmaps/$name")
  [ "$code" = 200 ] || { echo "acknowledged $name (rv $rv) missing after restart: $code"; missing=$((missing+1)); }
  [ "$rv" -gt "$max" ] && max=$rv
done < "$DIR/acked"
[ "$missing" = 0 ] || exit 1
new=$(curl -s -X POST -H 'Content-Type: application/json' --data '{"metadata":{"name":"after"}}' \
  "$URL/api/v1/namespaces/default/configmaps" | grep -o '"resourceVersion":"[0-9]*"' | grep -o '[0-9]*')
[ -n "$new" ] && [ "$new" -gt "$max" ] || { echo "resourceVersion did not continue: $new <= $max"; exit 1; }
echo "all $n acknowledged writes survived SIGKILL; resourceVersion continues at $new (> $max)"
