#!/usr/bin/env bash
# Benchmark (not a test): boot-to-ready time of the built-in guest under TCG (goal: <= 4 s), two ways in one run.
#
#   sudo bench/vm-boot.sh [RUNS]        # RUNS (or env RUNS) defaults to 5
#
# (a) through the tool: a lab of labs/seed-tap.yaml (one VM) is brought up once with --wait; then each run times
#     `vm restart LAB vm1` (QMP quit, start QEMU, wait until the guest's agent answers) and, separately,
#     `vm stop` and `vm start`; .NET start-up is measured in the same runs by `lab ls` and subtracted.
#     A watcher (python3, read-only) stamps when NETDASH-READY appears in the VM's serial.log, so each start
#     splits into "launch -> guest ready" and "guest ready -> CLI returned".
# (b) the reference: plain qemu-system-x86_64 with the tool's argv shape (CommandBuilder.QemuArguments: same
#     machine, memory, devices, sockets, kernel command line, -daemonize), started by this script in a namespace
#     of its own, timed from launch until NETDASH-READY arrives on its agent socket (ttyS1).
# Runs of (a) and (b) alternate, so both see the same machine load.
#
# Env: RUNS=5  WARMUP=1 (untimed runs of each first)  DLL=path/NetDashboard.dll (skip the build)
#      QUIET=1 before each timed step, wait (up to 2 min) until the machine is >= 80 % idle; QUIET=0 does not wait
#      NETDASH_GUEST_DIR  the built-in guest (default /var/cache/netdashboard/guest); the tool gets the same
#                         folder through NetDashboard__GuestImageFolder. vmlinux is preferred, as the tool does.
# Only what this script made is ever removed, also on failure: its lab bvm-<pid> (lab down) and, for (b),
# its QEMUs (by pid) and namespaces netdash-bvmr-<pid>-<i>-host.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
runs=${1:-${RUNS:-5}}
warmup=${WARMUP:-1}
dll=${DLL:-}
guest=${NETDASH_GUEST_DIR:-/var/cache/netdashboard/guest}
export NetDashboard__GuestImageFolder=$guest
runtime_root=${NetDashboard__RuntimeRoot:-/run/netdashboard}
labfile=labs/seed-tap.yaml
kernel=$guest/vmlinux
[[ -f $kernel ]] || kernel=$guest/vmlinuz
initrd=$guest/initrd.gz
py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3 || true)

[[ $runs =~ ^[1-9][0-9]{0,2}$ ]] || { echo "RUNS must be 1-999" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "run as root: sudo $0" >&2; exit 2; }
for tool in dotnet ip qemu-system-x86_64 jq; do
    command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done
[[ -n $py ]] || { echo "missing: python3" >&2; exit 2; }
[[ -f $kernel && -f $initrd ]] || { echo "no built-in guest in $guest (scripts/build-guest-image.sh)" >&2; exit 2; }

cd "$repo"
work=$(mktemp -d "${TMPDIR:-/tmp}/netdash-bench-vm.XXXXXX")
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"
lab=bvm-$$

# --- cleanup: only what this script made ------------------------------------------------------
alive() { # a pid that exists and is not a zombie
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}
lab_made= ref_pid= ref_ns=
ref_stop() { # the reference QEMU (by pid, only while it is still that QEMU), then its namespace
    if [[ -n $ref_pid ]] && tr '\0' ' ' <"/proc/$ref_pid/cmdline" 2>/dev/null | grep -q "^qemu-system-x86_64 -name vm1 .*$work/"; then
        kill -TERM "$ref_pid" 2>/dev/null || true
        local n=0
        while alive "$ref_pid" && ((n++ < 300)); do sleep 0.01; done
        if alive "$ref_pid"; then kill -KILL "$ref_pid" 2>/dev/null || true; fi
    fi
    ref_pid=
    if [[ -n $ref_ns ]] && ip netns list | awk '{print $1}' | grep -qxF -- "$ref_ns"; then
        ip netns del "$ref_ns"
    fi
    ref_ns=
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    ref_stop || echo "cleanup: could not remove the reference QEMU/namespace" >&2
    if [[ -n $lab_made ]]; then
        dotnet "$dll" lab down "$lab" >/dev/null 2>&1 || echo "cleanup: could not remove lab $lab" >&2
    fi
    rm -rf -- "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- helpers ----------------------------------------------------------------------------------
now() { echo "${EPOCHREALTIME/./}000"; }          # ns, same clock as python's time.time_ns()
fail() { echo "FAILED: $*" >&2; [[ -s $work/out ]] && sed 's/^/  | /' "$work/out" >&2; exit 1; }
record() { echo "$2" >>"$work/$1"; }
ms() { awk -v ns="$1" 'BEGIN { printf "%.0f", ns / 1e6 }'; }
med_raw() { sort -n "$work/$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2] + v[NR/2+1]) / 2 }'; }
med() { ms "$(med_raw "$1")"; }


# watch_log FILE PIDFILE: prints "time_ns cpu_ms" when a *new* FILE (replaced or re-created since the watch began)
# holds NETDASH-READY, or "none" after 120 s; cpu_ms is the CPU time (user+system) QEMU (PIDFILE) has used by then,
# which, unlike wall time, does not grow when other work competes for the 2 cores. Read-only.
watch_log() {
    "$py" - "$1" "$2" <<'PY'
import os, sys, time
path, pidfile = sys.argv[1], sys.argv[2]
def cpu_ms():
    try:
        pid = open(pidfile).read().strip()
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) * 1000 // os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return -1
def ino():
    try: return os.stat(path).st_ino
    except FileNotFoundError: return None
first, gone, end = ino(), False, time.monotonic() + 120
while time.monotonic() < end:
    i = ino()
    if i is None: gone = True
    elif gone or i != first:
        try:
            with open(path, "rb") as f:
                if b"NETDASH-READY" in f.read():
                    print(time.time_ns(), cpu_ms()); sys.exit(0)
        except FileNotFoundError: pass
    time.sleep(0.005)
print("none")
PY
}

# watch_agent SOCK PIDFILE: connects as soon as SOCK exists, prints "time_ns cpu_ms" when NETDASH-READY (or a PONG:
# PING is sent after each second of silence, for a READY that came before we listened) arrives, or "none" after 120 s.
watch_agent() {
    "$py" - "$1" "$2" <<'PY'
import os, select, socket, sys, time
path, pidfile, end = sys.argv[1], sys.argv[2], time.monotonic() + 120
def cpu_ms():
    try:
        pid = open(pidfile).read().strip()
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) * 1000 // os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return -1
while True:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path); break
    except OSError:
        s.close()
        if time.monotonic() > end: print("none"); sys.exit(0)
        time.sleep(0.002)
buf, last = b"", time.monotonic()
while time.monotonic() < end:
    if time.monotonic() - last > 1:
        s.sendall(b"NETDASH-PING bench\n"); last = time.monotonic()
    r, _, _ = select.select([s], [], [], 0.1)
    if not r: continue
    data = s.recv(4096)
    if not data: break
    t = time.time_ns()
    buf += data
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        if line.startswith(b"NETDASH-READY") or line.startswith(b"NETDASH-PONG bench"):
            print(t, cpu_ms()); sys.exit(0)
    last = time.monotonic()
print("none")
PY
}

# The duration the tool journaled for its last `qemu-system-x86_64 ... -daemonize` (ms).
journal_qemu_ms() {
    jq -r 'select(any(.argv[]?; . == "qemu-system-x86_64")) | .durationMs' "$runtime_root/$lab/journal.jsonl" | tail -1
}

# tool_vm VERB SERIES: times `vm VERB lab vm1`; for start/restart also when the new serial.log says READY.
tool_vm() {
    local verb=$1 series=$2 t0 t1 ready= cpu=
    if [[ $verb != stop ]]; then
        watch_log "$runtime_root/$lab/vms/vm1/serial.log" "$runtime_root/$lab/vms/vm1/qemu.pid" >"$work/ready" &
        local watcher=$!
        sleep 0.05   # let the watcher take its first look at the old log
    fi
    t0=$(now)
    dotnet "$dll" vm "$verb" "$lab" vm1 >"$work/out" 2>&1 || fail "vm $verb $lab vm1"
    t1=$(now)
    if [[ $verb != stop ]]; then
        wait "$watcher" || true
        read -r ready cpu <"$work/ready" || true
        [[ $ready =~ ^[0-9]+$ ]] || fail "vm $verb: no NETDASH-READY in the new serial.log"
        grep -q '^vm1 is running' "$work/out" || fail "vm $verb: not running: $(cat "$work/out")"
    fi
    if [[ -n $series ]]; then
        record "$series" $((t1 - t0))
        if [[ -n $ready ]]; then
            record "${series}_ready" $((ready - t0))        # launch -> READY in serial.log
            record "${series}_after" $((t1 - ready))        # READY -> CLI exited
            record "${series}_cpu" $((cpu * 1000000))         # QEMU CPU time until READY
            record "${series}_qemu" "$(journal_qemu_ms | awk '{ printf "%.0f", $1 * 1e6 }')"
        fi
    fi
}

startup() { # .NET start-up: `lab ls` (configuration, DI, command tree, one `ip netns list`)
    local t0 t1
    t0=$(now); dotnet "$dll" lab ls >/dev/null; t1=$(now)
    [[ -n ${1:-} ]] && record startup $((t1 - t0))
    return 0
}

ref_boot() { # the reference: the tool's argv shape, launched and timed here. ref_boot ID [SERIES] [debug]
    local i=$1 series=${2:-} d=$work/ref-$1 t0 t1 ready append="console=ttyS0 quiet no_timer_check netdash.name=vm1 netdash.ipv6=0"
    [[ ${3:-} == debug ]] && append+=" netdash.debug=1"
    ref_ns=netdash-bvmr-$$-$i-host
    mkdir -p "$d"
    ip netns add "$ref_ns"
    watch_agent "$d/agent.sock" "$d/qemu.pid" >"$d/ready" &
    local watcher=$!
    sleep 0.05
    t0=$(now)
    ip netns exec "$ref_ns" qemu-system-x86_64 -name vm1 -machine pc,accel=tcg -m 256 -nodefaults -no-user-config \
        -vga std -vnc "unix:$d/vnc.sock" -qmp "unix:$d/qmp.sock,server=on,wait=off" \
        -chardev "socket,id=console,path=$d/serial.sock,server=on,wait=off,logfile=$d/serial.log" -serial chardev:console \
        -chardev "socket,id=agent,path=$d/agent.sock,server=on,wait=off" -serial chardev:agent \
        -netdev "tap,id=mynet0,ifname=tap1,script=no,downscript=no" \
        -device "e1000,netdev=mynet0,mac=52:54:98:76:54:30,autonegotiation=off" \
        -kernel "$kernel" -initrd "$initrd" -append "$append" \
        -daemonize -pidfile "$d/qemu.pid" >"$work/out" 2>&1 || { kill "$watcher" 2>/dev/null; fail "reference qemu"; }
    t1=$(now)
    ref_pid=$(cat "$d/qemu.pid")
    wait "$watcher" || true
    local cpu
    read -r ready cpu <"$d/ready" || true
    [[ $ready =~ ^[0-9]+$ ]] || fail "reference guest: no NETDASH-READY on the agent socket"
    if [[ -n $series ]]; then
        record ref_qemu $((t1 - t0))      # launch -> -daemonize returned
        record ref_ready $((ready - t0))  # launch -> READY on ttyS1
        record ref_cpu $((cpu * 1000000))  # QEMU CPU time until READY
    fi
    if [[ ${3:-} == debug ]]; then       # the guest's own stamps: "netdash: <seconds since its kernel started> <what>"
        echo "$((t1 - t0)) $((ready - t0))" >"$work/debug-host"
        sed -n 's/^netdash: \([0-9.]*\) \(.*\)$/\1 \2/p' "$d/serial.log" | tr -d '\r' >"$work/debug-stamps"
    fi
    ref_stop
}

# --- build once (into a private folder, so another build can't swap the binary mid-run) -----------------
build_once

echo "timing: dotnet $dll"
echo "guest: $kernel + $initrd (TCG)"
echo "machine: $(nproc) cores, $(uname -r), qemu $(qemu-system-x86_64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p'), dotnet $(dotnet --version), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load average at start: $(cut -d" " -f1-3 /proc/loadavg) (other work on the machine skews the numbers)"

# --- the tool's lab: one VM, up once -----------------------------------------------------------
lab_made=1
dotnet "$dll" lab up "$labfile" --name "$lab" --wait >"$work/out" 2>&1 || fail "lab up $labfile --name $lab --wait"
echo "lab $lab up ($labfile, vm1 ready); warm-up: $warmup untimed run(s) of each; then $runs timed runs"

for ((i = 1; i <= warmup; i++)); do
    startup; tool_vm restart ""; tool_vm stop ""; tool_vm start ""; ref_boot "w$i"
done
for ((i = 1; i <= runs; i++)); do
    if ((i % 2)); then
        wait_quiet; startup timed; wait_quiet; tool_vm restart restart; tool_vm stop stop
        wait_quiet; tool_vm start start; wait_quiet; ref_boot "$i" timed
    else
        wait_quiet; ref_boot "$i" timed; tool_vm stop stop; wait_quiet; tool_vm start start
        wait_quiet; tool_vm restart restart; wait_quiet; startup timed
    fi
    printf '  run %d: tool restart %s ms (start-up %s ms), tool start %s ms, reference boot %s ms\n' "$i" \
        "$(ms "$(tail -1 "$work/restart")")" "$(ms "$(tail -1 "$work/startup")")" \
        "$(ms "$(tail -1 "$work/start")")" "$(ms "$(tail -1 "$work/ref_ready")")"
done
# One more reference boot, untimed, with netdash.debug=1: the guest stamps its boot phases on ttyS0.
wait_quiet; ref_boot debug "" debug
echo "load average at end: $(cut -d" " -f1-3 /proc/loadavg)"

# --- report -----------------------------------------------------------------------------------
paste -d' ' "$work/startup" "$work/restart" "$work/stop" "$work/start" "$work/start_ready" "$work/ref_ready" >"$work/table"
echo
echo "boot to ready of the built-in guest, $runs runs, ms (TCG, $(nproc) cores, $(basename "$kernel"))"
echo "| run | \`lab ls\` (start-up) | \`vm restart\` | restart − start-up | \`vm stop\` | \`vm start\` | start − start-up | READY in serial.log after \`vm start\` launch | reference: launch → READY on agent |"
echo "|---|---|---|---|---|---|---|---|---|"
awk '{ printf "| %d | %.0f | %.0f | **%.0f** | %.0f | %.0f | %.0f | %.0f | **%.0f** |\n", NR, $1/1e6, $2/1e6, ($2-$1)/1e6, $3/1e6, $4/1e6, ($4-$1)/1e6, $5/1e6, $6/1e6 }' "$work/table"
awk '{ print $2 - $1 }' "$work/table" >"$work/restart_net"
awk '{ print $4 - $1 }' "$work/table" >"$work/start_net"
printf '| median | %s | %s | **%s** | %s | %s | %s | %s | **%s** |\n' "$(med startup)" "$(med restart)" "$(med restart_net)" \
    "$(med stop)" "$(med start)" "$(med start_net)" "$(med start_ready)" "$(med ref_ready)"
echo
verdict() { awk -v v="$(med_raw "$1")" 'BEGIN { printf "%.2f s: %s", v / 1e9, (v <= 4e9 ? "within the 4 s goal" : sprintf("%.2f s over the 4 s goal", v / 1e9 - 4)) }'; }
echo "median boot to ready through the tool, vm restart − .NET start-up: $(verdict restart_net)   (includes stopping the VM)"
echo "median boot to ready through the tool, vm start − .NET start-up:   $(verdict start_net)"
echo "median boot to ready of plain QEMU (reference):                    $(verdict ref_ready)"
echo
echo "where the tool's \`vm start\` goes (medians, ms):"
printf '  .NET start-up (`lab ls`)                               %6s\n' "$(med startup)"
printf '  QEMU launch until -daemonize returns: tool (journal)   %6s   reference %s\n' "$(med start_qemu)" "$(med ref_qemu)"
printf '  CLI launch -> NETDASH-READY in serial.log              %6s   (reference launch -> READY: %s)\n' "$(med start_ready)" "$(med ref_ready)"
printf '  NETDASH-READY -> CLI exited (ready detection, exit)    %6s   (WaitReadyAsync: READY on the console, then one PING)\n' "$(med start_after)"
printf '  QEMU CPU time (user+sys) until READY: tool %s, reference %s\n' "$(med start_cpu)" "$(med ref_cpu)"
echo "    (unlike wall time, not inflated by other work on the machine; wall − CPU = the guest's idle waits + waiting for a core)"
printf '  `vm stop` (start-up + QMP quit + exit)                 %6s\n' "$(med stop)"
printf '  `vm restart`: READY after %s ms, CLI exited %s ms later\n' "$(med restart_ready)" "$(med restart_after)"
echo
echo "inside the reference boot (one extra run with netdash.debug=1; guest clock = seconds since its kernel started):"
read -r dq dr <"$work/debug-host"
printf '  host: launch -> -daemonize returned %s ms; launch -> READY on the agent %s ms\n' "$(ms "$dq")" "$(ms "$dr")"
awk '{ printf "  guest %6.0f ms  %s\n", $1 * 1000, substr($0, length($1) + 2) }' "$work/debug-stamps"
last_stamp=$(awk 'END { print $1 * 1000 }' "$work/debug-stamps")
first_stamp=$(awk 'NR == 1 { print $1 * 1000 }' "$work/debug-stamps")
printf '  => before the guest kernel clock starts (QEMU start, firmware, loading the kernel): ~%s ms;\n' \
    "$(awk -v r="$dr" -v l="$last_stamp" 'BEGIN { printf "%.0f", r / 1e6 - l }')"
printf '     kernel start -> /init: %s ms; /init -> agent ready: %s ms\n' "$(printf '%.0f' "$first_stamp")" \
    "$(awk -v a="$first_stamp" -v b="$last_stamp" 'BEGIN { printf "%.0f", b - a }')"
