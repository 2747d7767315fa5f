#!/usr/bin/env bash
# Soak (a benchmark, not a test): CYCLES create/destroy cycles of labs/seed-bridge.yaml (two VMs, booted and their
# guests configured) through the dashboard's HTTP API, one dashboard process for all of them. In each cycle a capture
# is open on br0 (a SignalR hub client, bench/CaptureBench) from before vm1 pings vm2 until after the lab is deleted.
# After each cycle it looks for what the cycle left behind:
#   - namespaces: the lab's three names, and any deleted namespace a socket of the dashboard still keeps alive
#     (each socket borrowed with pidfd_getfd and asked with SIOCGSKNS, by a few lines of python3);
#   - processes: every pid that was in the lab's namespaces, by pid and start time;
#   - sockets: unix sockets bound under the lab's runtime folder (/proc/net/unix);
#   - runtime files: anything in the runtime folder that was not there before the first cycle;
#   - firewall rules tagged netdash:LAB in the machine's own ruleset (`nft list ruleset`, which only reads; the lab's
#     rules live in its host namespace);
# and records the cycle's time, the dashboard's RSS and its open file descriptors.
# It prints one line per cycle, then: cycle time (median, p90, max; create and delete apart), RSS and fds after cycle 1
# and after the last, and the leaks found. The last line is
# `cycles=N leaks=N cycle_median_s=X rss_growth_pct=X fd_growth_pct=X`.
#
#   sudo bench/soak.sh            # 100 cycles
#   sudo bench/soak.sh 20         # or CYCLES=20
#
# Env: CYCLES (default 100)  DLL=path/NetDashboard.dll (skip the build; CaptureBench is built anyway)
#      NETDASH_GUEST_DIR (the built-in guest, default /var/cache/netdashboard/guest)
# It builds Release once into a private temp folder, starts the dashboard on a free loopback port with its own runtime
# and state folders, and on any exit stops what it started, by pid, removes any lab of this run still there (`lab down`)
# and its temp folder. Traffic flows only between the lab's VMs, through its br0.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
cycles=${1:-${CYCLES:-100}}
dll=${DLL:-}
export NetDashboard__GuestImageFolder=${NETDASH_GUEST_DIR:-/var/cache/netdashboard/guest}

[[ $cycles =~ ^[1-9][0-9]{0,3}$ ]] || { echo "CYCLES must be 1-9999" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "run as root: sudo $0" >&2; exit 2; }
for tool in dotnet ip curl jq nft python3; do
    command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done

cd "$repo"
work=$(mktemp -d "${TMPDIR:-/tmp}/netdash-bench-soak.XXXXXX")
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"
runtime=$work/runtime
mkdir -m 700 "$runtime" "$work/state"
export NetDashboard__RuntimeRoot=$runtime NetDashboard__StateFolder=$work/state NetDashboard__StartupLab=

# --- cleanup: only what this script started ---------------------------------------------------------------------------
app_pid='' client_pid=''
cleanup() {
    local rc=$? lab
    trap - EXIT INT TERM
    stop_pid "$client_pid" "the hub client"
    stop_pid "$app_pid" "the dashboard"
    for lab in $(ls "$runtime" 2>/dev/null); do
        [[ $lab == soak-$$-* ]] || continue
        echo "cleanup: lab down $lab" >&2
        dotnet "$dll" lab down "$lab" >/dev/null 2>&1 || echo "cleanup: could not remove lab $lab" >&2
    done
    rm -rf -- "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- helpers ----------------------------------------------------------------------------------------------------------
fail() { echo "FAILED: $*" >&2; [[ -s $work/app.log ]] && tail -20 "$work/app.log" | sed 's/^/  | /' >&2; exit 1; }
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
api() { # api METHOD PATH [JSON]: prints the body, then the status code on a line of its own
    curl -s -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' ${3:+--data "$3"} -w '\n%{http_code}' "$url$2"
}
code() { tail -1 <<<"$1"; }
body() { sed '$d' <<<"$1"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$app_pid/status"; }
rss_parts() { # anonymous (heaps), file-backed (code and mapped files) and shared (the JIT's double-mapped code), MiB
    awk '/^Rss(Anon|File|Shmem):/ { printf "%s%s %d", (n++ ? ", " : ""), tolower(substr($1, 4, length($1) - 4)), $2 / 1024 }' "/proc/$app_pid/status"
}
fds() { ls "/proc/$app_pid/fd" | wc -l; }
start_of() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; read -ra f <<<"${s##*) }"; echo "${f[19]}"; }
alive() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; [[ ${s##*) } != Z* ]]; }
pane() { jq -r ".panes[\"host/br0\"].$1" "$work/status.json"; }
capturing() { [[ $(pane state) == Running ]]; }
captured() { (($(pane rows) > 0)); }
foreign_sockets() { # "fd net:[inode]" for each socket of the dashboard outside this script's own namespace
    python3 - "$app_pid" <<'EOF'
import ctypes, fcntl, os, sys
pid = int(sys.argv[1]); own = os.readlink('/proc/self/ns/net'); libc = ctypes.CDLL(None, use_errno=True)
pidfd = os.pidfd_open(pid)
for fd in os.listdir(f'/proc/{pid}/fd'):
    try:
        if not os.readlink(f'/proc/{pid}/fd/{fd}').startswith('socket:'): continue
    except OSError: continue
    borrowed = libc.syscall(438, pidfd, int(fd), 0)          # pidfd_getfd
    if borrowed < 0: continue
    try:
        ns = fcntl.ioctl(borrowed, 0x894C)                   # SIOCGSKNS
        where = os.readlink(f'/proc/self/fd/{ns}'); os.close(ns)
        if where != own: print(fd, where)
    except OSError: pass
    finally: os.close(borrowed)
EOF
}

# --- build and start --------------------------------------------------------------------------------------------------
echo "== build (Release) into $work/build"
build_once
dotnet build -c Release "$repo/bench/CaptureBench" --artifacts-path "$work/build" -nologo -v q >"$work/build-bench.log" 2>&1 \
    || { cat "$work/build-bench.log" >&2; exit 1; }
bench_dll=$(find "$work/build/bin/CaptureBench" -name CaptureBench.dll -path '*release*' | head -1)
[[ -f $bench_dll ]] || fail "no CaptureBench.dll"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port/
echo "== start the dashboard on $url"
dotnet "$dll" --urls "$url" >"$work/app.log" 2>&1 &
app_pid=$!
for ((i = 0; i < 300; i++)); do
    kill -0 "$app_pid" 2>/dev/null || fail "the dashboard exited"
    login=$(grep -o 'Sign in by opening: .*' "$work/app.log" | head -1 | cut -d' ' -f5) && [[ -n $login ]] && break
    sleep 0.2
done
[[ $login == *'?token='* ]] || fail "the dashboard printed no login link within 60 s"
token=${login##*\?token=}
before=$(ls -A "$runtime")
echo "   $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo '+uncommitted src changes')"
# The runtime's and glibc's knobs that the dashboard inherits (not the SDK's own DOTNET_CLI_* and the like).
{ env | grep -E '^(MALLOC_|DOTNET_)' | grep -vE '^DOTNET_(CLI_|NOLOGO|GENERATE_|SKIP_|ROOT)' || true; } | sort | paste -sd' ' | sed 's/^./   runtime settings from the environment: &/'

# --- cycles -----------------------------------------------------------------------------------------------------------
echo "== $cycles cycles of labs/seed-bridge.yaml"
leaks=0
for ((cycle = 1; cycle <= cycles; cycle++)); do
    lab=soak-$$-$cycle
    t0=$(now_ms)
    out=$(api POST api/labs "{\"file\":\"seed-bridge.yaml\",\"name\":\"$lab\"}")
    [[ $(code "$out") == 201 ]] || fail "create $lab: $(body "$out")"
    t1=$(now_ms)
    processes=()
    for ns in $(ip netns list | awk '{print $1}' | grep -xE "netdash-$lab-(host|wan|pc)"); do
        for pid in $(ip netns pids "$ns"); do processes+=("$pid:$(start_of "$pid")"); done
    done

    rm -f "$work/status.json"
    dotnet "$bench_dll" stream --url "$url" --token "$token" --lab "$lab" --panes host/br0 --status "$work/status.json" >"$work/client.log" 2>&1 &
    client_pid=$!
    wait_for 30 "the capture on br0 of $lab" capturing
    out=$(api POST "api/labs/$lab/vms/vm1/exec" '{"command":"ping -c 1 -W 2 192.168.1.11","timeoutSeconds":30}')
    [[ $(code "$out") == 200 && $(body "$out" | jq .exitCode) == 0 ]] || fail "vm1 did not ping vm2 in $lab: $(body "$out")"
    wait_for 5 "rows of the ping on br0" captured

    t2=$(now_ms)
    out=$(api DELETE "api/labs/$lab")
    [[ $(code "$out") == 200 ]] || fail "delete $lab: $(body "$out")"
    t3=$(now_ms)
    # The hub client is still there: its capture must let go of the deleted namespace rather than keep it alive.
    for ((i = 0; i < 30; i++)); do [[ -z $(foreign_sockets) ]] && break; sleep 0.1; done
    left=()
    while read -r fd where; do left+=("fd $fd: a socket in $where, a deleted namespace"); done < <(foreign_sockets)
    stop_pid "$client_pid" "the hub client" 2>/dev/null
    client_pid=''

    for ns in $(ip netns list | awk '{print $1}' | grep -xE "netdash-$lab-(host|wan|pc)"); do left+=("namespace $ns"); done
    for entry in "${processes[@]}"; do
        pid=${entry%%:*}
        alive "$pid" && [[ $(start_of "$pid") == "${entry#*:}" ]] && left+=("process $pid ($(cat "/proc/$pid/comm" 2>/dev/null))")
    done
    while read -r path; do left+=("unix socket $path"); done < <(awk -v dir="$runtime/$lab/" 'index($NF, dir) == 1 { print $NF }' /proc/net/unix)
    while read -r name; do left+=("runtime file $name"); done < <(comm -13 <(echo "$before") <(ls -A "$runtime"))
    while read -r rule; do left+=("firewall rule: $rule"); done < <(nft list ruleset 2>/dev/null | grep -F "\"netdash:$lab\"" || true)

    t4=$(now_ms)
    rss=$(rss_kib) fd=$(fds)
    echo "$((t4 - t0)) $((t1 - t0)) $((t3 - t2)) $rss $fd" >>"$work/cycles"
    ((cycle == 1)) && { rss1=$rss fd1=$fd parts1=$(rss_parts); }
    leaks=$((leaks + ${#left[@]}))
    printf 'cycle %3d/%d: %5.1f s (create %4.1f s, delete %3.1f s)  RSS %4d MiB (%s)  %d fds  %s\n' "$cycle" "$cycles" \
        "$(awk -v ms=$((t4 - t0)) 'BEGIN { print ms / 1000 }')" "$(awk -v ms=$((t1 - t0)) 'BEGIN { print ms / 1000 }')" \
        "$(awk -v ms=$((t3 - t2)) 'BEGIN { print ms / 1000 }')" $((rss / 1024)) "$(rss_parts)" "$fd" \
        "$( ((${#left[@]} == 0)) && echo "nothing left" || { printf 'LEFT: '; printf '%s; ' "${left[@]}"; })"
done

# --- report -----------------------------------------------------------------------------------------------------------
stat_s() { # stat_s COLUMN: median, p90 (nearest rank) and max of a column of $work/cycles, in seconds
    awk -v c="$1" '{ print $c }' "$work/cycles" | sort -n |
        awk '{ v[NR] = $1 } END { p = int(0.9 * NR + 0.999); printf "%.1f / %.1f / %.1f", v[int((NR + 1) / 2)] / 1000, v[p] / 1000, v[NR] / 1000 }'
}
growth() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f", 100 * (b - a) / a }'; }
echo
echo "== $cycles cycles, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo "   cycle time, s (median / p90 / max): $(stat_s 1)   create: $(stat_s 2)   delete: $(stat_s 3)"
echo "   RSS after cycle 1: $((rss1 / 1024)) MiB ($parts1); after cycle $cycles: $((rss / 1024)) MiB ($(rss_parts)), $(growth "$rss1" "$rss") %"
echo "   open fds after cycle 1: $fd1; after cycle $cycles: $fd ($(growth "$fd1" "$fd") %)"
echo "   leaks found: $leaks"
echo "cycles=$cycles leaks=$leaks cycle_median_s=$(stat_s 1 | cut -d' ' -f1) rss_growth_pct=$(growth "$rss1" "$rss") fd_growth_pct=$(growth "$fd1" "$fd")"
