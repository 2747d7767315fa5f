#!/usr/bin/env bash
# Benchmark (not a test): wall time of `./netdash trace LAB vm1 203.0.113.5` on seed-nat, for a packet that arrives
# and for one that is lost (forwarding turned off with sysctl), against a hand-written script that gets the same
# "where was it seen" answer: tcpdump on host/tap0, host/br0, host/ens160 and wan/eth0, one ping from vm1
# (`./netdash vm exec`), the tcpdumps stopped and their lines counted. Goals (issue #11): <= 2 s arrived, <= 3 s lost.
# The last line is the figures to quote: trace_arrived_ms=N trace_lost_ms=N script_ms=N (medians).
#
#   sudo bench/trace.sh [ROUNDS]        # ROUNDS (or env ROUNDS) defaults to 10
#
# Env: ROUNDS=10  CLI=path/netdash (a published CLI: skip the publish and time that one)
#      QUIET=1 (before each round wait, at most 2 min, until the machine is >= 80 % idle; 0: don't)
#      NETDASH_GUEST_DIR  the built-in guest (default /var/cache/netdashboard/guest)
# One lab, bench-trace-<pid>, is brought up once with `./netdash lab up labs/seed-nat.yaml --wait`; each round times
# the trace (arrived), the trace with forwarding off (lost), then the script; forwarding is back on after each
# round. Only this lab and the tcpdumps this script started (by pid) are ever removed or stopped, also on failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
rounds=${1:-${ROUNDS:-10}}
cli=${CLI:-}
labfile=labs/seed-nat.yaml
lab=bench-trace-$$
target=203.0.113.5
export NETDASH_GUEST_DIR=${NETDASH_GUEST_DIR:-/var/cache/netdashboard/guest}
export NetDashboard__GuestImageFolder=$NETDASH_GUEST_DIR
runtime_root=${NetDashboard__RuntimeRoot:-/run/netdashboard}
host_ns=netdash-$lab-host
# The four places of the way out, as the trace names them, and where tcpdump runs for each.
stations=(host/tap0 host/br0 host/ens160 wan/eth0)

[[ $rounds =~ ^[1-9][0-9]{0,2}$ ]] || { echo "ROUNDS must be 1-999" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "run as root: sudo $0" >&2; exit 2; }
for tool in dotnet ip sysctl tcpdump qemu-system-x86_64; do
    command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done
[[ -f $NETDASH_GUEST_DIR/initrd.gz ]] || { echo "no built-in guest in $NETDASH_GUEST_DIR (scripts/build-guest-image.sh)" >&2; exit 2; }
# The tool exactly as documented: ./netdash, pointed at this run's own build.
netdash() { NETDASH_CLI=$cli "$repo/netdash" "$@"; }

cd "$repo"
work=$(mktemp -d "${TMPDIR:-/tmp}/netdash-bench-trace.XXXXXX")
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"

# --- cleanup: only what this script made ------------------------------------------------------
lab_made=0 dumps=()
cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    for pid in "${dumps[@]}"; do stop_pid "$pid" tcpdump; done
    if ((lab_made)) && { ip netns list | awk -v n="$host_ns" '$1 == n { f = 1 } END { exit !f }' || [[ -d $runtime_root/$lab ]]; }; then
        echo "cleanup: lab down $lab" >&2
        netdash lab down "$lab" >/dev/null 2>&1 || echo "cleanup: could not remove lab $lab" >&2
    fi
    rm -rf -- "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- helpers ----------------------------------------------------------------------------------
now() { date +%s%N; }
fail() { echo "FAILED: $*" >&2; [[ -s $work/out ]] && sed 's/^/  | /' "$work/out" >&2; exit 1; }
record() { echo "$2" >>"$work/$1"; }
forwarding() { ip netns exec "$host_ns" sysctl -qw "net.ipv4.ip_forward=$1"; }

# trace_round SERIES EXIT TEXT: times one `./netdash trace`; it must exit EXIT and print TEXT (checked after timing).
trace_round() {
    local series=$1 want=$2 text=$3 t0 t1 rc=0
    t0=$(now)
    netdash trace "$lab" vm1 "$target" >"$work/out" 2>&1 || rc=$?
    t1=$(now)
    ((rc == want)) || fail "trace ($series) exited $rc, not $want"
    grep -qF -- "$text" "$work/out" || fail "trace ($series) did not say: $text"
    record "$series" $((t1 - t0))
}

# The hand-written equivalent, timed from the first tcpdump to the last line count: a capture on each station,
# each waited for until it listens; the ping from vm1; the captures stopped (SIGINT: tcpdump prints what it holds
# and exits) after the same 150 ms the trace gives its captures to settle; one line count per station.
script_round() {
    local t0 t1 station ns iface pid i n counts=() seen=0
    dumps=()
    : >"$work/out"
    t0=$(now)
    for i in "${!stations[@]}"; do
        station=${stations[i]}
        ns=netdash-$lab-${station%%/*} iface=${station#*/}
        # `ip netns exec` execs tcpdump: $! is tcpdump's own pid.
        ip netns exec "$ns" tcpdump -n -l --immediate-mode -i "$iface" "icmp and host $target" >"$work/dump$i" 2>"$work/dump$i.err" &
        dumps+=($!)
    done
    for i in "${!stations[@]}"; do
        until grep -q 'listening on' "$work/dump$i.err"; do
            (($(now) - t0 < 30000000000)) || fail "tcpdump on ${stations[i]} did not start within 30 s: $(cat "$work/dump$i.err")"
            sleep 0.01
        done
    done
    netdash vm exec "$lab" vm1 -- ping -c 1 -W 1 "$target" >"$work/out" 2>&1 || fail "the script's ping from vm1 failed"
    sleep 0.15
    for pid in "${dumps[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
    for pid in "${dumps[@]}"; do wait "$pid" 2>/dev/null || true; done
    dumps=()
    # (tcpdump ends its output with an empty line when interrupted: only packet lines count)
    for i in "${!stations[@]}"; do counts+=("$(grep -c . "$work/dump$i" || true)"); done
    t1=$(now)
    record script $((t1 - t0))
    # Its answer is complete when every station shows the request and the reply.
    for n in "${counts[@]}"; do ((n == 2)) && seen=$((seen + 1)); done
    record script_complete "$((seen == ${#stations[@]}))"
    echo "${counts[*]}" >"$work/last_counts"
}

# median and p90 (nearest rank) of a series, in ms
pct() { sort -n "$work/$1" | awk -v q="$2" '{ v[NR] = $1 } END { i = (q == 50) ? int((NR + 1) / 2) : int(NR * q / 100 + 0.999999); if (q == 50 && NR % 2 == 0) printf "%.0f", (v[NR/2] + v[NR/2+1]) / 2e6; else printf "%.0f", v[i] / 1e6 }'; }
ms() { awk -v ns="$1" 'BEGIN { printf "%.0f", ns / 1e6 }'; }

# --- publish once -----------------------------------------------------------------------------
publish_cli_once

# --- the lab, once ----------------------------------------------------------------------------
echo "machine: $(nproc) cores, $(uname -r), dotnet $(dotnet --version), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load average at start: $(cut -d" " -f1-3 /proc/loadavg) (other work on the machine skews the numbers)"
lab_made=1
t0=$(now)
netdash lab up "$labfile" --name "$lab" --wait >"$work/out" 2>&1 || fail "lab up $lab"
echo "lab up $lab (seed-nat, two guests): $(ms $(($(now) - t0))) ms"
# Untimed warm-up: the first ping and trace pay for what is cold (the CLI from disk, vm1's ARP entry for br0).
netdash vm exec "$lab" vm1 -- ping -c 1 -W 2 "$target" >"$work/out" 2>&1 || fail "vm1 cannot ping $target"
netdash trace "$lab" vm1 "$target" >"$work/out" 2>&1 || fail "warm-up trace"

# --- rounds -----------------------------------------------------------------------------------
for ((r = 1; r <= rounds; r++)); do
    wait_quiet
    trace_round trace_arrived 0 "reply received"
    forwarding 0
    trace_round trace_lost 1 "fix: (host)\$ echo 1 > /proc/sys/net/ipv4/ip_forward"
    forwarding 1
    script_round
    printf '  round %d: trace arrived %s ms, lost %s ms; script %s ms (lines per station: %s)\n' "$r" \
        "$(ms "$(tail -1 "$work/trace_arrived")")" "$(ms "$(tail -1 "$work/trace_lost")")" \
        "$(ms "$(tail -1 "$work/script")")" "$(cat "$work/last_counts")"
done

# --- report -----------------------------------------------------------------------------------
complete=$(awk '{ s += $1 } END { print s }' "$work/script_complete")
echo
echo "trace on seed-nat, vm1 -> $target, $rounds rounds, wall ms (median / p90)"
printf '| %-44s | %15s | %-6s |\n' "" "median / p90" "goal"
printf '|%s|%s|%s|\n' "----------------------------------------------" "-----------------" "--------"
printf '| %-44s | %6s / %-6s | %-6s |\n' '`netdash trace`, packet arrives' "$(pct trace_arrived 50)" "$(pct trace_arrived 90)" "2000"
printf '| %-44s | %6s / %-6s | %-6s |\n' '`netdash trace`, lost (forwarding off)' "$(pct trace_lost 50)" "$(pct trace_lost 90)" "3000"
printf '| %-44s | %6s / %-6s | %-6s |\n' 'script: 4 tcpdumps + `vm exec` ping + counts' "$(pct script 50)" "$(pct script 90)" ""
echo "the script saw the request and the reply on all 4 stations in $complete of $rounds rounds"
echo
echo "load average at the end: $(cut -d" " -f1-3 /proc/loadavg)"
echo "trace_arrived_ms=$(pct trace_arrived 50) trace_lost_ms=$(pct trace_lost 50) script_ms=$(pct script 50)"
