#!/usr/bin/env bash
# NetDashboard setup: install what is missing, build, then run the dashboard or the tests.
#   ./setup.sh [run]   install, build (and publish the CLI ./netdash runs), start the dashboard on
#                      labs/seed-nat.yaml (http://127.0.0.1:5080)
#   ./setup.sh test    install (plus Chromium), build, run every test project; the last line is
#                      "N passed, N failed, N skipped"
# Idempotent: a second run installs nothing and only rebuilds what changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

MODE="${1:-run}"
case "$MODE" in
    run | test) ;;
    -h | --help | help)
        sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "usage: $0 [run|test]" >&2
        exit 2
        ;;
esac

export DEBIAN_FRONTEND=noninteractive
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false NPM_CONFIG_UPDATE_NOTIFIER=false

URL="http://127.0.0.1:5080"
RESULTS_DIR="$ROOT/TestResults"

say() { echo "== $*"; }
die() {
    echo "setup.sh: $*" >&2
    exit 1
}

# Runs a command and shows its output only when it fails, so a good run stays one line per phase.
quietly() {
    local out rc=0
    out="$("$@" 2>&1 </dev/null)" || rc=$?
    if [[ $rc -ne 0 ]]; then
        printf '%s\n' "$out" >&2
        die "failed (exit $rc): $*"
    fi
}

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null || die "not root and sudo is missing: run this as root"
    SUDO=(sudo)
fi

is_installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

# A wanted package may go by another name on newer releases (Ubuntu 24.04's t64 renames);
# "a|b" is satisfied by either and installs the first one apt knows.
missing_packages() {
    local wanted alt found
    local -a alts
    for wanted in "$@"; do
        found=""
        IFS='|' read -ra alts <<<"$wanted"
        for alt in "${alts[@]}"; do
            if is_installed "$alt"; then
                found=yes
                break
            fi
        done
        [[ -n "$found" ]] || echo "$wanted"
    done
}

resolve_alternative() {
    local wanted="$1" alt
    local -a alts
    IFS='|' read -ra alts <<<"$wanted"
    for alt in "${alts[@]}"; do
        if [[ -n "$(apt-cache policy "$alt" 2>/dev/null | awk '/Candidate:/ && $2 != "(none)" {print $2}')" ]]; then
            echo "$alt"
            return
        fi
    done
    echo "${alts[0]}"
}

install_debian_packages() {
    local wanted=(iproute2 procps iptables "libpcap0.8|libpcap0.8t64" qemu-system-x86 qemu-utils busybox-static cpio conntrack
        iputils-ping tcpdump iperf3 wget ca-certificates
        # The journal's rebuild script talks to a guest's agent and QEMU's monitor over unix sockets with socat.
        socat
        # The CLI is compiled ahead of time (Native AOT): the .NET SDK links it with clang against zlib.
        clang zlib1g-dev)
    if [[ "$MODE" == test ]]; then
        # tshark reads back the pcapng files the capture tests write; nft lists the machine's firewall for the soak
        # test's check that no lab rule ever lands there (a minimal Debian has iptables-nft without the nft command).
        wanted+=(chromium tshark nftables)
        # Observe mode's stand-ins run a real libvirtd (ObserveLibvirtTests, with its default network's dnsmasq) and a real
        # dockerd (ObserveDockerTests), each inside a namespace of its own. The install starts neither daemon (see
        # policy-rc.d below), so it makes no virbr0, docker0 or firewall rule in the machine's own namespace.
        wanted+=(libvirt-daemon-system dnsmasq-base docker.io)
    fi
    if ! command -v npm >/dev/null; then
        wanted+=(nodejs npm)
    fi

    local missing
    mapfile -t missing < <(missing_packages "${wanted[@]}")
    if [[ ${#missing[@]} -eq 0 ]]; then
        say "Debian packages present"
        return
    fi
    quietly "${SUDO[@]}" apt-get update -o DPkg::Lock::Timeout=600
    local names=() item
    for item in "${missing[@]}"; do
        names+=("$(resolve_alternative "$item")")
    done
    say "installing Debian packages: ${names[*]}"
    # Without this answer tshark's install stops to ask whether non-root users may capture.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | "${SUDO[@]}" debconf-set-selections
    # Debian's way to say "start no service now": a policy-rc.d that answers 101, there only while apt installs, so
    # installing dockerd or libvirtd does not start them (with systemd they stay enabled for the next boot; the tests
    # never use them). One already there is the machine's own and is left as it is.
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\n# NetDashboard setup.sh: no service starts while it installs packages\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
        "${SUDO[@]}" chmod 755 "$policy"
        made_policy=1
    fi
    local out rc=0
    out="$("${SUDO[@]}" apt-get install -y -o DPkg::Lock::Timeout=600 "${names[@]}" 2>&1 </dev/null)" || rc=$?
    if ((made_policy)); then "${SUDO[@]}" rm -f "$policy"; fi
    if ((rc != 0)); then
        printf '%s\n' "$out" >&2
        die "failed (exit $rc): apt-get install ${names[*]}"
    fi
}

install_npm_packages() {
    local stamp="node_modules/.netdash-lock.sha256" want
    want="$(sha256sum package-lock.json | cut -d' ' -f1)"
    if [[ -d node_modules && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        say "npm packages up to date"
    else
        say "installing npm packages (npm ci)"
        quietly npm ci --no-audit --no-fund
        echo "$want" >"$stamp"
    fi

    # wwwroot/lib is git-ignored and always rebuilt from node_modules, so it never drifts from the lock file.
    local lib=wwwroot/lib nm=node_modules
    rm -rf "$lib"
    mkdir -p "$lib/cytoscape" "$lib/novnc" "$lib/xterm" "$lib/xterm-addon-fit"
    cp "$nm/cytoscape/dist/cytoscape.min.js" "$nm/cytoscape/LICENSE" "$lib/cytoscape/"
    # noVNC ships its ES module sources in core/; core/ imports ../vendor/pako, so both keep their places.
    cp -r "$nm/@novnc/novnc/core" "$nm/@novnc/novnc/vendor" "$nm/@novnc/novnc/LICENSE.txt" "$lib/novnc/"
    cp "$nm/@xterm/xterm/lib/xterm.js" "$nm/@xterm/xterm/lib/xterm.mjs" "$nm/@xterm/xterm/css/xterm.css" \
        "$nm/@xterm/xterm/LICENSE" "$lib/xterm/"
    cp "$nm/@xterm/addon-fit/lib/addon-fit.js" "$nm/@xterm/addon-fit/lib/addon-fit.mjs" \
        "$nm/@xterm/addon-fit/LICENSE" "$lib/xterm-addon-fit/"
    say "wwwroot/lib filled: cytoscape, novnc (core + vendor), xterm, xterm-addon-fit"
}

build_guest_image() {
    if [[ -f scripts/build-guest-image.sh ]]; then
        say "building the guest image (scripts/build-guest-image.sh)"
        bash scripts/build-guest-image.sh
    else
        say "no scripts/build-guest-image.sh yet; skipping the guest image"
    fi
}

build_solution() {
    say "building NetDashboard.sln (Release)"
    quietly dotnet build NetDashboard.sln -c Release -nologo
}

# The CLI ./netdash runs: native code compiled ahead of time, so a command starts in milliseconds (bench/README.md).
publish_cli() {
    say "publishing the CLI (Native AOT) into artifacts/cli for ./netdash"
    quietly bash scripts/publish-cli.sh
}

run_tests() {
    rm -rf "$RESULTS_DIR"
    mkdir -p "$RESULTS_DIR"
    say "running the tests (results in ${RESULTS_DIR#"$ROOT"/})"
    local test_rc=0 log="$RESULTS_DIR/dotnet-test.log"
    # One project at a time: the VM tests of two projects would otherwise share the two cores, and each
    # report gets a name of its own (default names are the second a run ended, and two can collide).
    local project name rc
    for project in tests/*/*.csproj; do
        name="$(basename "$project" .csproj)"
        rc=0
        dotnet test "$project" -c Release --no-build --logger "trx;LogFileName=$name.trx" --results-directory "$RESULTS_DIR" 2>&1 \
            | tee -a "$log" || rc=${PIPESTATUS[0]}
        [[ $rc -eq 0 ]] || test_rc=$rc
    done

    local summary summary_rc=0 assemblies reports
    summary="$(bash scripts/trx-summary.sh "$RESULTS_DIR")" || summary_rc=$?
    # Each test assembly writes one .trx named by the second it ended; count them so a lost one is seen.
    assemblies="$(grep -c '^Test run for ' "$log" || true)"
    reports="$(find "$RESULTS_DIR" -type f -name '*.trx' | wc -l)"
    if [[ "$reports" -lt "$assemblies" ]]; then
        say "warning: $assemblies test assemblies ran but only $reports .trx files were written; the counts below miss some"
    fi
    if [[ $test_rc -ne 0 ]]; then
        say "dotnet test exited with $test_rc"
    fi
    if [[ $summary_rc -eq 3 ]]; then
        say "no test ran"
    fi
    echo "$summary"
    if [[ $test_rc -ne 0 ]]; then
        exit "$test_rc"
    fi
    exit "$summary_rc"
}

command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is not on PATH; install the .NET 10 SDK first"

install_debian_packages
install_npm_packages
build_guest_image
# The default image folder (NetDashboard:ImageFolders): disk images are booted from here and nowhere else.
install -d -m 0700 /var/lib/netdashboard/images
build_solution
publish_cli

if [[ "$MODE" == test ]]; then
    run_tests
fi

say "starting the dashboard at $URL with labs/seed-nat.yaml (Ctrl+C stops it)"
# glibc's per-thread arenas (one per capture thread) otherwise keep growing the dashboard's RSS (bench/README.md, soak).
export MALLOC_ARENA_MAX=2
exec dotnet run --project src/NetDashboard -c Release --no-build -- --NetDashboard:StartupLab=labs/seed-nat.yaml
