#!/usr/bin/env bash
# The hand-written counterpart of `NetDashboard lab up labs/nat-pc.yaml --name NAME` / `lab down NAME`:
# the same namespaces, cables, addresses, routes, bridge, forwarding, MASQUERADE and internet server,
# built with plain ip/iptables/sysctl/busybox and nothing else. Used by bench/lab-up-down.sh as the baseline.
#
#   sudo bench/nat-pc-manual.sh up NAME     # build lab NAME (namespaces netdash-NAME-host/-wan/-pc)
#   sudo bench/nat-pc-manual.sh down NAME   # kill its processes, delete its namespaces and web root
#
# Everything lives in the lab's own namespaces; nothing is created in the root network namespace.
set -euo pipefail

usage() { echo "usage: $0 up|down NAME   (NAME: 1-20 of a-z 0-9 -, starting with a letter or digit)" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
action=$1 name=$2
[[ $name =~ ^[a-z0-9][a-z0-9-]{0,19}$ ]] || usage

host=netdash-$name-host
wan=netdash-$name-wan
pc=netdash-$name-pc
tmp=${TMPDIR:-/tmp}
# The web root is a temp dir named after the lab, so `down` can find it again (names hold no '.').
webroot_glob="$tmp/netdash-manual-$name.*"

namespaces() { ip netns list | awk '{print $1}'; }

up() {
    # Refuse to touch a lab that already exists (the tool would reconcile it; this script only builds from nothing).
    local existing ns
    existing=$(namespaces)
    for ns in "$host" "$wan" "$pc"; do
        if grep -qxF -- "$ns" <<<"$existing"; then echo "error: namespace $ns exists" >&2; exit 1; fi
    done

    local www
    www=$(mktemp -d "$tmp/netdash-manual-$name.XXXXXX")
    chmod 755 "$www"
    printf '<!doctype html><title>internet server</title><p>Hello from the internet server 203.0.113.5 of lab %s.</p>\n' "$name" >"$www/index.html"

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
    ip -n "$host" link set ens192 master br0
    ip -n "$host" addr add 192.168.1.1/24 dev br0
    ip -n "$host" link set br0 up

    ip netns exec "$host" sysctl -q -w net.ipv4.ip_forward=1
    ip netns exec "$host" iptables -w -t nat -A POSTROUTING -s 192.168.1.0/24 '!' -d 192.168.1.0/24 \
        -m comment --comment "netdash:$name" -j MASQUERADE

    # The internet server: busybox httpd forks into the background inside the wan namespace.
    ip netns exec "$wan" busybox httpd -p 80 -h "$www"
}

alive() { # a pid that exists and is not a zombie
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

down() {
    local existing found=() pids=() ns pid
    existing=$(namespaces)
    for ns in "$host" "$wan" "$pc"; do
        if grep -qxF -- "$ns" <<<"$existing"; then found+=("$ns"); fi
    done
    # Every process in the lab's namespaces was started for the lab: stop each by its pid.
    for ns in "${found[@]}"; do
        for pid in $(ip netns pids "$ns"); do
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
        done
    done
    # Wait (up to 3 s, like the tool) for them to go, then force.
    local deadline=$(( $(date +%s%N) + 3000000000 ))
    for pid in "${pids[@]}"; do
        while alive "$pid" && (( $(date +%s%N) < deadline )); do sleep 0.01; done
        alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
    done
    for ns in "${found[@]}"; do
        ip netns del "$ns"
    done
    # shellcheck disable=SC2086 # the glob is meant to expand
    rm -rf -- $webroot_glob
}

case $action in
    up) up ;;
    down) down ;;
    *) usage ;;
esac
