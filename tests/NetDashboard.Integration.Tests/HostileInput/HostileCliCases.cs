using NetDashboard.Lab.Services;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using NetDashboard.Tests.Shared;

namespace NetDashboard.Integration.Tests.HostileInput;

/// <summary>
/// One command line the CLI must refuse with exit code 2, naming <paramref name="Field"/> on stderr (a trailing *
/// matches any field that starts so, as "line *" for a place in a lab file).
/// <paramref name="LabFile"/>, when set, is written to the file the command line names first.
/// <paramref name="Service"/> is the lab-service call the CLI makes for it (null for a refusal of the CLI's own parser),
/// timed in-process: the CLI's wall time is mostly its own start.
/// <paramref name="Secret"/>, when set, is text of the file named that must never be printed.
/// </summary>
public sealed record CliCase(string Id, IReadOnlyList<string> Args, string Field, string? LabFile = null,
    Func<LabService, Task<ActionResult>>? Service = null, string? Secret = null)
{
    /// <summary>The file the case writes its <see cref="LabFile"/> to.</summary>
    public string FilePath => Args[2];

    /// <summary>What stderr says: "error: FIELD: …" for a refusal of the lab service, the option's name for one of the CLI's parser.</summary>
    public string Printed => Service is null ? Field : $"error: {Field.TrimEnd('*')}";

    public bool Names(string field) => Field.EndsWith('*') ? field.StartsWith(Field[..^1], StringComparison.Ordinal) : field == Field;
}

/// <summary>The corpus as command lines: a lab file per field, hostile files, lab and VM names, guest commands and timeouts.</summary>
public static class HostileCliCases
{
    public static IReadOnlyDictionary<string, CliCase> For(HostileTarget target)
    {
        var cases = new List<CliCase>();
        var written = 0;
        string CaseFile() => Path.Combine(target.CaseFolder, $"case-{++written}.yaml");

        // The most particular hostile value of each field (the last of its list), then every malformed file.
        foreach (var file in HostileLabFiles.OneHostileValue(target.FreshLab, target.ImageFolder).GroupBy(f => f.Refusal.Field).Select(g => g.Last())
                     .Concat(HostileLabFiles.Malformed(target.FreshLab)))
            cases.Add(Up($"lab file {file.Id}", CaseFile(), null, file.Refusal.Field!) with { LabFile = file.Yaml });

        cases.AddRange(new (string Label, string Path, string Field)[]
        {
            ("/dev/zero", "/dev/zero", "file"),
            ("/dev/urandom", "/dev/urandom", "file"),
            ("a FIFO", Path.Combine(target.CaseFolder, "pipe.yaml"), "file"),
            ("a link to /dev/zero", Path.Combine(target.CaseFolder, "zero.yaml"), "file"),
            ("a folder", "/", "file"),
            ("missing", Path.Combine(target.CaseFolder, "missing.yaml"), "file"),
            ("/etc/shadow", "/etc/shadow", "line *"),
        }.Select(file => Up($"file {file.Label}", file.Path, null, file.Field) with { Secret = file.Path == "/etc/shadow" ? "root:" : null }));

        cases.AddRange(HostileValues.LabNames
            .Where(name => name.Label is "uppercase" or "shell semicolon" or "newline" or "21 characters" or "non-ASCII" or "leading dash")
            .Select(name => Up($"--name {name.Label}", TestLab.LabFile("nat-pc.yaml"), name.Value, "name")));

        foreach (var name in HostileValues.LabNames.Where(name => name.Label is "uppercase" or "shell semicolon"))
        {
            cases.Add(new($"lab down {name.Label}", ["lab", "down", name.Value], "lab", Service: s => TearDownAsync(s, name.Value)));
            cases.Add(new($"lab status {name.Label}", ["lab", "status", name.Value], "lab", Service: s => Task.FromResult(LabService.CheckLabName(name.Value)!)));
            cases.Add(new($"lab journal {name.Label}", ["lab", "journal", name.Value], "lab", Service: s => Task.FromResult(LabService.CheckLabName(name.Value)!)));
            cases.Add(new($"vm start, lab {name.Label}", ["vm", "start", name.Value, target.Vm], "lab",
                Service: s => s.VmAsync(name.Value, target.Vm, VmVerb.Start)));
        }

        foreach (var vm in HostileValues.VmNames.Where(name => name.Label is "uppercase" or "shell semicolon" or "slash" or "newline"))
        {
            foreach (var verb in Enum.GetValues<VmVerb>())
            {
                var word = verb.ToString().ToLowerInvariant();
                cases.Add(new($"vm {word} {vm.Label}", ["vm", word, target.Lab, vm.Value], "vm", Service: s => s.VmAsync(target.Lab, vm.Value, verb)));
            }
        }

        // Through the CLI a command is its arguments, each shell-quoted into one line: an empty or blank argument
        // becomes '' (a command), and an argument cannot hold a NUL.
        cases.AddRange(HostileValues.GuestCommands.Where(command => !string.IsNullOrWhiteSpace(command.Value) && !command.Value.Contains('\0'))
            .Select(command => Exec($"vm exec {command.Label}", target, [command.Value], null, "command")));
        cases.AddRange(new[] { "0", "-1", "301", "3601" }.Select(seconds => Exec($"vm exec --timeout {seconds}", target, ["true"], seconds, "timeoutSeconds")));
        cases.Add(new("vm exec --timeout abc", ["vm", "exec", target.Lab, target.Vm, "--timeout", "abc", "--", "true"], "--timeout"));
        return cases.ToDictionary(c => c.Id);
    }

    // What `lab up FILE [--name NAME]` asks of the lab service (Commands/LabCli.cs UpAsync).
    private static CliCase Up(string id, string file, string? name, string field) =>
        new(id, ["lab", "up", file, .. name is null ? Array.Empty<string>() : [$"--name={name}"]], field, Service: async service =>
        {
            try
            {
                var yaml = LabFileReader.ReadBounded(file);
                return (await service.CreateLabAsync(new CreateLabRequest(Yaml: yaml, Name: name, SourcePath: Path.GetFullPath(file)))).Result;
            }
            catch (LabFileException e)
            {
                return ActionResult.Refused(e.Problems);
            }
        });

    // What `vm exec LAB VM [--timeout S] -- WORDS` asks of the lab service: the words shell-quoted into one line.
    private static CliCase Exec(string id, HostileTarget target, string[] words, string? seconds, string field) =>
        new(id, ["vm", "exec", target.Lab, target.Vm, .. seconds is null ? Array.Empty<string>() : ["--timeout", seconds], "--", .. words], field,
            Service: async service => (await service.ExecAsync(target.Lab, target.Vm, string.Join(' ', words.Select(Printable.ShellQuote)),
                seconds is null ? null : TimeSpan.FromSeconds(int.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture)))).Result);

    private static async Task<ActionResult> TearDownAsync(LabService service, string lab) => (await service.TearDownAsync(lab)).Result;
}
