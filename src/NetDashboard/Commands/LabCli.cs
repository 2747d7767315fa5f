using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Options;
using NetDashboard.Configuration;
using NetDashboard.Lab.Engine;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Commands;

/// <summary>
/// The command-line face: `lab up|down|ls|status|journal` and `cleanup`.
/// Exit codes: 0 success, 1 a command failed (the tool's stderr is printed), 2 bad input (nothing ran).
/// </summary>
public static class LabCli
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int BadInput = 2;

    private static readonly string[] Verbs = ["lab", "vm", "cleanup"];

    public static bool Handles(string[] args) => args.Length > 0 && Verbs.Contains(args[0]);

    public static async Task<int> RunAsync(string[] args, IServiceProvider services)
    {
        var engine = services.GetRequiredService<LabEngine>();
        var options = services.GetRequiredService<IOptions<DashboardOptions>>().Value;
        var root = BuildCommands(engine, options);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
                Console.Error.WriteLine($"error: {error.Message}");
            Console.Error.WriteLine("Try `--help` for usage.");
            return BadInput;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (LabFileException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return BadInput;
        }
        catch (Exception e) when (e is HostCommandException or GuestCommandException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return Failure;
        }
    }

    private static RootCommand BuildCommands(LabEngine engine, DashboardOptions options)
    {
        var fileArgument = new Argument<string>("file") { Description = "A lab file (YAML), e.g. labs/nat-pc.yaml" };
        var nameOption = new Option<string?>("--name") { Description = "The lab's name (default: the name in the file)" };
        var waitOption = new Option<bool>("--wait") { Description = "Return only when every VM is ready and configured" };
        var up = new Command("up", "Create a lab from a lab file, or bring an existing one to what the file wants") { fileArgument, nameOption, waitOption };
        up.SetAction((parse, ct) => UpAsync(engine, parse.GetValue(fileArgument)!, parse.GetValue(nameOption), parse.GetValue(waitOption), ct));

        var labArgument = new Argument<string>("name") { Description = "The lab's name" };
        var down = new Command("down", "Remove every namespace, process and file of a lab") { labArgument };
        down.SetAction((parse, ct) => DownAsync(engine, parse.GetValue(labArgument)!, ct));

        var ls = new Command("ls", "List the labs that exist");
        ls.SetAction((_, ct) => ListAsync(engine, ct));

        var jsonOption = new Option<bool>("--json") { Description = "Print the kernel snapshot as JSON" };
        var status = new Command("status", "Show what the kernel holds for a lab") { labArgument, jsonOption };
        status.SetAction((parse, ct) => StatusAsync(engine, parse.GetValue(labArgument)!, parse.GetValue(jsonOption), ct));

        var scriptOption = new Option<bool>("--script") { Description = "Print a bash script that rebuilds the lab from nothing" };
        var journal = new Command("journal", "Show every command run for a lab") { labArgument, scriptOption };
        journal.SetAction(parse => ShowJournal(engine, parse.GetValue(labArgument)!, parse.GetValue(scriptOption)));

        var lab = new Command("lab", "Create, inspect and remove labs") { up, down, ls, status, journal };
        var vm = BuildVmCommands(engine);
        var cleanup = new Command("cleanup", $"Remove every lab this app owns (runtime folder {options.RuntimeRoot}), nothing else");
        cleanup.SetAction((_, ct) => CleanupAsync(engine, ct));
        return new RootCommand("NetDashboard: build, see and probe the virtual network of QEMU VMs") { lab, vm, cleanup };
    }

    private static Command BuildVmCommands(LabEngine engine)
    {
        var labArgument = new Argument<string>("lab") { Description = "The lab's name" };
        var vmArgument = new Argument<string>("vm") { Description = "The VM's name, as in the lab file" };
        var vm = new Command("vm", "Start, stop and run commands in a lab's VMs");
        foreach (var (verb, description) in new[] { ("start", "Start a VM (QEMU creates its tap)"), ("stop", "Stop a VM: QMP quit, then kill"), ("restart", "Stop and start a VM") })
        {
            var command = new Command(verb, description) { labArgument, vmArgument };
            command.SetAction((parse, ct) => VmLifecycleAsync(engine, verb, parse.GetValue(labArgument)!, parse.GetValue(vmArgument)!, ct));
            vm.Subcommands.Add(command);
        }
        var timeoutOption = new Option<int>("--timeout") { Description = "Seconds to wait for the command", DefaultValueFactory = _ => 30 };
        var commandArgument = new Argument<string[]>("command") { Description = "The command to run in the guest, after --", Arity = ArgumentArity.OneOrMore };
        var exec = new Command("exec", "Run a command in a built-in guest; prints its output and exits with its exit code") { labArgument, vmArgument, timeoutOption, commandArgument };
        exec.SetAction((parse, ct) => VmExecAsync(engine, parse.GetValue(labArgument)!, parse.GetValue(vmArgument)!,
            parse.GetValue(commandArgument)!, parse.GetValue(timeoutOption), ct));
        vm.Subcommands.Add(exec);
        return vm;
    }

    private static async Task<int> VmLifecycleAsync(LabEngine engine, string verb, string lab, string name, CancellationToken cancellationToken)
    {
        if (FindVm(engine, lab, name, out var vm) is { } refused) return refused;
        var status = verb switch
        {
            "start" => await engine.Vms.StartAsync(lab, vm!, cancellationToken),
            "stop" => await engine.Vms.StopAsync(lab, vm!, cancellationToken),
            _ => await engine.Vms.RestartAsync(lab, vm!, cancellationToken),
        };
        if (verb != "stop" && vm!.IsBuiltin)
            status = await engine.Vms.WaitReadyAsync(lab, vm, TimeSpan.FromSeconds(90), cancellationToken);
        Console.WriteLine($"{name}: {status.State.ToString().ToLowerInvariant()}{(status.Pid is { } pid ? $" (pid {pid})" : "")}");
        return Success;
    }

    private static async Task<int> VmExecAsync(LabEngine engine, string lab, string name, string[] command, int timeoutSeconds, CancellationToken cancellationToken)
    {
        if (FindVm(engine, lab, name, out var vm) is { } refused) return refused;
        if (timeoutSeconds is < 1 or > 3600)
            return Refuse("--timeout is between 1 and 3600 seconds");
        var line = string.Join(' ', command.Select(HostCommand.ShellQuote));
        var result = await engine.Vms.ExecAsync(lab, vm!, line, TimeSpan.FromSeconds(timeoutSeconds), cancellationToken);
        Console.Write(result.Output);
        return result.ExitCode;
    }

    private static int? FindVm(LabEngine engine, string lab, string name, out VmDefinition? vm)
    {
        vm = null;
        if (InputRules.CheckLabName(lab) is { } problem)
            return Refuse($"'{lab}' is not a lab name: {problem}");
        var definition = engine.Store.ReadDefinition(lab);
        if (definition is null)
        {
            Console.Error.WriteLine($"error: there is no lab named '{lab}'");
            return Failure;
        }
        vm = definition.Vm(name);
        return vm is null ? Refuse(definition.NoSuchVm(name)) : null;
    }

    private static async Task<int> UpAsync(LabEngine engine, string file, string? name, bool wait, CancellationToken cancellationToken)
    {
        if (name is not null && InputRules.CheckLabName(name) is { } problem)
            return Refuse($"--name '{name}' is not valid: {problem}");
        var definition = LabFileLoader.LoadFile(file, name);
        var yaml = await File.ReadAllTextAsync(file, cancellationToken);
        Console.WriteLine($"lab {definition.Name}: applying {file}");
        var result = await engine.ApplyAsync(definition, yaml, Path.GetFullPath(file), new Progress(PrintEntry), cancellationToken, waitForVms: wait);
        foreach (var pending in result.Pending)
            Console.WriteLine($"  waiting: {pending}");
        Console.WriteLine(result.Ran.Count == 0
            ? $"lab {definition.Name}: already as the file wants; nothing to do"
            : $"lab {definition.Name}: up ({result.Ran.Count} commands, {result.Ran.Sum(e => e.DurationMs):0} ms)");
        return Success;
    }

    private static async Task<int> DownAsync(LabEngine engine, string lab, CancellationToken cancellationToken)
    {
        if (InputRules.CheckLabName(lab) is { } problem)
            return Refuse($"'{lab}' is not a lab name: {problem}");
        if (!await engine.DownAsync(lab, new Progress(PrintEntry), cancellationToken))
        {
            Console.Error.WriteLine($"error: there is no lab named '{lab}'");
            return Failure;
        }
        Console.WriteLine($"lab {lab}: down");
        return Success;
    }

    private static async Task<int> ListAsync(LabEngine engine, CancellationToken cancellationToken)
    {
        var owned = engine.Store.ListLabs();
        foreach (var lab in await engine.ListLabsAsync(cancellationToken))
        {
            var record = engine.Store.Read(lab);
            var note = owned.Contains(lab) ? $"created {record?.CreatedAt:u}" : "not in the runtime folder (remove with `lab down`)";
            Console.WriteLine($"{lab,-20}  {note}");
        }
        return Success;
    }

    private static async Task<int> StatusAsync(LabEngine engine, string lab, bool json, CancellationToken cancellationToken)
    {
        if (InputRules.CheckLabName(lab) is { } problem)
            return Refuse($"'{lab}' is not a lab name: {problem}");
        var status = await LabStatus.ReadAsync(engine, lab, cancellationToken);
        if (status is null)
        {
            Console.Error.WriteLine($"error: there is no lab named '{lab}'");
            return Failure;
        }
        if (json)
            Console.WriteLine(JsonSerializer.Serialize(status, LabStatus.JsonOptions));
        else
            Console.Write(status.ToText());
        return Success;
    }

    private static int ShowJournal(LabEngine engine, string lab, bool script)
    {
        if (InputRules.CheckLabName(lab) is { } problem)
            return Refuse($"'{lab}' is not a lab name: {problem}");
        if (engine.Store.Read(lab) is null)
        {
            Console.Error.WriteLine($"error: there is no lab named '{lab}'");
            return Failure;
        }
        var entries = engine.Store.JournalOf(lab).ReadAll();
        if (script)
        {
            Console.Write(Journal.ExportScript(lab, entries));
            return Success;
        }
        foreach (var entry in entries)
            PrintEntry(entry);
        return Success;
    }

    private static async Task<int> CleanupAsync(LabEngine engine, CancellationToken cancellationToken)
    {
        var owned = engine.Store.ListLabs();
        foreach (var lab in owned)
        {
            await engine.DownAsync(lab, null, cancellationToken);
            Console.WriteLine($"removed lab {lab}");
        }
        var others = (await engine.ListLabsAsync(cancellationToken)).Except(owned).ToList();
        foreach (var lab in others)
            Console.WriteLine($"left alone: lab {lab} has namespaces but no runtime record; remove it with `lab down {lab}`");
        Console.WriteLine(owned.Count == 0 ? "no lab to remove" : $"{owned.Count} lab(s) removed");
        return Success;
    }

    private static int Refuse(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return BadInput;
    }

    private static void PrintEntry(JournalEntry entry)
    {
        var mark = entry.Succeeded ? "ok " : "ERR";
        Console.WriteLine($"  {mark} {entry.TutorialLine}");
        Console.WriteLine($"        {entry.CommandLine}{(entry.Succeeded ? "" : $"  → exit {entry.ExitCode}: {entry.StandardError}")}");
    }

    private sealed class Progress(Action<JournalEntry> report) : IProgress<JournalEntry>
    {
        public void Report(JournalEntry value) => report(value);
    }
}
