#!/usr/bin/env bash
# Smoke test: start echo-server on a free loopback port, run screening-load in
# every mode for a moment, fail on any error or on no completed call.
set -euo pipefail
echo_server=$1
load=$2
work=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$echo_server" --listen 127.0.0.1:0 --port-file "$work/port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  [[ -s "$work/port" ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.05
done
port=$(cat "$work/port")
target=127.0.0.1:$port

# The generator must refuse anything but loopback.
if "$load" --target 10.0.0.1:$port --duration 0.1 >/dev/null 2>&1; then
  echo "screening-load accepted a non-loopback target"; exit 1
fi

"$load" --target "$target" --server echo --mode screen --inflight 1,16 --duration 0.5 --warmup 0.1 --pool 2000 --expect-clear
"$load" --target "$target" --server echo --mode screen --client-api cq --inflight 8 --duration 0.3 --warmup 0.1 --pool 2000 --expect-clear
"$load" --target "$target" --server echo --mode batch --inflight 2 --batch-size 1000 --duration 0.3 --warmup 0.1 --pool 4000 --expect-clear
"$load" --target "$target" --server echo --mode stream --inflight 64 --channels 2 --duration 0.3 --warmup 0.1 --pool 2000 --expect-clear
"$load" --target "$target" --server echo --mode stream --stream-batch 100 --inflight 4 --channels 2 --duration 0.3 --warmup 0.1 --pool 2000 --expect-clear
echo "smoke: ok"
