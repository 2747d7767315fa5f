#!/usr/bin/env bash
# Benchmark (not a test) of the dashboard's performance goals, measured in Debian's Chromium (Playwright):
#   (a) first render of /labs/LAB for a seed-nat lab (two VMs): navigation start → the graph holds every node
#       (data-nodes has vm:vm2 and link:host:br0); median of LOADS page loads, a new page each time (goal ≤ 1 s);
#   (b) kernel change → graph: CHANGES times `ip -n netdash-LAB-host link add brN type bridge`, until data-nodes has
#       link:host:brN, stamped in the browser (epoch ms) against epoch ms taken just before the ip command;
#       p50/p95/max (goal p95 ≤ 500 ms), against `ip -n netdash-LAB-host monitor link` seeing the same change.
#
#   sudo bench/ui-latency.sh
#
# Env: LOADS=5  CHANGES=20  NETDASH_GUEST_DIR (the built-in guest, default /var/cache/netdashboard/guest)
#      QUIET=1 after the lab is up, wait (up to 1 min) until the machine is >= 80 % idle; QUIET=0 does not wait
# It builds Release (src/NetDashboard and bench/UiLatency), starts the app on a free loopback port with its own
# runtime and state folders, reads the login link the app prints (the bench signs the browser in with it first),
# brings up labs/seed-nat.yaml as uilat-<pid>, runs bench/UiLatency, and on any exit stops what it started: the bench
# and the app by their pids, the lab with `lab down`, then the runtime folder.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"
loads=${LOADS:-5}
changes=${CHANGES:-20}
lab=uilat-$$
export NETDASH_GUEST_DIR=${NETDASH_GUEST_DIR:-/var/cache/netdashboard/guest}
export NetDashboard__GuestImageFolder=$NETDASH_GUEST_DIR

[[ $loads =~ ^[1-9][0-9]?$ ]] || { echo "LOADS must be 1-99" >&2; exit 2; }
[[ $changes =~ ^[1-9][0-9]?$ ]] || { echo "CHANGES must be 1-99" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "run as root: sudo $0" >&2; exit 2; }
for tool in dotnet ip curl qemu-system-x86_64; do
    command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done
[[ -x /usr/bin/chromium ]] || { echo "missing: /usr/bin/chromium (apt-get install chromium)" >&2; exit 2; }
[[ -x /usr/bin/python3 ]] || { echo "missing: /usr/bin/python3" >&2; exit 2; }
[[ -f $NETDASH_GUEST_DIR/initrd.gz ]] || { echo "no built-in guest in $NETDASH_GUEST_DIR (scripts/build-guest-image.sh)" >&2; exit 2; }

cd "$repo"
dll=$repo/src/NetDashboard/bin/Release/net10.0/NetDashboard.dll
bench_dll=$repo/bench/UiLatency/bin/Release/net10.0/UiLatency.dll
runtime=$(mktemp -d "${TMPDIR:-/tmp}/netdash-uilat.XXXXXX")
mkdir -m 700 "$runtime/state"
# The app's access token lives in its state folder; a private one, removed with the runtime folder.
export NetDashboard__RuntimeRoot=$runtime NetDashboard__StateFolder=$runtime/state
app_pid='' bench_pid='' lab_made=0

# --- cleanup: only what this script started ---------------------------------------------------
stop_pid() { # stop_pid PID NAME: TERM, up to 10 s, then KILL; only while PID is still our child
    local pid=$1 i
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    echo "cleanup: stopping $2 (pid $pid)" >&2
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "$bench_pid" "the bench"
    stop_pid "$app_pid" "the dashboard"
    if ((lab_made)) || ip netns list | grep -q "^netdash-$lab-"; then
        echo "cleanup: lab down $lab" >&2
        dotnet "$dll" lab down "$lab" >/dev/null 2>&1 || echo "cleanup: could not remove lab $lab" >&2
    fi
    rm -rf -- "$runtime"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# --- build ------------------------------------------------------------------------------------
echo "== build (Release)"
dotnet build -c Release src/NetDashboard -nologo -v q >/dev/null
dotnet build -c Release bench/UiLatency -nologo -v q >/dev/null

# --- the app ----------------------------------------------------------------------------------
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port/
echo "== start the dashboard on $url (runtime folder $runtime)"
dotnet "$dll" --urls "$url" >"$runtime/app.log" 2>&1 &
app_pid=$!
# Every page needs sign-in: the app prints its login link (…/?token=…) on stdout once it serves; the bench opens
# it in the browser first, as a person does.
login=''
for ((i = 0; i < 300; i++)); do
    kill -0 "$app_pid" 2>/dev/null || { echo "the dashboard exited:" >&2; cat "$runtime/app.log" >&2; exit 1; }
    login=$(grep -o 'Sign in by opening: .*' "$runtime/app.log" | head -1 | cut -d' ' -f5) && [[ -n $login ]] && break
    sleep 0.2
done
[[ $login == *'?token='* ]] || { echo "the dashboard printed no login link within 60 s" >&2; exit 1; }
curl -sf -o /dev/null -H "Authorization: Bearer ${login##*\?token=}" "$url" || { echo "the dashboard did not answer" >&2; exit 1; }

# --- the lab ----------------------------------------------------------------------------------
echo "== lab up labs/seed-nat.yaml --name $lab --wait"
lab_made=1
dotnet "$dll" lab up labs/seed-nat.yaml --name "$lab" --wait >"$runtime/lab-up.log" 2>&1 \
    || { echo "lab up failed:" >&2; cat "$runtime/lab-up.log" >&2; exit 1; }

if [[ ${QUIET:-1} == 1 ]]; then
    for ((i = 0; i < 60; i++)); do (($(idle_pct) >= 80)) && break; done
fi

# --- the bench --------------------------------------------------------------------------------
echo "== bench: $loads page loads, $changes kernel changes; $(nproc) cores, load average $(loadavg) at the start"
dotnet "$bench_dll" --url "$url" --login "$login" --lab "$lab" --loads "$loads" --changes "$changes" --markdown "$runtime/results.md" &
bench_pid=$!
wait "$bench_pid"
bench_pid=''
echo
echo "load average at the end: $(loadavg); $(nproc) cores; $(uname -r); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
