#!/bin/sh
# From confirming a rollback to the new revision showing in the Workloads pane, against the
# sandbox (bad-release). Usage: scripts/measure-rollback.sh [RUNS] (PROFILE=release for an
# optimised build).
set -eu
cd "$(dirname "$0")/.."
if [ "${PROFILE:-dev}" = release ]; then
    exec cargo run --quiet --release --example measure_rollback -- "${1:-5}"
fi
exec cargo run --quiet --example measure_rollback -- "${1:-5}"
