# Helpers shared by the benchmark scripts; source it after setting $repo and $work (and $dll, maybe empty).

# build_once: builds Release into $work/build unless $dll is set, so another build of the repo can't swap
# the binary mid-run; sets $dll to the NetDashboard.dll to time.
build_once() {
    if [[ -z $dll ]]; then
        echo "building Release of $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD -- src || echo ' + uncommitted src changes') ..."
        dotnet build -c Release "$repo/src/NetDashboard" --artifacts-path "$work/build" -nologo -v q >"$work/build.log" 2>&1 \
            || { cat "$work/build.log" >&2; exit 1; }
        dll=$(find "$work/build/bin/NetDashboard" -name NetDashboard.dll -path '*release*' | head -1)
    fi
    [[ -f $dll ]] || { echo "no build at '$dll'" >&2; exit 1; }
}

# publish_cli_once: publishes the CLI ./netdash runs (scripts/publish-cli.sh, as setup.sh makes it) into
# $work/cli unless $cli is set, so another build of the repo can't swap the binary mid-run; sets $cli to it.
publish_cli_once() {
    if [[ -z $cli ]]; then
        echo "publishing (Native AOT) $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD -- src || echo ' + uncommitted src changes') ..."
        bash "$repo/scripts/publish-cli.sh" "$work/cli" --artifacts-path "$work/build" -v q >"$work/build.log" 2>&1 \
            || { cat "$work/build.log" >&2; exit 1; }
        cli=$work/cli/netdash
    fi
    [[ -x $cli ]] || { echo "no CLI build at '$cli'" >&2; exit 1; }
    echo "timing: ./netdash with NETDASH_CLI=$cli"
}

# idle_pct: how idle the machine was over the next second, in percent.
idle_pct() {
    local a b
    a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
    awk -v a="${a[*]:1:8}" -v b="${b[*]:1:8}" 'BEGIN { n = split(a, x); split(b, y); for (k = 1; k <= n; k++) { d = y[k] - x[k]; t += d; if (k == 4 || k == 5) i += d }
        printf "%d", t ? 100 * i / t : 100 }'
}

# wait_quiet: with QUIET=1 (default), wait (at most 2 min) until the machine is >= 80 % idle over 1 s, so other
# work on these 2 cores (builds, tests) skews a sample less. Prints a note when it gives up.
wait_quiet() {
    [[ ${QUIET:-1} == 1 ]] || return 0
    local tries=0
    until (( $(idle_pct) >= 80 )); do
        if ((++tries >= 120)); then echo "  (the machine is still busy after 2 min; measuring anyway)"; return 0; fi
    done
}

# descendants PID: every live descendant of PID, from /proc.
descendants() {
    local child
    for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
        echo "$child"
        descendants "$child"
    done
}

# stop_pid PID NAME: TERM to it and its descendants, up to 10 s, then KILL; PID is our child, so not reused.
stop_pid() {
    local pid=$1 i kids
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || { [[ -n $pid ]] && wait "$pid" 2>/dev/null; return 0; }
    echo "cleanup: stopping $2 (pid $pid)" >&2
    kids=$(descendants "$pid")
    # shellcheck disable=SC2086
    kill -TERM "$pid" $kids 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    # shellcheck disable=SC2086
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" $kids 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# wait_for SECONDS DESCRIPTION COMMAND...: until COMMAND succeeds, else the script's fail.
wait_for() {
    local seconds=$1 what=$2 i
    shift 2
    for ((i = 0; i < seconds * 10; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    fail "$what did not happen within $seconds s"
}
