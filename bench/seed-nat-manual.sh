#!/usr/bin/env bash
# The hand-written counterpart of `NetDashboard lab up labs/seed-nat.yaml --name NAME --wait` followed by
# `vm exec NAME vm1 -- ping -c1 -W2 203.0.113.5`, and of `lab down NAME`: the same namespaces, cables,
# addresses, routes, br0, forwarding, MASQUERADE, internet server and two QEMU guests with the tool's argv,
# built with plain ip/iptables/sysctl/busybox/qemu and a few lines of python3 for the guests' agent sockets.
# Used by bench/seed-nat-to-ping.sh as the baseline.
#
#   sudo bench/seed-nat-manual.sh up NAME     # build lab NAME, configure the guests, ping from vm1 (first success)
#   sudo bench/seed-nat-manual.sh down NAME   # stop its QEMUs and httpd by pid, delete its namespaces and folder
#
# Env: NETDASH_GUEST_DIR  the built-in guest (default /var/cache/netdashboard/guest); vmlinux is preferred
#      to vmlinuz, as the tool does.
# Everything lives in the lab's own namespaces netdash-NAME-host/-wan/-pc; nothing is created in the root
# network namespace. The VMs' sockets, logs and pid files and the web root are in $TMPDIR/netdash-natm-NAME.
# `up` prints one "== ..." line per phase, so a caller can stamp when each phase ends.
set -euo pipefail

usage() { echo "usage: $0 up|down NAME   (NAME: 1-20 of a-z 0-9 -, starting with a letter or digit)" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
action=$1 name=$2
[[ $name =~ ^[a-z0-9][a-z0-9-]{0,19}$ ]] || usage

host=netdash-$name-host
wan=netdash-$name-wan
pc=netdash-$name-pc
run=${TMPDIR:-/tmp}/netdash-natm-$name
guest=${NETDASH_GUEST_DIR:-/var/cache/netdashboard/guest}
kernel=$guest/vmlinux
[[ -f $kernel ]] || kernel=$guest/vmlinuz
initrd=$guest/initrd.gz
py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3)

namespaces() { ip netns list | awk '{print $1}'; }

# The guest agent protocol (guest/README.md), spoken over the VM's second serial port (a unix socket).
#   agent wait SOCK...        until every guest said NETDASH-READY (or answered a PING); prints "NAME ready"
#   agent run SOCK COMMAND    run COMMAND in the guest, print its output, exit with its exit code
agent() {
    "$py" - "$@" <<'PY'
import base64, os, select, socket, sys, time, uuid

def connect(path, deadline):
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise SystemExit(f"cannot connect to {path}")
            time.sleep(0.01)

verb, args = sys.argv[1], sys.argv[2:]
deadline = time.monotonic() + 90
if verb == "wait":
    socks = {connect(p, deadline): p for p in args}
    bufs = {s: b"" for s in socks}
    token = uuid.uuid4().hex[:12]
    last_ping = time.monotonic()
    while socks:
        if time.monotonic() > deadline:
            raise SystemExit("guests not ready within 90 s: " + " ".join(socks.values()))
        # The guest says READY when its agent starts; PING (every 1 s of silence) covers a READY sent before we listened.
        if time.monotonic() - last_ping > 1:
            for s in socks:
                s.sendall(f"NETDASH-PING {token}\n".encode())
            last_ping = time.monotonic()
        readable, _, _ = select.select(list(socks), [], [], 0.2)
        for s in readable:
            data = s.recv(4096)
            if not data:
                raise SystemExit(f"{socks[s]}: closed")
            bufs[s] += data
            while b"\n" in bufs[s]:
                line, bufs[s] = bufs[s].split(b"\n", 1)
                words = line.decode(errors="replace").strip().split()
                if words[:1] == ["NETDASH-READY"] or words[:2] == ["NETDASH-PONG", token]:
                    print(f"{words[-1]} ready", flush=True)
                    s.close()
                    del socks[s]
                    break
elif verb == "run":
    path, command = args
    s = connect(path, deadline)
    rid = uuid.uuid4().hex[:12]
    s.sendall(f"NETDASH-RUN {rid} {base64.b64encode(command.encode()).decode()}\n".encode())
    f = s.makefile("rb")
    for raw in f:
        line = raw.decode(errors="replace").rstrip("\r\n")
        if line.startswith("| "):
            print(line[2:], flush=True)
        elif line.startswith(f"NETDASH-END {rid} "):
            sys.exit(int(line.split()[2]))
        elif line.startswith(f"NETDASH-ERROR {rid} "):
            raise SystemExit(f"guest refused: {line}")
    raise SystemExit("the guest closed its agent socket")
else:
    raise SystemExit(f"unknown verb {verb}")
PY
}

# $1 vm name, $2 tap, $3 mac: QEMU with the tool's argv (CommandBuilder.QemuArguments), built-in guest, TCG.
start_vm() {
    local vm=$1 tap=$2 mac=$3 d=$run/$1
    mkdir -p "$d"
    ip netns exec "$host" qemu-system-x86_64 -name "$vm" -machine pc,accel=tcg -m 256 -nodefaults -no-user-config \
        -vga std -vnc "unix:$d/vnc.sock" -qmp "unix:$d/qmp.sock,server=on,wait=off" \
        -chardev "socket,id=console,path=$d/serial.sock,server=on,wait=off,logfile=$d/serial.log" -serial chardev:console \
        -chardev "socket,id=agent,path=$d/agent.sock,server=on,wait=off" -serial chardev:agent \
        -netdev "tap,id=mynet0,ifname=$tap,script=no,downscript=no" \
        -device "e1000,netdev=mynet0,mac=$mac,autonegotiation=off" \
        -kernel "$kernel" -initrd "$initrd" -append "console=ttyS0 quiet no_timer_check netdash.name=$vm netdash.ipv6=0" \
        -daemonize -pidfile "$d/qemu.pid"
}

up() {
    [[ -f $kernel && -f $initrd ]] || { echo "error: no built-in guest in $guest" >&2; exit 1; }
    # Refuse to touch a lab that already exists (this script only builds from nothing).
    local existing ns
    existing=$(namespaces)
    for ns in "$host" "$wan" "$pc"; do
        if grep -qxF -- "$ns" <<<"$existing"; then echo "error: namespace $ns exists" >&2; exit 1; fi
    done
    mkdir "$run"    # fails when it exists
    mkdir "$run/www"
    chmod 755 "$run" "$run/www"
    printf '<!doctype html><title>internet server</title><p>Hello from the internet server 203.0.113.5 of lab %s.</p>\n' "$name" >"$run/www/index.html"

    ip netns add "$host"
    ip netns add "$wan"
    ip netns add "$pc"

    # Cables: both ends placed at once.
    ip -n "$host" link add ens160 type veth peer name eth0 netns "$wan"
    ip -n "$host" link add ens192 type veth peer name eth0 netns "$pc"

    ip -n "$wan" addr add 203.0.113.5/32 dev lo
    ip -n "$wan" addr add 10.180.13.1/24 dev eth0
    ip -n "$host" addr add 10.180.13.232/24 dev ens160
    ip -n "$pc" addr add 192.168.1.3/24 dev eth0

    ip -n "$host" link set lo up
    ip -n "$wan" link set lo up
    ip -n "$pc" link set lo up
    ip -n "$wan" link set eth0 up
    ip -n "$host" link set ens160 up
    ip -n "$host" link set ens192 up
    ip -n "$pc" link set eth0 up

    ip -n "$host" route add 0.0.0.0/0 via 10.180.13.1 dev ens160
    ip -n "$pc" route add 0.0.0.0/0 via 192.168.1.1 dev eth0

    ip -n "$host" link add br0 type bridge
    ip -n "$host" addr add 192.168.1.1/24 dev br0
    ip -n "$host" link set br0 up

    ip netns exec "$host" sysctl -q -w net.ipv4.ip_forward=1
    ip netns exec "$host" iptables -w -t nat -A POSTROUTING -s 192.168.1.0/24 '!' -d 192.168.1.0/24 \
        -m comment --comment "netdash:$name" -j MASQUERADE

    # The internet server: busybox httpd forks into the background inside the wan namespace.
    ip netns exec "$wan" busybox httpd -p 80 -h "$run/www"
    echo "== world, br0 and NAT"

    # The guests: QEMU creates each tap in the host namespace; -daemonize returns once the VM runs.
    start_vm vm1 tap0 52:54:98:76:54:30
    start_vm vm2 tap1 52:54:98:76:54:31
    echo "== qemu started"

    ip -n "$host" link set tap0 master br0
    ip -n "$host" link set tap0 up
    ip -n "$host" link set tap1 master br0
    ip -n "$host" link set tap1 up
    echo "== taps in br0"

    # Boot, then the tutorial's commands inside each guest.
    agent wait "$run/vm1/agent.sock" "$run/vm2/agent.sock" | sed 's/^/== /'
    agent run "$run/vm1/agent.sock" "ifconfig eth0 192.168.1.10"
    agent run "$run/vm1/agent.sock" "route add -net 0.0.0.0/0 gw 192.168.1.1"
    agent run "$run/vm2/agent.sock" "ifconfig eth0 192.168.1.11"
    agent run "$run/vm2/agent.sock" "route add -net 0.0.0.0/0 gw 192.168.1.1"
    echo "== guests configured"

    # (vm1)$ ping 203.0.113.5, until the first reply (the first try normally answers).
    local try
    for ((try = 1; try <= 30; try++)); do
        if agent run "$run/vm1/agent.sock" "ping -c1 -W2 203.0.113.5" >/dev/null; then
            echo "== vm1 pinged 203.0.113.5 (try $try)"
            return 0
        fi
    done
    echo "error: vm1 cannot ping 203.0.113.5" >&2
    exit 1
}

alive() { # a pid that exists and is not a zombie
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

down() {
    local existing found=() pids=() ns pid vm
    existing=$(namespaces)
    for ns in "$host" "$wan" "$pc"; do
        if grep -qxF -- "$ns" <<<"$existing"; then found+=("$ns"); fi
    done
    # Our QEMUs by their pid files (only while the pid is still a QEMU), then every process left in the
    # lab's namespaces (httpd): all were started for this lab. Each is stopped by its pid.
    for vm in vm1 vm2; do
        pid=$(cat "$run/$vm/qemu.pid" 2>/dev/null) || continue
        [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "^qemu-system-x86_64 -name $vm " \
            && pids+=("$pid")
    done
    for ns in "${found[@]}"; do
        for pid in $(ip netns pids "$ns"); do pids+=("$pid"); done
    done
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    # Wait (up to 3 s, like the tool) for them to go, then force.
    local deadline=$(( $(date +%s%N) + 3000000000 ))
    for pid in "${pids[@]}"; do
        while alive "$pid" && (( $(date +%s%N) < deadline )); do sleep 0.01; done
        if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    done
    for ns in "${found[@]}"; do
        ip netns del "$ns"
    done
    rm -rf -- "$run"
}

case $action in
    up) up ;;
    down) down ;;
    *) usage ;;
esac
