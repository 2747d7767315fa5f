#!/usr/bin/env bash
# Benchmark (not a test): wall time of `./netdash lab up labs/nat-pc.yaml` + `./netdash lab down` (the CLI as the
# README runs it) against the hand-written bench/nat-pc-manual.sh doing the same thing, plus the tool's start-up.
# The last line is the figure to quote: ratio_vs_manual=N.N (median tool up+down / median script up+down).
#
#   sudo bench/lab-up-down.sh [ROUNDS]        # ROUNDS (or env ROUNDS) defaults to 10
#
# Env: ROUNDS=10  WARMUP=1 (untimed rounds of each first)  STARTUP_RUNS=ROUNDS (start-up and timeline runs)
#      CLI=path/netdash (a published CLI: skip the publish and time that one)
#      QUIET=1 (before each round wait, at most 2 min, until the machine is >= 80 % idle; 0: don't)
# Each round times tool up, tool down, manual up, manual down (the order of tool/manual alternates
# round by round); between up and down, outside the timing, it checks the lab works:
# the pc pings the internet server 203.0.113.5 and fetches its page over the NAT.
# Only labs this script created (bench-<pid>-<i>, benchm-<pid>-<i>) are ever removed, also on failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
rounds=${1:-${ROUNDS:-10}}
warmup=${WARMUP:-1}
startup_runs=${STARTUP_RUNS:-$rounds}
labfile=labs/nat-pc.yaml
manual=$here/nat-pc-manual.sh
cli=${CLI:-}

[[ $rounds =~ ^[1-9][0-9]{0,2}$ ]] || { echo "ROUNDS must be 1-999" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "run as root: sudo $0" >&2; exit 2; }
for tool in dotnet ip iptables sysctl busybox ping; do
    command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done
# The tool exactly as documented: ./netdash, pointed at this run's own build.
netdash() { NETDASH_CLI=$cli "$repo/netdash" "$@"; }

cd "$repo"
work=$(mktemp -d "${TMPDIR:-/tmp}/netdash-bench.XXXXXX")
# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"

# --- cleanup: only what this script made ------------------------------------------------------
tool_labs=() manual_labs=()
lab_exists() { # any of the lab's namespaces, or the tool's runtime folder for it (awk reads all: no SIGPIPE)
    ip netns list | awk -v p="netdash-$1-" '$1 == p "host" || $1 == p "wan" || $1 == p "pc" { f = 1 } END { exit !f }' \
        || [[ -d /run/netdashboard/$1 ]]
}
cleanup() {
    local rc=$? lab
    trap - EXIT INT TERM
    for lab in "${tool_labs[@]}"; do
        if lab_exists "$lab"; then
            echo "cleanup: lab down $lab" >&2
            netdash lab down "$lab" >/dev/null 2>&1 || echo "cleanup: could not remove tool lab $lab" >&2
        fi
    done
    for lab in "${manual_labs[@]}"; do
        if lab_exists "$lab" || compgen -G "${TMPDIR:-/tmp}/netdash-manual-$lab.*" >/dev/null; then
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
now() { date +%s%N; }
ms() { awk -v ns="$1" 'BEGIN { printf "%.1f", ns / 1e6 }'; }
fail() { echo "FAILED: $*" >&2; [[ -s $work/out ]] && sed 's/^/  | /' "$work/out" >&2; exit 1; }

# Record one sample (ns) into $work/<series>.
record() { echo "$2" >>"$work/$1"; }

verify_up() { # the lab works: ping and HTTP from the pc, through br0, forwarding and MASQUERADE
    local lab=$1
    ip netns exec "netdash-$lab-pc" ping -c1 -W2 203.0.113.5 >/dev/null || fail "$lab: pc cannot ping 203.0.113.5"
    local page # (busybox 1.35 wget segfaults with -T, hence `timeout`)
    page=$(timeout 5 ip netns exec "netdash-$lab-pc" busybox wget -q -O - http://203.0.113.5/) || page=
    [[ $page == *"lab $lab."* ]] || fail "$lab: pc cannot fetch the internet server's page"
}
verify_down() {
    local lab=$1
    ! lab_exists "$lab" || fail "$lab: still exists after down"
}

tool_round() {
    local lab=$1 t0 t1 t2
    tool_labs+=("$lab")
    t0=$(now)
    netdash lab up "$labfile" --name "$lab" >"$work/out" 2>&1 || fail "tool lab up $lab"
    t1=$(now)
    verify_up "$lab"
    if [[ ${2:-} == timed ]]; then
        # The tool's own sum of its commands' durations: "lab NAME: up (25 commands, 79 ms)".
        sed -n 's/.*: up ([0-9]* commands, \([0-9]*\) ms)$/\1/p' "$work/out" | tail -1 >>"$work/tool_cmds_ms"
        grep -c '^  ok ' "$work/out" >>"$work/tool_cmds_n"
    fi
    t2=$(now)
    netdash lab down "$lab" >"$work/out" 2>&1 || fail "tool lab down $lab"
    local t3; t3=$(now)
    verify_down "$lab"
    if [[ ${2:-} == timed ]]; then
        record tool_up $((t1 - t0)); record tool_down $((t3 - t2)); record tool_total $((t1 - t0 + t3 - t2))
    fi
}

manual_round() {
    local lab=$1 t0 t1 t2 t3
    manual_labs+=("$lab")
    t0=$(now)
    "$manual" up "$lab" >"$work/out" 2>&1 || fail "manual up $lab"
    t1=$(now)
    verify_up "$lab"
    t2=$(now)
    "$manual" down "$lab" >"$work/out" 2>&1 || fail "manual down $lab"
    t3=$(now)
    verify_down "$lab"
    if [[ ${2:-} == timed ]]; then
        record manual_up $((t1 - t0)); record manual_down $((t3 - t2)); record manual_total $((t1 - t0 + t3 - t2))
    fi
}

# median and p90 (nearest rank) of a series, in ms
pct() { sort -n "$work/$1" | awk -v q="$2" '{ v[NR] = $1 } END { i = (q == 50) ? int((NR + 1) / 2) : int(NR * q / 100 + 0.999999); if (q == 50 && NR % 2 == 0) printf "%.0f", (v[NR/2] + v[NR/2+1]) / 2e6; else printf "%.0f", v[i] / 1e6 }'; }
med_raw() { sort -n "$work/$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2] + v[NR/2+1]) / 2 }'; }

# --- publish once -----------------------------------------------------------------------------
publish_cli_once

# --- rounds -----------------------------------------------------------------------------------
echo "machine: $(nproc) cores, $(uname -r), dotnet $(dotnet --version), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load average at start: $(cut -d" " -f1-3 /proc/loadavg) (other work on the machine skews the numbers)"
echo "warm-up: $warmup untimed round(s) of each; then $rounds timed rounds"
for ((i = 1; i <= warmup; i++)); do
    tool_round "bench-$$-w$i"
    manual_round "benchm-$$-w$i"
done
for ((i = 1; i <= rounds; i++)); do
    wait_quiet
    if ((i % 2)); then
        tool_round "bench-$$-$i" timed; manual_round "benchm-$$-$i" timed
    else
        manual_round "benchm-$$-$i" timed; tool_round "bench-$$-$i" timed
    fi
    printf '  round %d: tool %s ms, manual %s ms\n' "$i" \
        "$(ms "$(tail -1 "$work/tool_total")")" "$(ms "$(tail -1 "$work/manual_total")")"
done

# --- start-up: the CLI doing (almost) nothing ----------------------------------------------
# `lab --help` reads the settings, wires the lab services and the command tree, prints help, runs no command.
# `lab ls` additionally lists the namespaces (/run/netns) and lab records. (A bare `--help` is not the CLI: Program.cs starts the web app.)
for ((i = 1; i <= startup_runs; i++)); do
    t0=$(now); netdash lab --help >/dev/null; t1=$(now); record startup_help $((t1 - t0))
    t0=$(now); netdash lab ls >/dev/null; t1=$(now); record startup_ls $((t1 - t0))
done

# --- timeline of the tool: when each line of its output appears -------------------------------
# The tool prints a line right after each command (and its journal entry) completes, and stdout is
# flushed per line, so stamping lines as they arrive (bash's $EPOCHREALTIME, no fork) splits a run
# into phases without tracing it. Done on separate untimed runs.
stamp() { # stamp CMD...: prints "<us since launch> <line>" for each output line, then "<us> <exit>"
    local t0=${EPOCHREALTIME/./} line
    while IFS= read -r line; do printf '%s %s\n' $((${EPOCHREALTIME/./} - t0)) "$line"; done < <("$@" 2>&1)
    printf '%s <exit>\n' $((${EPOCHREALTIME/./} - t0))
}
for ((i = 1; i <= startup_runs; i++)); do
    lab=bench-$$-t$i
    tool_labs+=("$lab")
    stamp netdash lab up "$labfile" --name "$lab" >"$work/tl-up"
    verify_up "$lab"
    stamp netdash lab down "$lab" >"$work/tl-down"
    verify_down "$lab"
    # up: launch -> "applying" -> first "ok" -> last "ok" -> exit
    awk -v w="$work" '
        / applying / && !a { a = $1 }
        / ok / { if (!f) f = $1; l = $1; n++ }
        / <exit>$/ { e = $1 }
        END {
            print a * 1000 >> (w "/tlu_start"); print (f - a) * 1000 >> (w "/tlu_first")
            print (l - f) * 1000 >> (w "/tlu_rest"); print (e - l) * 1000 >> (w "/tlu_tail"); print n - 1 >> (w "/tlu_n")
        }' "$work/tl-up"
    # down: launch -> "kill" ok -> first "remove" ok -> last "remove" ok -> exit
    # (the kill lines are printed only after the tool has waited for the processes to exit)
    awk -v w="$work" '
        / ok .*kill / && !k { k = $1 }
        / ok .*remove the machine/ { if (!f) f = $1; l = $1 }
        / <exit>$/ { e = $1 }
        END {
            print k * 1000 >> (w "/tld_kill"); print (f - k) * 1000 >> (w "/tld_first")
            print (l - f) * 1000 >> (w "/tld_rest"); print (e - l) * 1000 >> (w "/tld_tail")
        }' "$work/tl-down"
done

# --- report -----------------------------------------------------------------------------------
ratio() { awk -v a="$(med_raw "$1")" -v b="$(med_raw "$2")" 'BEGIN { printf "%.1fx", a / b }'; }
echo
echo "lab up/down of $labfile, $rounds rounds, wall ms (median / p90)"
printf '| %-6s | %-15s | %-15s | %-17s |\n' "phase" "tool" "manual script" "tool/manual (med)"
printf '|%s|%s|%s|%s|\n' "--------" "-----------------" "-----------------" "-------------------"
for phase in up down total; do
    printf '| %-6s | %6s / %-6s | %6s / %-6s | %-17s |\n' "$phase" \
        "$(pct "tool_$phase" 50)" "$(pct "tool_$phase" 90)" \
        "$(pct "manual_$phase" 50)" "$(pct "manual_$phase" 90)" "$(ratio "tool_$phase" "manual_$phase")"
done
echo
# The figure to quote: the ratio of the medians of up+down. Each round also gives its own ratio (tool and script ran
# back to back, under the same load); their median shows whether load drifting between rounds moved the figure.
ratio_total=$(awk -v a="$(med_raw tool_total)" -v b="$(med_raw manual_total)" 'BEGIN { printf "%.2f", a / b }')
paste "$work/tool_total" "$work/manual_total" | awk '{ print $1 / $2 }' >"$work/round_ratio"
echo "total: the tool takes ${ratio_total}x as long as the manual script (goal: at most 2x); median of the per-round ratios $(awk -v r="$(med_raw round_ratio)" 'BEGIN { printf "%.2f", r }')x"
echo
help_ms=$(pct startup_help 50); ls_ms=$(pct startup_ls 50)
cmds_ms=$(sort -n "$work/tool_cmds_ms" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2 }')
cmds_n=$(sort -n "$work/tool_cmds_n" | tail -1)
up_ms=$(pct tool_up 50); down_ms=$(pct tool_down 50)
row() { printf '  %-58s %6s%s\n' "$1" "$2" "${3:-}"; }
echo "where the tool's time goes (medians, ms):"
row 'start-up, `lab --help`' "$help_ms" "   (p90 $(pct startup_help 90))"
row 'start-up, `lab ls` (lists namespaces and labs)' "$ls_ms" "   (p90 $(pct startup_ls 90))"
row 'lab up, wall' "$up_ms"
row "  its $cmds_n commands, as the tool sums their durations" "$(awk -v c="$cmds_ms" 'BEGIN { printf "%.0f", c }')"
row '  rest: up - start-up - commands' "$(awk -v u="$up_ms" -v h="$help_ms" -v c="$cmds_ms" 'BEGIN { printf "%.0f", u - h - c }')"
row 'lab down, wall' "$down_ms"
row '  rest: down - start-up' "$(awk -v d="$down_ms" -v h="$help_ms" 'BEGIN { printf "%.0f", d - h }')"
row 'manual script up / down, wall' "$(pct manual_up 50) / $(pct manual_down 50)"
echo
echo "timeline of the tool, from its output lines ($startup_runs separate runs, medians, ms):"
n_more=$(tail -1 "$work/tlu_n")
row 'up:   launch -> "applying" (start-up, settings, lab file read)' "$(pct tlu_start 50)"
row '      -> 1st "ok" (YAML, checks, lock, files, plan, 1 cmd)' "$(pct tlu_first 50)"
row "      -> last \"ok\" ($n_more more commands, $(awk -v r="$(med_raw tlu_rest)" -v n="$n_more" 'BEGIN { printf "%.1f", r / n / 1e6 }') ms each)" "$(pct tlu_rest 50)"
row '      -> exit (httpd pid from /proc, lab record, shutdown)' "$(pct tlu_tail 50)"
row 'down: launch -> "kill" (start-up, /proc pids, kill, wait)' "$(pct tld_kill 50)"
row '      -> 1st "remove" (1st ip netns del)' "$(pct tld_first 50)"
row '      -> last "remove" (2 more ip netns del)' "$(pct tld_rest 50)"
row '      -> exit (runtime folder removed, shutdown)' "$(pct tld_tail 50)"
echo
echo "load average at the end: $(cut -d" " -f1-3 /proc/loadavg)"
echo "ratio_vs_manual=$(awk -v r="$ratio_total" 'BEGIN { printf "%.1f", r }')"
