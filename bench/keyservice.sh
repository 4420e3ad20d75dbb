#!/usr/bin/env bash
# The key service under load and faults, loopback only, bounded:
#  1. 64 client threads unwrap an age data key through `sopskit keyservice` (unix socket and
#     TCP) for 30 s: throughput and p50/p99, beside the in-process unwrap of the same entry;
#  2. the same through two servers, the first killed (SIGKILL) after 10 s: errors must be 0;
#  3. start-up: `sopskit decrypt` of a small file without a key service, and whether the
#     process maps gRPC (it must not).
# Usage: bench/keyservice.sh BUILD_DIR [threads=64] [seconds=30]. Prints key=value lines.
set -euo pipefail
build="$(cd "$1" && pwd)"
threads="${2:-64}"
seconds="${3:-30}"
sopskit="$build/cli/sopskit"
load="$build/cli/sopskit_bench_keyservice"
work="$(mktemp -d)"
cleanup() { for f in "$work"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM  # through the EXIT trap
export HOME="$work"
"$sopskit" keygen age --output "$work/key.txt" 2>"$work/pub" >/dev/null

start_server() {  # start_server NAME ARGS...: its address goes to $work/NAME.addr
  local name="$1"; shift
  SOPS_AGE_KEY_FILE="$work/key.txt" "$sopskit" keyservice "$@" >/dev/null 2>"$work/$name.log" &
  echo $! > "$work/$name.pid"
  for _ in $(seq 100); do
    grep -q 'Listening on' "$work/$name.log" 2>/dev/null && break
    sleep 0.1
  done
  sed -n 's/^keyservice: Listening on //p' "$work/$name.log" | head -1 > "$work/$name.addr"
}

start_server unix --network unix --address "$work/ks.sock"
start_server tcp --address 127.0.0.1:0
unix_uri="$(cat "$work/unix.addr")"
tcp_uri="$(cat "$work/tcp.addr")"
echo "# unix socket"
"$load" "$unix_uri" "$work/key.txt" "$threads" "$seconds" | sed 's/^/unix_/'
echo "# loopback tcp"
"$load" "$tcp_uri" "$work/key.txt" "$threads" "$seconds" | sed 's/^/tcp_/'

echo "# failover: the first of two servers killed after 10 s"
start_server first --network unix --address "$work/first.sock"
first="$(cat "$work/first.addr")"
KILL_PID="$(cat "$work/first.pid")" "$load" "$first,$unix_uri" "$work/key.txt" "$threads" "$seconds" 10 | sed 's/^/failover_/'

echo "# start-up without a key service"
recipient="$(sed -n 's/^public key: //p' "$work/pub")"
printf 'password: hunter2\n' > "$work/plain.yaml"
"$sopskit" encrypt --age "$recipient" "$work/plain.yaml" > "$work/secret.yaml"
runs=50
t0=$(date +%s%N)
for _ in $(seq $runs); do SOPS_AGE_KEY_FILE="$work/key.txt" "$sopskit" decrypt "$work/secret.yaml" >/dev/null; done
t1=$(date +%s%N)
echo "startup_decrypt_ms=$(( (t1 - t0) / runs / 1000000 ))"
echo "startup_maps_grpc=$(SOPS_AGE_KEY_FILE="$work/key.txt" LD_DEBUG=files "$sopskit" decrypt "$work/secret.yaml" 2>&1 >/dev/null | grep -c 'libgrpc' || true)"
echo "with_keyservice_maps_grpc=$(LD_DEBUG=files "$sopskit" decrypt --keyservice "$unix_uri" "$work/secret.yaml" 2>&1 >/dev/null | grep -c 'file=libgrpc' || true)"
