#!/usr/bin/env bash
# Benchmark (not a test) of what linking packets across a lab's captures costs: bench/capture.sh run with the
# correlator off (A: NetDashboard__Capture__Correlate=false) and on (B: the default), alternated ROUNDS times on one
# build, so the only difference is the switch. Each run's figure is capture.sh's load phase: the dashboard's CPU over
# 60 s with hub clients on host/ens192, host/br0 and host/ens160 (3 × ~20 kpps of iperf3 UDP, every packet on all
# three), divided by the packets the three captures saw. Goal (issue #11): B ≤ 1.2 × A.
# The last line is `correlation_added_cpu_pct=<x> a_us=<x> b_us=<x>` (pooled means, µs per packet per capture).
#
#   sudo bench/correlation.sh
#
# Env: ROUNDS=3 (A/B pairs)  DURATION=60 (capture.sh's load phase, seconds)  QUIET=0 (capture.sh's; 1 waits for an
#      idle machine before each sample)  DLL=path/NetDashboard.dll (skip the build)
# Everything else (the lab, the app, the traffic, the cleanup) is capture.sh's; this script only alternates and pools.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
rounds=${ROUNDS:-3}
duration=${DURATION:-60}
dll=${DLL:-}
[[ $rounds =~ ^[1-9]$ ]] || { echo "ROUNDS must be 1-9" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "run as root: sudo $0" >&2; exit 2; }

cd "$repo"
work=$(mktemp -d "${TMPDIR:-/tmp}/netdash-bench-correlation.XXXXXX")
trap 'rm -rf "$work"' EXIT
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"
build_once

run() { # run A|B ROUND: one capture.sh run; appends its µs per packet per capture to $work/A or $work/B
    local side=$1 log=$work/$1-$2.log correlate=true figure
    [[ $side == A ]] && correlate=false
    echo "== $side (Capture:Correlate=$correlate), round $2 of $rounds, $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1 /proc/loadavg)"
    NetDashboard__Capture__Correlate=$correlate QUIET=${QUIET:-0} DURATION=$duration LOADED_LATENCY=0 DLL=$dll \
        bash "$repo/bench/capture.sh" >"$log" 2>&1 || { tail -20 "$log" >&2; echo "capture.sh failed ($side, round $2)" >&2; exit 1; }
    grep -E 'µs each|its threads|drops at' "$log" | sed 's/^ */   /'
    figure=$(grep -o '[0-9.]* µs each' "$log" | tail -1 | cut -d' ' -f1)
    [[ -n $figure ]] || { echo "no figure in capture.sh's output ($side, round $2)" >&2; exit 1; }
    echo "$figure" >>"$work/$side"
}

echo "correlation A/B: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' + uncommitted src changes'), $(nproc) cores, ${rounds} rounds"
for ((round = 1; round <= rounds; round++)); do
    run A "$round"
    run B "$round"
done

mean() { awk '{ s += $1; n++ } END { printf "%.2f", s / n }' "$work/$1"; }
a=$(mean A) b=$(mean B)
echo "A (off): $(paste -sd' ' "$work/A") µs; B (on): $(paste -sd' ' "$work/B") µs per packet per capture"
echo "correlation_added_cpu_pct=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%+.1f", 100 * (b - a) / a }') a_us=$a b_us=$b"
