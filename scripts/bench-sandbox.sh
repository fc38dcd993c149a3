#!/usr/bin/env bash
# Benchmarks for the sandbox (issue 3). Prints numbers; asserts nothing.
#
#   scripts/bench-sandbox.sh            # 10,000 pods
#   PODS=2000 scripts/bench-sandbox.sh
#
# Measures, against `flightdeck sandbox --pods N` on loopback:
#   - start-up: from exec until /version answers
#   - a full `kubectl get pods -A` (real kubectl, Table form), paged by 500 (kubectl's default)
#     and unpaged (--chunk-size=0), best and median of 5
#   - memory: VmRSS and VmHWM of the sandbox process after the lists
#   - watch throughput: MODIFIED events per second delivered to one `watch=1` client
#     (events produced by POST /_sandbox/churn)
#
# Needs: kubectl, curl, bc. FLIGHTDECK=path/to/binary to skip the release build.
set -euo pipefail

N=${PODS:-10000}
EVENTS=${EVENTS:-50000}
PORT=${PORT:-18190}
cd "$(dirname "$0")/.."
BIN=${FLIGHTDECK:-target/release/flightdeck}
if [ -z "${FLIGHTDECK:-}" ]; then
    cargo build --release --quiet
fi
command -v kubectl >/dev/null || { echo "kubectl not found" >&2; exit 1; }

tmp=$(mktemp -d)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
base="http://127.0.0.1:$PORT"

now() { date +%s.%N; }

t0=$(now)
"$BIN" sandbox --pods "$N" --listen "127.0.0.1:$PORT" --write-kubeconfig "$tmp/kubeconfig" >"$tmp/out" 2>&1 &
pid=$!
until curl -sf "$base/version" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/out" >&2; exit 1; }
    sleep 0.01
done
t1=$(now)
printf 'pods                          %s\n' "$N"
printf 'startup_seconds               %.3f\n' "$(echo "$t1 - $t0" | bc)"

k() { kubectl --kubeconfig "$tmp/kubeconfig" --cache-dir "$tmp/cache" --request-timeout=60s "$@"; }
k api-resources >/dev/null # warm the discovery cache, as a user's kubectl has it
times=()
lines=0
for _ in 1 2 3 4 5; do
    s=$(now)
    lines=$(k get pods -A --no-headers | wc -l)
    e=$(now)
    times+=("$(echo "$e - $s" | bc)")
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
printf 'kubectl_get_pods_A_rows       %s\n' "$lines"
printf 'kubectl_get_pods_A_best_s     %.3f\n' "$(echo "$sorted" | head -1)"
printf 'kubectl_get_pods_A_median_s   %.3f\n' "$(echo "$sorted" | sed -n 3p)"
# kubectl throttles itself client-side (QPS 5 after a burst of 10) over the 21 pages of the
# default --chunk-size=500; one unpaged request shows the server and kubectl without that
times=()
for _ in 1 2 3 4 5; do
    s=$(now)
    k get pods -A --chunk-size=0 --no-headers >/dev/null
    e=$(now)
    times+=("$(echo "$e - $s" | bc)")
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
printf 'kubectl_get_pods_A_unpaged_best_s    %.3f\n' "$(echo "$sorted" | head -1)"
printf 'kubectl_get_pods_A_unpaged_median_s  %.3f\n' "$(echo "$sorted" | sed -n 3p)"
s=$(now)
curl -sf -o /dev/null -H 'Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json' "$base/api/v1/pods"
e=$(now)
printf 'server_table_all_pods_s       %.3f\n' "$(echo "$e - $s" | bc)"
s=$(now)
k get pods -A -o json >/dev/null
e=$(now)
printf 'kubectl_get_pods_A_json_s     %.3f\n' "$(echo "$e - $s" | bc)"

rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
printf 'rss_mb                        %.1f\n' "$(echo "$rss / 1024" | bc -l)"
printf 'peak_rss_mb                   %.1f\n' "$(echo "$hwm / 1024" | bc -l)"

# watch throughput, one client.
# 1. replay: 9,000 events already in the watch history, delivered as fast as the client reads
rv=$(curl -s "$base/api/v1/namespaces/default/pods?limit=1" | sed -n 's/.*"resourceVersion":"\([0-9]*\)".*/\1/p' | head -1)
curl -sf -X POST "$base/_sandbox/churn?n=9000" >/dev/null
s=$(now)
curl -sN "$base/api/v1/pods?watch=1&resourceVersion=$rv&timeoutSeconds=120" | { head -n 9000 >"$tmp/replay"; now >"$tmp/replay.done"; } &
until [ -s "$tmp/replay.done" ]; do sleep 0.005; done
e=$(cat "$tmp/replay.done")
printf 'watch_replay_events           %s (errors %s)\n' "$(wc -l <"$tmp/replay")" "$(grep -c '"type":"ERROR"' "$tmp/replay" || true)"
printf 'watch_replay_events_per_s     %.0f\n' "$(echo "$(wc -l <"$tmp/replay") / ($e - $s)" | bc -l)"

# 2. live: EVENTS events produced while the client watches
rv=$(curl -s "$base/api/v1/namespaces/default/pods?limit=1" | sed -n 's/.*"resourceVersion":"\([0-9]*\)".*/\1/p' | head -1)
curl -sN "$base/api/v1/pods?watch=1&resourceVersion=$rv&timeoutSeconds=300" | { head -n "$EVENTS" >"$tmp/watch"; now >"$tmp/watch.done"; } &
sleep 0.5
s=$(now)
batch=2000
left=$EVENTS
while [ "$left" -gt 0 ]; do
    n=$((left < batch ? left : batch))
    curl -sf -X POST "$base/_sandbox/churn?n=$n" >/dev/null
    left=$((left - n))
done
p=$(now)
until [ -s "$tmp/watch.done" ]; do sleep 0.005; done
e=$(cat "$tmp/watch.done")
got=$(wc -l <"$tmp/watch")
errors=$(grep -c '"type":"ERROR"' "$tmp/watch" || true)
printf 'watch_live_events             %s of %s (errors %s: a 410 when the client falls more than the kept history behind)\n' "$got" "$EVENTS" "$errors"
printf 'watch_live_produced_per_s     %.0f\n' "$(echo "$EVENTS / ($p - $s)" | bc -l)"
printf 'watch_live_delivered_per_s    %.0f\n' "$(echo "$got / ($e - $s)" | bc -l)"
printf 'watch_bytes_per_event         %.0f\n' "$(echo "$(wc -c <"$tmp/watch") / ($got + 1)" | bc -l)"
rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
printf 'peak_rss_after_watch_mb       %.1f\n' "$(echo "$rss / 1024" | bc -l)"
