using NetDashboard.Lab.Services;
using System.CommandLine;
using NetDashboard.Configuration;
using NetDashboard.Lab.Model;
using NetDashboard.Security;

namespace NetDashboard.Commands;

/// <summary>
/// The command-line face: `lab up|down|ls|status|journal`, `vm start|stop|restart|exec|add`, `trace`, `cleanup`, `token` and `sessions`.
/// A translation of <see cref="LabService"/>'s results into text and exit codes: 0 success, 1 a command failed or
/// the lab does not exist (the tool's stderr is printed), 2 bad input (nothing ran).
/// </summary>
public static class LabCli
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int BadInput = 2;

    private static readonly string[] Verbs = ["lab", "vm", "cleanup", "token", "sessions", "trace", "observe"];

    public static bool Handles(string[] args) => args.Length > 0 && Verbs.Contains(args[0]);

    /// <param name="root">The repository root, where appsettings.json lives.</param>
    public static async Task<int> RunAsync(string[] args, string root)
    {
        // Everything but help reads or changes namespaces, QEMU and root's runtime folder: said once, not met as a crash.
        if (!Environment.IsPrivilegedProcess && !args.Any(a => a is "-h" or "--help" or "-?"))
        {
            Console.Error.WriteLine($"error: `netdash {string.Join(' ', args.Take(2).Select(a => Printable.Quote(a)))}` runs as root: it reads and changes network namespaces, "
                                    + "QEMU and the runtime folder, which only root may. Run it with sudo.");
            return BadInput;
        }
        var (services, problems) = CliServices.Create(root);
        if (services is null)
        {
            foreach (var problem in problems)
                Console.Error.WriteLine($"error: appsettings.json or NetDashboard__* variables: {problem}");
            return BadInput;
        }
        // A runtime folder another user could plant links in is refused before any command reads or writes it.
        if (args[0] is not ("token" or "sessions" or "observe") && LabComposition.RuntimeFolderProblem(services.Options.RuntimeRoot, create: false) is { } unsafeRoot)
        {
            Console.Error.WriteLine($"error: the runtime folder {Printable.Escape(services.Options.RuntimeRoot)} is not used: {Printable.Escape(unsafeRoot)}");
            return BadInput;
        }
        var commands = BuildCommands(services);
        var parse = commands.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
                Console.Error.WriteLine($"error: {error.Message}");
            Console.Error.WriteLine("Try `--help` for usage.");
            return BadInput;
        }
        if (args[0] is "lab" or "vm" or "trace")
            KeepFoldersBounded(services.Labs);
        return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }

    // The dashboard keeps lab folders bounded while it runs; without it, the CLI does on each of its lab commands.
    private static void KeepFoldersBounded(LabService service)
    {
        try
        {
            foreach (var (lab, dropped) in service.KeepFoldersBounded())
                foreach (var sentence in dropped)
                    Console.Error.WriteLine($"note: lab {lab}: {sentence}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or LabException)
        {
            // Not this command's business: it runs, and says what it meets itself.
        }
    }

    private static RootCommand BuildCommands(CliServices services)
    {
        var service = services.Labs;
        var options = services.Options;

        var fileArgument = new Argument<string>("file") { Description = "A lab file (YAML), e.g. labs/nat-pc.yaml" };
        var nameOption = new Option<string?>("--name") { Description = "The lab's name (default: the name in the file)" };
        var waitOption = new Option<bool>("--wait") { Description = "Return only when every VM is ready and configured" };
        var up = new Command("up", "Create a lab from a lab file, or bring an existing one to what the file wants") { fileArgument, nameOption, waitOption };
        up.SetAction((parse, ct) => UpAsync(service, parse.GetValue(fileArgument)!, parse.GetValue(nameOption), parse.GetValue(waitOption), ct));

        var labArgument = new Argument<string>("name") { Description = "The lab's name" };
        var foreignOption = new Option<bool>("--foreign")
        {
            Description = "Remove a lab this app has no record of (namespaces with the netdash- prefix made by hand or by another runtime folder)",
        };
        var down = new Command("down", "Remove every namespace, process and file of a lab") { labArgument, foreignOption };
        down.SetAction(async (parse, ct) =>
        {
            var lab = parse.GetValue(labArgument)!;
            var teardown = await service.TearDownAsync(lab, new Progress(PrintEntry), ct, foreign: parse.GetValue(foreignOption));
            return Report(teardown.Result);
        });

        var ls = new Command("ls", "List the labs that exist");
        ls.SetAction(async (_, ct) =>
        {
            foreach (var lab in await service.ListLabsAsync(ct))
                Console.WriteLine($"{lab.Name,-20}  {(lab.Owned ? $"created {lab.CreatedAt:u}" : $"foreign: not in this runtime folder (remove with `lab down --foreign {lab.Name}`)")}");
            return Success;
        });

        var jsonOption = new Option<bool>("--json") { Description = "Print the kernel snapshot as JSON" };
        var status = new Command("status", "Show what the kernel holds for a lab") { labArgument, jsonOption };
        status.SetAction(async (parse, ct) =>
        {
            var lab = parse.GetValue(labArgument)!;
            if (LabService.CheckLabName(lab) is { } bad) return Report(bad);
            if (await service.StatusAsync(lab, ct) is not { } labStatus) return Report(ActionResult.NoSuchLab(lab));
            // Names and addresses come from the kernel, where a guest or a user may have put escape sequences.
            Console.Write(parse.GetValue(jsonOption) ? labStatus.ToJson() + "\n" : Printable.Escape(labStatus.ToText()));
            return Success;
        });

        var scriptOption = new Option<bool>("--script") { Description = "Print a bash script that rebuilds the lab from nothing" };
        var outputOption = new Option<string?>("--output")
        {
            Description = "Print the whole output (up to 1 MiB) of an entry whose output the journal cut, by the file it names (outputs/N.txt)",
        };
        var journal = new Command("journal", "Show every command run for a lab") { labArgument, scriptOption, outputOption };
        journal.SetAction(parse =>
        {
            var lab = parse.GetValue(labArgument)!;
            if (LabService.CheckLabName(lab) is { } bad) return Report(bad);
            if (parse.GetValue(outputOption) is { } outputFile)
            {
                var (result, output) = service.JournalOutputOf(lab, outputFile);
                if (output is null) return Report(result);
                // A guest's output, escape sequences and all: shown escaped, as everywhere.
                Console.Write(Printable.Escape(output));
                return Success;
            }
            // Read one entry at a time: a journal may hold thousands.
            if (service.ReadJournal(lab) is not { } entries) return Report(ActionResult.NoSuchLab(lab));
            if (parse.GetValue(scriptOption))
                Console.Write(service.JournalScriptOf(lab));
            else
                foreach (var entry in entries) PrintEntry(lab, entry);
            return Success;
        });

        var labCommand = new Command("lab", "Create, inspect and remove labs") { up, down, ls, status, journal };
        var cleanup = new Command("cleanup", $"Remove every lab this app owns (runtime folder {options.RuntimeRoot}), nothing else");
        cleanup.SetAction(async (_, ct) =>
        {
            var result = await service.CleanupAsync(ct);
            foreach (var lab in result.Removed) Console.WriteLine($"removed lab {lab}");
            foreach (var lab in result.LeftAlone)
                Console.WriteLine($"left alone: lab {lab} has namespaces but no record in this runtime folder; remove it with `lab down --foreign {lab}`");
            Console.WriteLine(result.Removed.Count == 0 ? "no lab to remove" : $"{result.Removed.Count} lab(s) removed");
            return Success;
        });
        return new RootCommand("NetDashboard: build, see and probe the virtual network of QEMU VMs")
        {
            labCommand, BuildVmCommands(service), cleanup, BuildTokenCommand(services), BuildSessionsCommand(services), BuildTraceCommand(service),
            BuildObserveCommand(services.Observation),
        };
    }

    private static Command BuildVmCommands(LabService service)
    {
        var labArgument = new Argument<string>("lab") { Description = "The lab's name" };
        var vmArgument = new Argument<string>("vm") { Description = "The VM's name, as in the lab file" };
        var vm = new Command("vm", "Start, stop and run commands in a lab's VMs");
        foreach (var (verb, description) in new[]
                 {
                     (VmVerb.Start, "Start a VM (QEMU creates its tap), then apply the lab file's ports and guest settings"),
                     (VmVerb.Stop, "Stop a VM: QMP quit, then kill"),
                     (VmVerb.Restart, "Stop and start a VM, then apply the lab file's ports and guest settings"),
                 })
        {
            var command = new Command(verb.ToString().ToLowerInvariant(), description) { labArgument, vmArgument };
            command.SetAction(async (parse, ct) =>
                Report(await service.VmAsync(parse.GetValue(labArgument)!, parse.GetValue(vmArgument)!, verb, ct)));
            vm.Subcommands.Add(command);
        }
        vm.Subcommands.Add(BuildVmAddCommand(service, labArgument));
        var timeoutOption = new Option<int?>("--timeout") { Description = "Seconds to wait for the command (default: the configured guest-command timeout)" };
        var commandArgument = new Argument<string[]>("command") { Description = "The command to run in the guest, after --", Arity = ArgumentArity.OneOrMore };
        var rawOption = new Option<bool>("--raw")
        {
            Description = "Print the output byte for byte when stdout is not a terminal (a pipe or a file); to a terminal, control characters are always shown escaped",
        };
        var exec = new Command("exec", "Run a command in a built-in guest; prints its output and exits with its exit code")
            { labArgument, vmArgument, timeoutOption, rawOption, commandArgument };
        exec.SetAction(async (parse, ct) =>
        {
            var line = string.Join(' ', parse.GetValue(commandArgument)!.Select(Printable.ShellQuote));
            var timeout = parse.GetValue(timeoutOption) is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
            var outcome = await service.ExecAsync(parse.GetValue(labArgument)!, parse.GetValue(vmArgument)!, line, timeout, ct);
            if (outcome.Guest is not { } guest) return Report(outcome.Result);
            // The guest decides what it prints: an escape sequence reaching root's terminal could retitle it, write the
            // clipboard (OSC 52) or hide lines. Shown as \x1b… unless asked raw into a pipe or a file.
            Console.Write(parse.GetValue(rawOption) && Console.IsOutputRedirected ? guest.Output : Printable.Escape(guest.Output));
            if (guest.OutputTruncated) Console.Error.WriteLine(GuestResult.TruncatedNote);
            return guest.ExitCode;
        });
        vm.Subcommands.Add(exec);
        return vm;
    }

    // The page's create-VM form as options: each left out takes the same suggestion the form shows.
    private static Command BuildVmAddCommand(LabService service, Argument<string> labArgument)
    {
        var nameArgument = new Argument<string>("name") { Description = "The new VM's name, e.g. vm3" };
        var tap = new Option<string?>("--tap") { Description = "Its tap (default: the next free tapN)" };
        var mac = new Option<string?>("--mac") { Description = "Its MAC (default: a new locally administered 52:54:… one)" };
        var nic = new Option<string>("--nic") { Description = "e1000 or virtio-net", DefaultValueFactory = _ => "e1000" };
        var image = new Option<string?>("--image") { Description = "builtin (default), or a disk image in an image folder" };
        var memory = new Option<int>("--memory") { Description = "Memory in MiB, 64 to 8192", DefaultValueFactory = _ => 256 };
        var bridge = new Option<string?>("--bridge") { Description = "The bridge its tap joins, or none (default: the bridge of the lab's other taps)" };
        var address = new Option<string?>("--address") { Description = "The guest's eth0 address, e.g. 192.168.1.12/24, or none (default: the next free one)" };
        var gateway = new Option<string?>("--gateway") { Description = "The guest's default gateway, or none (default: the other guests' gateway)" };
        var add = new Command("add", "Create a VM, start it, put its tap up in its bridge and configure its guest (as the page's Create VM)")
            { labArgument, nameArgument, tap, mac, nic, image, memory, bridge, address, gateway };
        add.SetAction(async (parse, ct) => Report(await service.CreateVmAsync(parse.GetValue(labArgument)!, new NewVmRequest
        {
            Name = parse.GetValue(nameArgument), Tap = parse.GetValue(tap), Mac = parse.GetValue(mac), Nic = parse.GetValue(nic)!,
            Image = parse.GetValue(image), MemoryMb = parse.GetValue(memory), Bridge = parse.GetValue(bridge),
            Address = parse.GetValue(address), Gateway = parse.GetValue(gateway),
        }, ct)));
        return add;
    }

    private static Command BuildTraceCommand(LabService service)
    {
        var labArgument = new Argument<string>("lab") { Description = "The lab's name" };
        var fromArgument = new Argument<string>("from") { Description = "Who sends the probe: a VM's name, pc or host" };
        var toArgument = new Argument<string>("to") { Description = "The IPv4 address it goes to, e.g. 203.0.113.5" };
        var protocolOption = new Option<string?>("--protocol") { Description = "icmp (default), tcp:PORT or udp:53" };
        var jsonOption = new Option<bool>("--json") { Description = "Print the trace as JSON (as POST /api/labs/LAB/trace answers)" };
        var fixOption = new Option<bool>("--apply-fix") { Description = "When the probe is lost and a fix is offered, run it (journaled) and trace again" };
        var pcapngOption = new Option<FileInfo?>("--pcapng") { Description = "Also write what the trace captured to this pcapng file, the verdict as a comment on the packet where the probe was last seen" };
        var trace = new Command("trace", "Send one probe and follow it across every interface of its way; when it is lost, say why and how to fix it")
            { labArgument, fromArgument, toArgument, protocolOption, jsonOption, fixOption, pcapngOption };
        trace.SetAction(async (parse, ct) =>
        {
            var lab = parse.GetValue(labArgument)!;
            var outcome = await service.TraceAsync(lab, parse.GetValue(fromArgument), parse.GetValue(toArgument), parse.GetValue(protocolOption), ct);
            if (outcome.Report is not { } report) return Report(outcome.Result);
            // Escaped: a verdict quotes what the guest and the kernel said (a probe's error, a DNS name in a packet).
            Console.Write(parse.GetValue(jsonOption) ? TraceText.Json(report) + "\n" : Printable.Escape(TraceText.Of(report)));
            if (parse.GetValue(pcapngOption) is { } file && service.LastTracePcapNg(lab) is { } captured)
            {
                await using var output = file.Create();
                captured.Write(output);
            }
            if (!parse.GetValue(fixOption) || report.Replied || report.Verdict?.Fix is not { } fix) return report.Replied ? Success : Failure;
            var applied = await service.ApplyFixAsync(lab, fix, ct);
            Console.WriteLine(Printable.Escape(applied.Succeeded ? applied.Message : $"the fix failed: {applied.Message}"));
            if (!applied.Succeeded) return Report(applied);
            var again = await service.TraceAsync(lab, parse.GetValue(fromArgument), parse.GetValue(toArgument), parse.GetValue(protocolOption), ct);
            if (again.Report is not { } retrace) return Report(again.Result);
            Console.Write(parse.GetValue(jsonOption) ? TraceText.Json(retrace) + "\n" : Printable.Escape(TraceText.Of(retrace)));
            return retrace.Replied ? Success : Failure;
        });
        return trace;
    }

    private static Command BuildObserveCommand(HostObservation observation)
    {
        var jsonOption = new Option<bool>("--json") { Description = "Print it as JSON (as GET /api/host/topology answers)" };
        var observe = new Command("observe", $"This host's networks, read-only ({observation.Target}): every namespace reachable from it, links, "
            + "veth peers, the process behind each tap, routes of every table, rules, and the stacks recognised (libvirt, Docker, Proxmox); changes nothing")
            { jsonOption };
        observe.SetAction(async (parse, ct) =>
        {
            var (result, host) = await observation.ObserveAsync(ct);
            if (host is null) return Report(result);
            // Escaped: interface names and command lines are the host's, not ours.
            Console.Write(parse.GetValue(jsonOption) ? ObservedText.Json(host) + "\n" : Printable.Escape(ObservedText.Of(host)));
            return Success;
        });
        return observe;
    }

    private static Command BuildTokenCommand(CliServices services)
    {
        var rotateOption = new Option<bool>("--rotate") { Description = "Replace the token: every session signed in with the old one ends" };
        var token = new Command("token", "Print the dashboard's login link (root only)") { rotateOption };
        token.SetAction(parse =>
        {
            var accessToken = services.Token;
            if (parse.GetValue(rotateOption))
            {
                accessToken.Rotate();
                services.Sessions.RevokeAll();
            }
            Console.WriteLine(accessToken.LoginLink(LoginUrl.LastServed(services.Options.StateFolder) ?? LoginUrl.Base(null, services.Urls)));
            Console.WriteLine(parse.GetValue(rotateOption)
                ? "The token was replaced: every session ended, and what was open with the old one (pages, captures, consoles) is closed within a second; browsers and scripts must sign in again."
                : $"For scripts: Authorization: Bearer {accessToken.Current}");
            return Success;
        });
        return token;
    }

    private static Command BuildSessionsCommand(CliServices services)
    {
        var revokeOption = new Option<bool>("--revoke-all") { Description = "End every session: open pages, captures and consoles close within a second" };
        var sessions = new Command("sessions", "Say how many browsers are signed in, or sign them all out (root only)") { revokeOption };
        sessions.SetAction(parse =>
        {
            if (parse.GetValue(revokeOption))
            {
                var ended = services.Sessions.RevokeAll();
                Console.WriteLine($"Ended {ended} session{(ended == 1 ? "" : "s")}: every browser must sign in again (the token still works; `token --rotate` replaces it too).");
                return Success;
            }
            var (count, last) = services.Sessions.Live();
            Console.WriteLine(count == 0
                ? "No browser is signed in."
                : $"{count} session{(count == 1 ? "" : "s")} signed in; the last expires at {last:yyyy-MM-dd HH:mm} UTC unless used ({services.Options.SessionHours} h after each use).");
            return Success;
        });
        return sessions;
    }

    private static async Task<int> UpAsync(LabService service, string file, string? name, bool wait, CancellationToken cancellationToken)
    {
        string yaml;
        try
        {
            yaml = LabService.ReadLabFile(file);
        }
        catch (LabFileException e)
        {
            return Report(ActionResult.Refused(e.Problems));
        }
        Console.WriteLine($"applying {file}");
        var creation = await service.CreateLabAsync(new CreateLabRequest(Yaml: yaml, Name: name, Wait: wait, SourcePath: Path.GetFullPath(file)),
            new Progress(PrintEntry), cancellationToken);
        if (creation.Applied is { } applied)
        {
            foreach (var pending in applied.Pending)
                Console.WriteLine($"  waiting: {pending}");
            Console.WriteLine(applied.Ran.Count == 0
                ? $"lab {applied.Lab}: already as the file wants; nothing to do"
                : $"lab {applied.Lab}: up ({applied.Ran.Count} commands, {applied.Ran.Sum(e => e.DurationMs):0} ms)");
            return Success;
        }
        return Report(creation.Result);
    }

    /// <summary>The one mapping from an action's outcome to text and an exit code.</summary>
    private static int Report(ActionResult result)
    {
        if (result.Succeeded)
        {
            Console.WriteLine(Printable.Escape(result.Message));
            if (!string.IsNullOrEmpty(result.Output)) Console.Write(Printable.Escape(result.Output));
            return Success;
        }
        if (result.Outcome is ActionOutcome.Refused or ActionOutcome.Conflict)
        {
            foreach (var problem in result.Problems)
                Console.Error.WriteLine($"error: {Printable.Escape(problem.ToString())}");
            return BadInput;
        }
        Console.Error.WriteLine($"error: {Printable.Escape(result.Message)}");
        if (!string.IsNullOrEmpty(result.Output)) Console.Error.Write(Printable.Escape(result.Output));
        // Nothing ran at a limit either: like bad input, asking again (later) is the answer.
        return result.Outcome == ActionOutcome.TooMany ? BadInput : Failure;
    }

    // Escaped: a guest's output (in StandardError) may hold terminal escape sequences.
    private static void PrintEntry(JournalEntry entry) => PrintEntry(null, entry);

    private static void PrintEntry(string? lab, JournalEntry entry)
    {
        var mark = entry.Succeeded ? "ok " : "ERR";
        Console.WriteLine($"  {mark} {Printable.Escape(entry.TutorialLine)}");
        Console.WriteLine($"        {Printable.Escape(entry.CommandLine)}{(entry.Succeeded ? "" : $"  → exit {entry.ExitCode}: {Printable.Escape(entry.StandardError)}")}");
        if (entry.OutputTruncated) Console.WriteLine($"        ({GuestResult.TruncatedNote})");
        if (entry.OutputFile is { } file)
            Console.WriteLine($"        (the journal keeps its first 64 KiB; the whole output: netdash lab journal {lab ?? "LAB"} --output {file})");
    }

    private sealed class Progress(Action<JournalEntry> report) : IProgress<JournalEntry>
    {
        public void Report(JournalEntry value) => report(value);
    }
}
