#!/usr/bin/env bash
# Compares `flightdeck gpu --once --json` with `nvidia-smi` on a machine with NVIDIA GPUs:
# per GPU, name equal; memory total and used within 1 % of the total or 64 MiB, whichever
# is larger; temperature within 3 °C; power within 10 %; utilisation within 15 points (it
# moves between the two reads). Prints a table and a verdict.
#
#   scripts/gpu-device-check.sh [FLIGHTDECK ARGS...]     e.g. --nvml-lib /path/libnvidia-ml.so.1
#
# FLIGHTDECK names the binary (default: `flightdeck` on PATH, else target/release, then
# target/debug). Exit 0: PASS; 1: FAIL (or a tool failed); 2: no nvidia-smi here.
set -u

if ! command -v nvidia-smi >/dev/null 2>&1; then
    echo "nvidia-smi not found: no NVIDIA driver here to compare with (nothing checked)"
    exit 2
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "python3 not found: it does the comparison"
    exit 1
fi
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${FLIGHTDECK:-}
if [ -z "$bin" ]; then
    if command -v flightdeck >/dev/null 2>&1; then
        bin=flightdeck
    elif [ -x "$root/target/release/flightdeck" ]; then
        bin=$root/target/release/flightdeck
    elif [ -x "$root/target/debug/flightdeck" ]; then
        bin=$root/target/debug/flightdeck
    else
        echo "flightdeck not found: set FLIGHTDECK or build it (cargo build --release)"
        exit 1
    fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# flightdeck exits 1 when something failed (a host unreadable); its JSON still says what
"$bin" "$@" gpu --once --json >"$work/flightdeck.json" 2>"$work/flightdeck.err"
if ! nvidia-smi --query-gpu=index,name,memory.total,memory.used,temperature.gpu,power.draw,utilization.gpu \
    --format=csv,noheader,nounits >"$work/smi.csv" 2>"$work/smi.err"; then
    echo "nvidia-smi failed: $(head -c 500 "$work/smi.err")"
    exit 1
fi

python3 - "$work/flightdeck.json" "$work/smi.csv" "$work/flightdeck.err" <<'PY'
import csv, json, sys

MIB = 1 << 20
fd_path, smi_path, err_path = sys.argv[1:4]
try:
    with open(fd_path) as f:
        report = json.load(f)
except (OSError, ValueError) as e:
    err = open(err_path, errors="replace").read()[:500]
    print(f"flightdeck printed no JSON ({e}): {err}")
    sys.exit(1)

local = next((h for h in report.get("hosts", []) if h.get("host") == "local"), None)
if local is None:
    print("flightdeck sees no local GPUs:", report.get("local_unavailable") or "no reason given")
    sys.exit(1)
ours = {g.get("index"): g for g in local.get("gpus", [])}

def num(text):
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        return None  # [N/A], [Not Supported]

rows, failed = [], False
with open(smi_path, newline="") as f:
    smi = [r for r in csv.reader(f, skipinitialspace=True) if r]
if not smi:
    print("nvidia-smi listed no GPU")
    sys.exit(1)

def check(what, theirs, mine, ok, shown=lambda v: f"{v:g}"):
    """One comparison: a row of the table; None on nvidia-smi's side is not compared."""
    global failed
    if theirs is None:
        verdict = "skip (nvidia-smi n/a)"
    elif mine is None:
        verdict = "FAIL (flightdeck n/a)"
    else:
        verdict = "ok" if ok(theirs, mine) else "FAIL"
    failed |= verdict.startswith("FAIL")
    rows.append((idx, what, "n/a" if theirs is None else shown(theirs),
                 "n/a" if mine is None else shown(mine), verdict))

for r in smi:
    if len(r) < 7:
        print("unexpected nvidia-smi line:", ",".join(r))
        sys.exit(1)
    idx = int(num(r[0]) or 0)
    g = ours.get(idx)
    if g is None:
        rows.append((idx, "gpu", r[1].strip(), "missing", "FAIL"))
        failed = True
        continue
    name = r[1].strip()
    mine_name = g.get("name")
    rows.append((idx, "name", name, mine_name or "n/a", "ok" if mine_name == name else "FAIL"))
    failed |= mine_name != name
    mem = g.get("memory") or {}
    total_mib, used_mib = num(r[2]), num(r[3])
    my_total = mem.get("total_bytes") / MIB if mem.get("total_bytes") is not None else None
    my_used = mem.get("used_bytes") / MIB if mem.get("used_bytes") is not None else None
    tol = lambda total: max(0.01 * (total or 0), 64)
    check("memory.total MiB", total_mib, my_total, lambda a, b: abs(a - b) <= tol(a), lambda v: f"{v:.0f}")
    check("memory.used MiB", used_mib, my_used, lambda a, b: abs(a - b) <= tol(total_mib), lambda v: f"{v:.0f}")
    check("temperature °C", num(r[4]), g.get("temperature_c"), lambda a, b: abs(a - b) <= 3)
    check("power W", num(r[5]), g.get("power_w"), lambda a, b: abs(a - b) <= max(0.10 * a, 1.0), lambda v: f"{v:.1f}")
    check("utilisation %", num(r[6]), g.get("util_gpu_pct"), lambda a, b: abs(a - b) <= 15)

extra = sorted(set(ours) - {int(num(r[0]) or 0) for r in smi})
for idx in extra:
    rows.append((idx, "gpu", "missing", "present", "FAIL"))
    failed = True

print(f"{'GPU':>3}  {'field':<18} {'nvidia-smi':>22} {'flightdeck':>22}  verdict")
for idx, what, theirs, mine, verdict in rows:
    print(f"{idx:>3}  {what:<18} {str(theirs)[:22]:>22} {str(mine)[:22]:>22}  {verdict}")
print("FAIL" if failed else "PASS", f"({len(smi)} GPU{'s' if len(smi) != 1 else ''})")
sys.exit(1 if failed else 0)
PY
