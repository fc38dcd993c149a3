#!/bin/sh
# Drain of a 40-pod node against the sandbox, from the console: the wall time from the
# confirmation (`y`) to the drain's end, as the audit log's outcome line records it
# (`duration_ms`), with and without a PodDisruptionBudget that holds the drain (BUDGET=1:
# maxUnavailable 2 over the 19 frontend pods on the node; replacements get ready on the
# sandbox's clock), and `kubectl drain` on the same node for comparison. Needs tmux and
# kubectl. FLIGHTDECK=target/release/flightdeck for an optimised build.
set -eu
cd "$(dirname "$0")/.."
BIN=${FLIGHTDECK:-target/debug/flightdeck}
[ -x "$BIN" ] || cargo build --quiet
PORT=${PORT:-18531}
DIR=$(mktemp -d)
S=fd-drain-$$
"$BIN" sandbox --listen 127.0.0.1:$PORT --write-config "$DIR/cfg.toml" >"$DIR/sandbox.log" 2>&1 &
SB=$!
trap 'tmux kill-session -t $S 2>/dev/null || true; kill $SB 2>/dev/null || true; rm -rf "$DIR"' EXIT
sleep 2
export KUBECONFIG="$DIR/sandbox-kubeconfig.yaml"
OTHERS="node-2 node-3 node-4 node-5 node-6"
# 40 pods on node-1: the others cordoned while deployments grow, then uncordoned
fill() {
    kubectl uncordon node-1 >/dev/null
    for n in $OTHERS; do kubectl cordon $n >/dev/null; done
    while [ "$(kubectl get pods -A --field-selector spec.nodeName=node-1 --no-headers | wc -l)" -lt 40 ]; do
        r=$(kubectl get deploy -n shop cart -o jsonpath='{.spec.replicas}')
        kubectl scale -n shop deploy/cart --replicas=$((r + 1)) >/dev/null
        sleep 0.3
    done
    for n in $OTHERS; do kubectl uncordon $n >/dev/null; done
}
kubectl scale -n shop deploy/frontend --replicas=20 >/dev/null
fill
if [ "${BUDGET:-0}" = 1 ]; then
    printf 'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: frontend, namespace: shop}\nspec:\n  maxUnavailable: 2\n  selector: {matchLabels: {app: frontend}}\n' |
        kubectl apply --validate=false -f - >/dev/null
fi
echo "node-1: $(kubectl get pods -A --field-selector spec.nodeName=node-1 --no-headers | wc -l) pods"
tmux new-session -d -s $S -x 200 -y 50 \
    "XDG_DATA_HOME=$DIR/data XDG_CONFIG_HOME=$DIR/cfg $BIN --config $DIR/cfg.toml -A"
sleep 3
tmux send-keys -t $S ':'; sleep 0.3; tmux send-keys -t $S 'nodes' Enter; sleep 1
tmux send-keys -t $S '/'; sleep 0.3; tmux send-keys -t $S 'node-1' Enter; sleep 0.5
tmux send-keys -t $S r; sleep 3
# a bare pod may ask for --force: take the alternative when it is offered
if tmux capture-pane -t $S -p | grep -q 'drain with'; then tmux send-keys -t $S h; sleep 3; fi
tmux send-keys -t $S y
AUDIT="$DIR/data/flightdeck/audit.jsonl"
i=0
until grep -q '"phase":"outcome".*"operation":"drain"' "$AUDIT" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 1200 ] || { echo "no outcome"; exit 1; }
    sleep 0.25
done
python3 - "$AUDIT" <<'PY'
import json, sys
for l in map(json.loads, open(sys.argv[1])):
    if l["operation"] == "drain" and l["phase"] == "outcome":
        print(f"flightdeck drain: {l['duration_ms']} ms ({l.get('result') or l.get('error')})")
PY
fill
kubectl delete pdb -n shop frontend >/dev/null 2>&1 || true
start=$(date +%s.%N)
kubectl drain node-1 --ignore-daemonsets --force --delete-emptydir-data >/dev/null 2>&1
echo "kubectl drain (no budget): $(echo "$(date +%s.%N) - $start" | bc) s"
