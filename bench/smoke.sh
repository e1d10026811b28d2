#!/usr/bin/env bash
# Runs every windi-loadgen scenario once at a tiny size against SQLite (latency also with a login storm), to prove
# they still work (CI). No timing is asserted; a scenario that errors makes the script exit non-zero.
#   bench/smoke.sh [BUILD_DIR]      (default: build/dev; needs windi, windi-loadgen and windi-ceiling built there:
#                                    cmake --build BUILD_DIR --target windi loadgen)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-${WINDI_BUILD_DIR:-build/dev}}
loadgen=$build/windi-loadgen
for bin in windi windi-loadgen windi-ceiling; do
  if [ ! -x "$build/$bin" ]; then
    echo "smoke: $build/$bin is missing: cmake --build $build --target windi loadgen" >&2
    exit 2
  fi
done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

failed=()
run() {
  local scenario=$1
  shift
  echo "== $scenario $*"
  rm -f "$out/$scenario.json"
  if timeout 300 "$loadgen" "$scenario" --backend sqlite --json "$out/$scenario.json" "$@" &&
    [ -s "$out/$scenario.json" ]; then
    echo "-- $scenario: ok"
  else
    echo "-- $scenario: FAILED" >&2
    failed+=("$scenario")
  fi
}

run fanout --members 5 --senders 2 --window 4 --messages 50
run latency --users 20 --chat-size 5 --rate 100 --seconds 2 --warmup 0 --drain 10
run latency --users 20 --chat-size 5 --rate 100 --seconds 2 --warmup 0 --drain 10 --login-storm 2
run latency --users 20 --chat-size 5 --rate 100 --seconds 2 --warmup 0 --drain 10 --flood 1
run persisted --clients 10 --chats 5 --window 4 --seconds 2
run connections --connections 20 --users 3 --addresses 4 --hold 1
run history --messages 200 --requests 20
run login --users 2 --clients 2 --seconds 2
run search --messages 2000 --chats 20 --member-chats 5 --senders 4 --requests 5 --vocabulary 500 \
  --send-seconds 1 --send-rounds 1 --send-clients 10
run spread --users 8 --chat-size 4 --rate 40 --seconds 1 --warmup 1 --drain 10 --share-cores

if [ ${#failed[@]} -gt 0 ]; then
  echo "smoke: failed: ${failed[*]}" >&2
  exit 1
fi
echo "smoke: every scenario ran"
