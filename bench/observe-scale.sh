#!/usr/bin/env bash
# Benchmark (not a test): observe mode on a big host. Builds a stand-in host in namespaces of its own (never the
# machine's root namespace): an observed namespace with a bridge and one veth per "container" namespace, each
# container holding its veth end and some dummy links, NAMESPACES namespaces and about NAMESPACES x LINKS links in
# all; then times `./netdash observe --json` on it against a hand-written shell loop that reads the same namespaces
# with ip (links with addresses, routes of every table, rules), in the same run. The last line is the figure:
# observe_ms=N (median) script_ms=N ratio_vs_script=N.N namespaces=N links=N
#
#   sudo bench/observe-scale.sh [ROUNDS]     # ROUNDS (or env ROUNDS) defaults to 5
#
# Env: NAMESPACES=100 (1-400)  LINKS=10 (links per container, 1-50)  CLI=path/netdash (skip the publish)
#      QUIET=1 (before each round wait, at most 2 min, until the machine is >= 80 % idle; 0: don't)
# Only the namespaces this script created (netdash-bsc<pid>-…) are ever removed, also on failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
rounds=${1:-${ROUNDS:-5}}
count=${NAMESPACES:-100}
links=${LINKS:-10}
cli=${CLI:-}

[[ $rounds =~ ^[1-9][0-9]?$ ]] || { echo "ROUNDS must be 1-99" >&2; exit 2; }
[[ $count =~ ^[1-9][0-9]{0,2}$ ]] && ((count >= 2 && count <= 400)) || { echo "NAMESPACES must be 2-400" >&2; exit 2; }
[[ $links =~ ^[1-9][0-9]?$ ]] && ((links <= 50)) || { echo "LINKS must be 1-50" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "run as root: sudo $0" >&2; exit 2; }
for tool in ip python3; do
    command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done

cd "$repo"
work=$(mktemp -d "${TMPDIR:-/tmp}/netdash-bench.XXXXXX")
dll=""
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"

prefix="netdash-bsc$$"
target="$prefix-host"
made=()
cleanup() {
    for ns in "${made[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

publish_cli_once

echo "building the stand-in: $count namespaces, $links links in each container ..."
ip netns add "$target"
made+=("$target")
ip -n "$target" link add br0 type bridge
ip -n "$target" addr add 10.200.0.1/16 dev br0
ip -n "$target" link set br0 up
for ((i = 1; i < count; i++)); do
    ns="$prefix-c$i"
    ip netns add "$ns"
    made+=("$ns")
    {
        echo "link add v$i type veth peer name eth0 netns $ns"
        echo "link set v$i master br0"
        echo "link set v$i up"
    } | ip -n "$target" -batch -
    {
        echo "addr add 10.200.$((i / 250)).$((i % 250 + 2))/16 dev eth0"
        echo "link set eth0 up"
        for ((j = 1; j < links; j++)); do echo "link add d$j type bridge"; done
    } | ip -n "$ns" -batch -
done
total_links=$(for ns in "${made[@]}"; do ip -n "$ns" -o link show; done | wc -l)
echo "stand-in: ${#made[@]} namespaces, $total_links links (loopbacks included)"

observe() { NETDASH_CLI=$cli NetDashboard__Observe__Namespace=$target "$repo/netdash" observe --json; }
by_hand() {
    # What a person would type: every namespace of the stand-in, its links and addresses, routes and rules.
    for ns in "${made[@]}"; do
        ip -n "$ns" -j -d addr show
        ip -n "$ns" -j route show table all
        ip -n "$ns" -j rule show
    done
}
ms() { python3 -c 'import time; print(int(time.monotonic() * 1000))'; }

# One untimed run each, and a check that observe mode saw the whole stand-in.
seen=$(observe | python3 -c 'import json, sys; h = json.load(sys.stdin); print(len(h["namespaces"]), sum(len(n["links"]) for n in h["namespaces"]))')
by_hand >/dev/null
read -r seen_ns seen_links <<<"$seen"
echo "observe saw $seen_ns namespaces and $seen_links links"
[[ $seen_ns -eq ${#made[@]} && $seen_links -eq $total_links ]] || { echo "observe missed part of the stand-in" >&2; exit 1; }

observe_times=() script_times=()
for ((r = 1; r <= rounds; r++)); do
    wait_quiet
    a=$(ms); observe >/dev/null; b=$(ms)
    c=$(ms); by_hand >/dev/null; d=$(ms)
    observe_times+=($((b - a)))
    script_times+=($((d - c)))
    echo "round $r: observe $((b - a)) ms, script $((d - c)) ms"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
om=$(median "${observe_times[@]}")
sm=$(median "${script_times[@]}")
ratio=$(python3 -c "print(f'{$om / max($sm, 1):.1f}')")
echo "observe_ms=$om script_ms=$sm ratio_vs_script=$ratio namespaces=${#made[@]} links=$total_links"
