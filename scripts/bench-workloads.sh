#!/usr/bin/env bash
# Benchmarks for the workloads pane (issue 4). Prints numbers; asserts nothing.
#
#   scripts/bench-workloads.sh            # 10,000 pods
#   PODS=150000 CHURN_SECS=0 scripts/bench-workloads.sh   # Kubernetes' own limit, no churn
#   POD_KINDS=mixed scripts/bench-workloads.sh   # the pods owned by Deployments, StatefulSets and Jobs
#   CHURN_SECS=20 scripts/bench-workloads.sh     # a shorter churn (default 60 s each)
#
# 1. Against `flightdeck sandbox --pods N` (a separate process, paused so nothing moves):
#    the console's data path in one process (watchers for deployments, replicasets, pods,
#    HPAs and warning events in all namespaces → update → one frame drawn):
#    - time from start until every kind is listed and the first complete frame is drawn
#    - resident memory (VmRSS, VmHWM) of that process
#    - 5 s idle: messages and CPU
#    - time to the first pod row (lists stream page by page) and to the complete frame
#    - ui-task time to apply 10,000 MODIFIED pod events (POST /_sandbox/churn?n=10000)
#    - churn: 1,000 watch events a second for CHURN_SECS (default 60) each: pods changing
#      an annotation (nothing shown), pods changing a restart count (shown, sorted by),
#      deployments changing an annotation; applied and drawn as the run loop does: CPU
#      per event of the process, less the churn driver's thread (socket to frame)
# 2. In memory (criterion): applying 10,000 pod events; frames of 10,000 rows, filtered or not.
#
# Needs: curl. Builds the release binary and the bench unless FLIGHTDECK is set.
set -euo pipefail

N=${PODS:-10000}
KINDS=${POD_KINDS:-deployments}
PORT=${PORT:-18191}
cd "$(dirname "$0")/.."
BIN=${FLIGHTDECK:-target/release/flightdeck}
if [ -z "${FLIGHTDECK:-}" ]; then
    cargo build --release --quiet
fi

tmp=$(mktemp -d)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
base="http://127.0.0.1:$PORT"

BENCH=$(cargo bench --bench workloads --no-run 2>&1 | grep -o 'target/[^ )]*/workloads-[0-9a-f]*' | tail -1)
if ! grep -qa "flightdeck sandbox: not in this build" "$BIN"; then
    "$BIN" sandbox --pods "$N" --pod-kinds "$KINDS" --listen "127.0.0.1:$PORT" --write-kubeconfig "$tmp/kubeconfig" >"$tmp/out" 2>&1 &
else
    # this build's binary does not serve the sandbox yet: the bench binary serves the same
    "$BENCH" --serve-sandbox --pods "$N" --pod-kinds "$KINDS" --listen "127.0.0.1:$PORT" --write-kubeconfig "$tmp/kubeconfig" >"$tmp/out" 2>&1 &
fi
pid=$!
until curl -sf "$base/version" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/out" >&2; exit 1; }
    sleep 0.05
done
curl -sf -X POST "$base/_sandbox/time/pause" >/dev/null

echo "== live: console data path against flightdeck sandbox --pods $N --pod-kinds $KINDS"
FLIGHTDECK_BENCH_KUBECONFIG="$tmp/kubeconfig" PODS="$N" "$BENCH" --live

if [ "${LIVE_ONLY:-}" = "" ]; then
    echo "== in memory (criterion)"
    "$BENCH" --bench --warm-up-time 1 --measurement-time 3 2>&1 |
        grep -E '^(apply|frame)|time:' || true
fi
