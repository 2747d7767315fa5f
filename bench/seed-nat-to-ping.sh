#!/usr/bin/env bash
# Benchmark (not a test): wall time from `NetDashboard lab up labs/seed-nat.yaml --wait` to the first successful
# `vm exec LAB vm1 -- ping -c1 -W2 203.0.113.5` (goal: <= 12 s), against the hand-written
# bench/seed-nat-manual.sh doing the same steps (namespaces, cables, br0, NAT, internet server, two QEMUs with
# the tool's argv, taps into br0, guests configured and pinging over their agent sockets).
#
#   sudo bench/seed-nat-to-ping.sh [ROUNDS]      # ROUNDS (or env ROUNDS) defaults to 3
#
# Env: ROUNDS=3  WARMUP=1 (untimed rounds of each first)  DLL=path/NetDashboard.dll (skip the build)
#      QUIET=1 before each timed lab, wait (up to 2 min) until the machine is >= 80 % idle; QUIET=0 does not wait
#      NETDASH_GUEST_DIR  the built-in guest (default /var/cache/netdashboard/guest); the tool gets the same
#                         folder through NetDashboard__GuestImageFolder, the manual script reads the variable.
# Each round times tool and manual (the order alternates round by round), then takes both labs down (timed
# too, for information). Every output line of both is stamped as it arrives (bash $EPOCHREALTIME, no fork),
# which splits the runs into phases without tracing them.
# Only labs this script created (bnat-<pid>-<i>, bnatm-<pid>-<i>) are ever removed, also on failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
rounds=${1:-${ROUNDS:-3}}
warmup=${WARMUP:-1}
dll=${DLL:-}
labfile=labs/seed-nat.yaml
manual=$here/seed-nat-manual.sh
export NETDASH_GUEST_DIR=${NETDASH_GUEST_DIR:-/var/cache/netdashboard/guest}
export NetDashboard__GuestImageFolder=$NETDASH_GUEST_DIR
runtime_root=${NetDashboard__RuntimeRoot:-/run/netdashboard}

[[ $rounds =~ ^[1-9][0-9]{0,2}$ ]] || { echo "ROUNDS must be 1-999" >&2; exit 2; }
[[ $warmup =~ ^[0-9]$ ]] || { echo "WARMUP must be 0-9" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "run as root: sudo $0" >&2; exit 2; }
for tool in dotnet ip iptables sysctl busybox qemu-system-x86_64; do
    command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done
[[ -x /usr/bin/python3 ]] || command -v python3 >/dev/null || { echo "missing: python3" >&2; exit 2; }
[[ -f $NETDASH_GUEST_DIR/initrd.gz ]] || { echo "no built-in guest in $NETDASH_GUEST_DIR (scripts/build-guest-image.sh)" >&2; exit 2; }

cd "$repo"
work=$(mktemp -d "${TMPDIR:-/tmp}/netdash-bench-nat.XXXXXX")
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"

# --- cleanup: only what this script made ------------------------------------------------------
tool_labs=() manual_labs=()
ns_exist() { ip netns list | awk '{print $1}' | grep -qE -- "^netdash-$1-(host|wan|pc)\$"; }
cleanup() {
    local rc=$? lab
    trap - EXIT INT TERM
    for lab in "${tool_labs[@]}"; do
        if ns_exist "$lab" || [[ -d $runtime_root/$lab ]]; then
            echo "cleanup: lab down $lab" >&2
            dotnet "$dll" lab down "$lab" >/dev/null 2>&1 || echo "cleanup: could not remove tool lab $lab" >&2
        fi
    done
    for lab in "${manual_labs[@]}"; do
        if ns_exist "$lab" || [[ -d ${TMPDIR:-/tmp}/netdash-natm-$lab ]]; then
            echo "cleanup: $manual down $lab" >&2
            "$manual" down "$lab" >/dev/null 2>&1 || echo "cleanup: could not remove manual lab $lab" >&2
        fi
    done
    rm -rf -- "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- helpers ----------------------------------------------------------------------------------
us() { echo "${EPOCHREALTIME/./}"; }
fail() { echo "FAILED: $*" >&2; [[ -s $work/out ]] && sed 's/^/  | /' "$work/out" >&2; exit 1; }
record() { echo "$2" >>"$work/$1"; }

# stamp T0 CMD...: prints "<us since T0> <line>" for each output line of CMD, then "<us> <rc> EXITCODE".
stamp() {
    local t0=$1 line
    shift
    while IFS= read -r line; do printf '%s %s\n' $(($(us) - t0)) "$line"; done < <("$@" 2>&1; echo "<rc> $?")
}
# run_stamped T0 OUT CMD...: stamp into OUT, fail unless CMD exited 0.
run_stamped() {
    local t0=$1 out=$2
    shift 2
    stamp "$t0" "$@" >"$out"
    grep -q '^[0-9]* <rc> 0$' "$out"
}
at() { # at FILE REGEX [first|last]: the stamp (us) of the first/last line matching REGEX
    awk -v re="$2" -v which="${3:-first}" '{ t = $1; sub(/^[0-9]+ /, "") } $0 ~ re { if (which == "first" && !f) { f = t } if (which == "last") f = t } END { print f + 0 }' "$1"
}


# watch_ready FOLDER VM...: passive (read-only) watcher of the tool's VM folders: prints "VM <time us>" when
# FOLDER/vms/VM/serial.log first holds NETDASH-READY (the guest prints it on ttyS0 as its agent starts).
py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3)
watch_ready() {
    "$py" - "$@" <<'PY'
import sys, time
folder, vms = sys.argv[1], sys.argv[2:]
end = time.monotonic() + 120
while vms and time.monotonic() < end:
    for vm in list(vms):
        try:
            with open(f"{folder}/vms/{vm}/serial.log", "rb") as f:
                if b"NETDASH-READY" in f.read():
                    print(vm, time.time_ns() // 1000, flush=True); vms.remove(vm)
        except FileNotFoundError:
            pass
    time.sleep(0.01)
PY
}

# The tool: lab up --wait, then vm exec ping until the first reply.
tool_round() {
    local lab=$1 timed=${2:-} t0 t_up t_end tries=0 watcher
    tool_labs+=("$lab")
    watch_ready "$runtime_root/$lab" vm1 vm2 >"$work/ready" &
    watcher=$!
    sleep 0.05
    t0=$(us)
    run_stamped "$t0" "$work/tl" dotnet "$dll" lab up "$labfile" --name "$lab" --wait \
        || { cp "$work/tl" "$work/out"; fail "tool lab up $lab"; }
    t_up=$(us)
    while :; do
        tries=$((tries + 1))
        if dotnet "$dll" vm exec "$lab" vm1 -- ping -c1 -W2 203.0.113.5 >"$work/out" 2>&1; then break; fi
        ((tries < 30)) || fail "tool: vm1 of $lab cannot ping 203.0.113.5"
    done
    t_end=$(us)
    wait "$watcher" || true
    local d0 d1
    d0=$(us)
    dotnet "$dll" lab down "$lab" >"$work/out" 2>&1 || fail "tool lab down $lab"
    d1=$(us)
    ! ns_exist "$lab" || fail "$lab: namespaces left after lab down"
    [[ -n $timed ]] || return 0
    record tool_total $((t_end - t0)); record tool_up $((t_up - t0)); record tool_ping $((t_end - t_up))
    record tool_tries "$tries"; record tool_down $((d1 - d0))
    local tl=$work/tl a w q tp v1 ex
    a=$(at "$tl" ' applying ')
    w=$(at "$tl" '^  ok .*busybox httpd')
    q=$(at "$tl" '^  ok .*qemu-system' last)
    tp=$(at "$tl" '^  ok .*(brctl addif|ifconfig) .*tap[0-9]' last)
    v1=$(at "$tl" '^  ok  [(]vm1[)][$] ' first)
    ex=$(at "$tl" '<rc>')
    record tp_start "$a"; record tp_world $((w - a)); record tp_qemu $((q - w)); record tp_taps $((tp - q))
    record tp_vm1 $((v1 - tp)); record tp_rest $((ex - v1)); record tp_gap $((t_up - t0 - ex))
    local r1 r2
    r1=$(awk '$1 == "vm1" { print $2 }' "$work/ready"); r2=$(awk '$1 == "vm2" { print $2 }' "$work/ready")
    [[ -n $r1 && -n $r2 ]] || fail "tool: no NETDASH-READY in the serial logs of $lab"
    record tr_vm1 $((r1 - t0)); record tr_vm2 $((r2 - t0))           # launch -> READY in serial.log
    record tr_seen $((v1 - (r1 - t0)))                               # vm1 READY -> first (vm1)$ command done
    awk '{ sub(/^[0-9]+ /, "") } /^  ok / { n++ } END { print n + 0 }' "$tl" >>"$work/tool_cmds"
}

# The manual script: `up` ends with vm1's first successful ping; its "== ..." lines mark the phases.
manual_round() {
    local lab=$1 timed=${2:-} t0 t1 d0 d1
    manual_labs+=("$lab")
    t0=$(us)
    run_stamped "$t0" "$work/ml" "$manual" up "$lab" || { cp "$work/ml" "$work/out"; fail "manual up $lab"; }
    t1=$(us)
    d0=$(us)
    "$manual" down "$lab" >"$work/out" 2>&1 || fail "manual down $lab"
    d1=$(us)
    ! ns_exist "$lab" || fail "$lab: namespaces left after manual down"
    [[ -n $timed ]] || return 0
    record manual_total $((t1 - t0)); record manual_down $((d1 - d0))
    local ml=$work/ml w q tp r c p
    w=$(at "$ml" '^== world'); q=$(at "$ml" '^== qemu started'); tp=$(at "$ml" '^== taps')
    r=$(at "$ml" '^== vm[12] ready' last); c=$(at "$ml" '^== guests configured'); p=$(at "$ml" '^== vm1 pinged')
    record mp_world "$w"; record mp_qemu $((q - w)); record mp_taps $((tp - q)); record mp_ready $((r - tp))
    record mp_config $((c - r)); record mp_ping $((p - c))
    record mr_vm1 "$(at "$ml" '^== vm1 ready')"; record mr_vm2 "$(at "$ml" '^== vm2 ready')"   # launch -> READY
}

# median and p90 (nearest rank) of a series of us, in ms
pct() { sort -n "$work/$1" | awk -v q="$2" '{ v[NR] = $1 } END { i = (q == 50) ? int((NR + 1) / 2) : int(NR * q / 100 + 0.999999); if (q == 50 && NR % 2 == 0) printf "%.0f", (v[NR/2] + v[NR/2+1]) / 2e3; else printf "%.0f", v[i] / 1e3 }'; }
med_raw() { sort -n "$work/$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2] + v[NR/2+1]) / 2 }'; }
med() { pct "$1" 50; }
last() { awk '{ v = $1 } END { printf "%.0f", v / 1e3 }' "$work/$1"; }   # the last sample, in ms

# --- build once (into a private folder, so another build can't swap the binary mid-run) -----------------
build_once
kernel=$NETDASH_GUEST_DIR/vmlinux
[[ -f $kernel ]] || kernel=$NETDASH_GUEST_DIR/vmlinuz

echo "timing: dotnet $dll"
echo "guest: $kernel (TCG); two VMs per lab"
echo "machine: $(nproc) cores, $(uname -r), qemu $(qemu-system-x86_64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p'), dotnet $(dotnet --version), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load average at start: $(cut -d" " -f1-3 /proc/loadavg) (other work on the machine skews the numbers)"
echo "warm-up: $warmup untimed round(s) of each; then $rounds timed rounds"

# --- rounds -----------------------------------------------------------------------------------
for ((i = 1; i <= warmup; i++)); do
    tool_round "bnat-$$-w$i"
    manual_round "bnatm-$$-w$i"
done
for ((i = 1; i <= rounds; i++)); do
    if ((i % 2)); then
        wait_quiet; tool_round "bnat-$$-$i" timed; wait_quiet; manual_round "bnatm-$$-$i" timed
    else
        wait_quiet; manual_round "bnatm-$$-$i" timed; wait_quiet; tool_round "bnat-$$-$i" timed
    fi
    printf '  round %d: tool %s ms (lab up --wait %s + vm exec ping %s, %s tries), manual %s ms\n' "$i" \
        "$(last tool_total)" "$(last tool_up)" "$(last tool_ping)" "$(tail -1 "$work/tool_tries")" "$(last manual_total)"
done
echo "load average at end: $(cut -d" " -f1-3 /proc/loadavg)"

# --- report -----------------------------------------------------------------------------------
echo
echo "seed-nat: start of lab up to vm1's first ping of 203.0.113.5, $rounds rounds, wall ms (TCG, $(nproc) cores, 2 VMs)"
echo "| | median | p90 |"
echo "|---|---|---|"
printf '| tool: `lab up --wait` + first successful `vm exec vm1 -- ping` | **%s** | %s |\n' "$(med tool_total)" "$(pct tool_total 90)"
printf '|   of which `lab up --wait` | %s | %s |\n' "$(med tool_up)" "$(pct tool_up 90)"
printf '|   of which `vm exec … ping` (tries per round: %s) | %s | %s |\n' "$(paste -sd/ "$work/tool_tries")" \
    "$(med tool_ping)" "$(pct tool_ping 90)"
printf '| manual script: `seed-nat-manual.sh up` (ends with the first ping) | **%s** | %s |\n' "$(med manual_total)" "$(pct manual_total 90)"
printf '| (lab down: tool / manual) | %s / %s | %s / %s |\n' "$(med tool_down)" "$(med manual_down)" "$(pct tool_down 90)" "$(pct manual_down 90)"
echo
ratio=$(awk -v a="$(med_raw tool_total)" -v b="$(med_raw manual_total)" 'BEGIN { printf "%.2f", a / b }')
echo "ratio tool/manual (medians): ${ratio}x"
echo "tool median: $(awk -v v="$(med_raw tool_total)" 'BEGIN { printf "%.2f s: %s", v / 1e6, (v <= 12e6 ? "within the 12 s goal" : sprintf("%.2f s over the 12 s goal", v / 1e6 - 12)) }')"
echo
echo "where the time goes (medians, ms):"
echo "  tool ($(tail -1 "$work/tool_cmds") journaled commands):"
printf '    launch -> "applying" (.NET start-up, YAML)                     %6s\n' "$(med tp_start)"
printf '    -> internet server up (namespaces, cables, br0, NAT: 24 cmds)  %6s\n' "$(med tp_world)"
printf '    -> both QEMUs started (-daemonize returned)                    %6s\n' "$(med tp_qemu)"
printf '    -> taps in br0 (re-read topology, 4 cmds)                      %6s\n' "$(med tp_taps)"
printf '    -> vm1 ready, state read, first (vm1)$ command done             %6s\n' "$(med tp_vm1)"
printf '    -> vm1 route, vm2 ready + configured, CLI done                 %6s\n' "$(med tp_rest)"
printf '    -> process exit                                                %6s\n' "$(med tp_gap)"
printf '    `vm exec vm1 -- ping` (new process: .NET start-up + agent)     %6s\n' "$(med tool_ping)"
printf '    guests READY (serial.log), from launch: vm1 %s, vm2 %s; vm1 READY -> its first command done %s\n' \
    "$(med tr_vm1)" "$(med tr_vm2)" "$(med tr_seen)"
echo "  manual script:"
printf '    namespaces, cables, br0, NAT, internet server                  %6s\n' "$(med mp_world)"
printf '    both QEMUs started (-daemonize returned)                       %6s\n' "$(med mp_qemu)"
printf '    taps in br0                                                    %6s\n' "$(med mp_taps)"
printf '    both guests ready (READY on their agent sockets)               %6s\n' "$(med mp_ready)"
printf '    4 configuration commands over the agents                       %6s\n' "$(med mp_config)"
printf '    (vm1)$ ping -c1 -W2 203.0.113.5 over the agent                 %6s\n' "$(med mp_ping)"
printf '    guests READY (agent), from launch: vm1 %s, vm2 %s\n' "$(med mr_vm1)" "$(med mr_vm2)"
