using System.Net;
using System.Text;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Runtime;

/// <summary>
/// A lab's journal as a bash script that rebuilds the lab under a name given when it runs (`bash lab.sh NAME`):
/// every successful, replayable entry in journal order — host commands, QEMU starts, QMP quits and guest commands —
/// with the lab's namespaces, runtime folder and rule tag turned into the new name's. The script makes the folders
/// and the internet server's page it needs, so it runs on a machine without the lab, and beside the original.
/// </summary>
public static class JournalScript
{
    // Stands for the new lab's name while the page is made, then becomes ${LAB}.
    private const string LabMarker = "\u0001LAB\u0001";

    /// <param name="lab">The lab the journal is of.</param>
    /// <param name="runtimeRoot">The runtime folder the lab's files were in, and the script's default for the new lab's.</param>
    /// <param name="internetServer">The wan's internet server address, for its page.</param>
    public static string Export(string lab, IEnumerable<JournalEntry> entries, string runtimeRoot, IPAddress internetServer)
    {
        var replayed = entries.Where(e => e.Succeeded && e.Replayable).ToList();
        var rename = new Renaming(lab, Path.Combine(runtimeRoot, lab));
        var vms = replayed.Where(e => e.Argv is [JournalEntry.GuestAgent or JournalEntry.Qmp, _, _]).Select(e => e.Argv[1])
            .Concat(replayed.SelectMany(e => e.Argv).Where(a => a.StartsWith(rename.Folder + "/vms/", StringComparison.Ordinal))
                .Select(a => a[(rename.Folder.Length + "/vms/".Length)..].Split('/')[0]))
            .Where(vm => InputRules.CheckVmName(vm) is null)
            .Distinct().Order(StringComparer.Ordinal).ToList();

        var script = new StringBuilder();
        script.Append($$"""
            #!/usr/bin/env bash
            # Rebuilds lab '{{lab}}' as NetDashboard built it, under the name you give:  bash {{lab}}.sh NAME
            # Its namespaces are netdash-NAME-host, -wan and -pc; its sockets and files go to
            # ${NetDashboard__RuntimeRoot:-{{runtimeRoot}}}/NAME. Run as root; needs iproute2, iptables, QEMU and socat.
            set -euo pipefail
            LAB="${1:-}"
            if [[ ! "$LAB" =~ ^[a-z0-9][a-z0-9-]{0,19}$ ]]; then
                echo "usage: bash $0 NAME   (NAME: the new lab's name, [a-z0-9][a-z0-9-]{0,19})" >&2
                exit 2
            fi
            for role in host wan pc; do
                if [[ -e "/run/netns/netdash-$LAB-$role" ]]; then
                    echo "lab $LAB exists already (netdash-$LAB-$role): give another name, or remove it first" >&2
                    exit 2
                fi
            done
            RUNTIME="${NetDashboard__RuntimeRoot:-{{runtimeRoot}}}"
            DIR="$RUNTIME/$LAB"
            mkdir -p -m 0700 "$RUNTIME" "$DIR" "$DIR/www"{{string.Concat(vms.Select(vm => $" \"$DIR/vms/{vm}\""))}}
            printf '%s\n' {{rename.Word(InternetServerPage.For(internetServer, LabMarker))}} >"$DIR/www/index.html"

            # converse SOCKET SECONDS END REQUEST…: sends the request lines to a unix socket and prints what comes back, up to a
            # line that starts with END (then it succeeds), the socket's end or SECONDS of silence. The connection stays open
            # meanwhile: QEMU drops a client that half-closes.
            converse() {
                local socket="$1" seconds="$2" end="$3" line in out pid rfd wfd found=1
                shift 3
                coproc CONVERSE { exec socat - "UNIX-CONNECT:$socket" 2>/dev/null; }
                pid=$CONVERSE_PID rfd="${CONVERSE[0]:-}" wfd="${CONVERSE[1]:-}"
                if [[ -z "$rfd" || -z "$wfd" ]] || ! exec {in}<&"$rfd" {out}>&"$wfd"; then
                    # Without its pipes socat would wait on its input for ever: ended, not waited for (seen hanging a CI run).
                    kill "$pid" 2>/dev/null || true
                    wait "$pid" 2>/dev/null || true
                    return 1
                fi
                # In a subshell: a socket already gone must not end the script by SIGPIPE.
                (printf '%s\n' "$@" >&"$out") 2>/dev/null || true
                while IFS= read -r -t "$seconds" line <&"$in"; do
                    printf '%s\n' "$line"
                    if [[ "$line" == "$end"* ]]; then found=0; break; fi
                done
                exec {in}<&- {out}>&-
                kill "$pid" 2>/dev/null || true
                wait "$pid" 2>/dev/null || true
                return $found
            }

            # guest VM COMMAND: runs COMMAND in the built-in guest VM through its command agent (guest/README.md), once the
            # agent answers, prints its output and fails as the command fails.
            guest() {
                local socket="$DIR/vms/$1/agent.sock" id="$RANDOM$RANDOM" nonce reply code deadline=$((SECONDS + 120))
                nonce="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
                until [[ -S "$socket" ]] && converse "$socket" 1 "NETDASH-PONG $id " "NETDASH-PING $id" >/dev/null; do
                    if ((SECONDS > deadline)); then echo "$1: its guest agent did not answer within 120 s" >&2; return 1; fi
                    sleep 0.5
                done
                reply="$(converse "$socket" 300 "NETDASH-END $id " "NETDASH-RUN $id $(printf '%s' "$2" | base64 -w0) $nonce")" || true
                printf '%s\n' "$reply" | sed -n 's/^| //p'
                code="$(printf '%s\n' "$reply" | sed -n "s/^NETDASH-END $id \([0-9]*\) $nonce\$/\1/p")"
                if [[ "$code" != 0 ]]; then echo "($1)\$ $2: exit ${code:-unknown}" >&2; return 1; fi
            }

            # qmp VM COMMAND: sends a command to VM's QEMU monitor (QMP); after quit, waits until that QEMU has exited.
            qmp() {
                local pid
                pid="$(cat "$DIR/vms/$1/qemu.pid" 2>/dev/null || true)"
                converse "$DIR/vms/$1/qmp.sock" 10 '{"event": "SHUTDOWN"' '{"execute":"qmp_capabilities"}' "{\"execute\":\"$2\"}" >/dev/null || true
                if [[ "$2" == quit && -n "$pid" ]]; then
                    for _ in $(seq 100); do
                        kill -0 "$pid" 2>/dev/null || return 0
                        sleep 0.1
                    done
                    echo "$1: QEMU (pid $pid) did not quit" >&2
                    return 1
                fi
            }

            """);
        foreach (var entry in replayed)
        {
            script.AppendLine();
            // Escaped whole, newlines too: a comment line must never end early and leave the rest to run.
            script.AppendLine($"# {Printable.Escape(entry.TutorialLine.TrimStart('#', ' '), keepNewlines: false)}");
            script.AppendLine(entry.Argv switch
            {
                [JournalEntry.GuestAgent, var vm, var command] => $"guest {Printable.ShellQuote(vm)} {Printable.ShellQuote(command)}",
                [JournalEntry.Qmp, var vm, var command] => $"qmp {Printable.ShellQuote(vm)} {Printable.ShellQuote(command)}",
                _ => string.Join(' ', entry.Argv.Select(rename.Word)),
            });
        }
        return script.ToString();
    }

    // The three things that carry a lab's name in its commands, each replaced by the new name's.
    private sealed class Renaming(string lab, string folder)
    {
        public string Folder { get; } = folder;

        private readonly (string From, string To)[] _names =
        [
            (folder, "${DIR}"),
            ($"{LabNamespaces.Prefix}{lab}-", $"{LabNamespaces.Prefix}${{LAB}}-"),
            (RuleTags.Of(lab), RuleTags.Of("${LAB}")),
            (LabMarker, "${LAB}"),
        ];

        /// <summary>One argv word as bash reads it back: single-quoted, or double-quoted around the variables it needs.</summary>
        public string Word(string word)
        {
            if (!_names.Any(n => word.Contains(n.From, StringComparison.Ordinal)))
                return Printable.ShellQuote(word);
            var quoted = new StringBuilder("\"");
            for (var i = 0; i < word.Length;)
            {
                if (_names.FirstOrDefault(n => word.AsSpan(i).StartsWith(n.From, StringComparison.Ordinal)) is { From: not null } name)
                {
                    quoted.Append(name.To);
                    i += name.From.Length;
                    continue;
                }
                if (word[i] is '"' or '\\' or '$' or '`') quoted.Append('\\');
                quoted.Append(word[i++]);
            }
            return quoted.Append('"').ToString();
        }
    }
}

/// <summary>The page the wan's internet server serves, the same whether the app or a rebuild script writes it.</summary>
public static class InternetServerPage
{
    public static string For(IPAddress server, string lab) =>
        $"<!doctype html><title>internet server</title><p>Hello from the internet server {server} of lab {lab}.</p>";
}
