using NetDashboard.Lab.Runtime;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Tests;

public sealed class JournalTests : IDisposable
{
    private const string HostNs = "netdash-t1-host";

    private static readonly DateTimeOffset Start = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"netdash-journal-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
            Directory.Delete(_folder, recursive: true);
    }

    /// <summary>An entry as the engine journals an operation: argv from the builder, tutorial and replayability from the operation.</summary>
    internal static JournalEntry Entry(LabOperation operation, int exitCode = 0, int second = 0) => new()
    {
        Time = Start.AddSeconds(second),
        Who = "host",
        Namespace = operation.Namespace,
        Argv = CommandBuilder.Build(operation).Argv,
        Tutorial = operation.Tutorial,
        ExitCode = exitCode,
        StandardError = exitCode == 0 ? "" : "RTNETLINK answers: File exists",
        DurationMs = 1.5 + second,
        Replayable = operation.Replayable,
        Remark = operation.IsRemark,
    };

    /// <summary>An entry as the VM supervisor journals a guest command.</summary>
    internal static JournalEntry GuestEntry(string command, bool outputTruncated = false, bool replayable = true) => new()
    {
        Time = Start,
        Who = "vm1",
        Namespace = HostNs,
        Argv = [JournalEntry.GuestAgent, "vm1", command],
        Tutorial = command,
        ExitCode = 0,
        Replayable = replayable,
        OutputTruncated = outputTruncated,
    };

    [Fact]
    public void ReadAll_AfterAppends_EqualEntriesInOrder()
    {
        var path = Path.Combine(_folder, "journal.jsonl");
        JournalEntry[] written =
        [
            Entry(new CreateNamespace(HostNs)),
            Entry(new AddMasquerade(HostNs, Subnet.Parse("192.168.1.0/24"), "ens160", "netdash:t1"), second: 1),
            Entry(new CreateBridge(HostNs, "br0"), exitCode: 2, second: 2),
            Entry(new StopProcess(HostNs, 4242, Force: true), second: 3),
            GuestEntry("# just a note"),
            GuestEntry("yes | head -c 3000000", outputTruncated: true),
        ];
        var journal = new Journal(path);
        foreach (var entry in written)
            journal.Append(entry);

        var read = new Journal(path).ReadAll();

        Assert.Equivalent(written, read, strict: true);
        Assert.Equal(written.Select(e => e.Argv), read.Select(e => e.Argv));
    }

    [Fact]
    public void ReadAll_NoFile_Empty() => Assert.Empty(new Journal(Path.Combine(_folder, "none.jsonl")).ReadAll());

    [Fact]
    public void Append_Entry_ReturnedAsStoredAndReadBack()
    {
        var path = Path.Combine(_folder, "journal.jsonl");
        var entry = Entry(new CreateBridge(HostNs, "br0"));

        var stored = new Journal(path).Append(entry);

        Assert.Same(entry, stored);
        Assert.Equivalent(entry, Assert.Single(new Journal(path).ReadAll()), strict: true);
    }

    [Fact]
    public void TutorialLine_CreateBridge_HostPromptAndBrctl() =>
        Assert.Equal("(host)$ brctl addbr br0", Entry(new CreateBridge(HostNs, "br0")).TutorialLine);

    [Fact]
    public void TutorialLine_CommentTutorial_NoPrompt() =>
        Assert.Equal($"# a machine of its own: network namespace {HostNs}", Entry(new CreateNamespace(HostNs)).TutorialLine);

    // A guest command is what a person typed at the VM's prompt, whatever it starts with.
    [Fact]
    public void TutorialLine_GuestCommandStartingWithHash_VmPrompt() =>
        Assert.Equal("(vm1)$ # just a note", GuestEntry("# just a note").TutorialLine);

    [Fact]
    public void TutorialLine_AddMasquerade_TheTutorialsIptablesLine() =>
        Assert.Equal(
            "(host)$ iptables -t nat -A POSTROUTING -s 192.168.1.0/24 ! -d 192.168.1.0/24 -j MASQUERADE",
            Entry(new AddMasquerade(HostNs, Subnet.Parse("192.168.1.0/24"), null, "netdash:t1")).TutorialLine);

    [Fact]
    public void CommandLine_MasqueradeEntry_SameAsHostCommandString()
    {
        var masquerade = new AddMasquerade(HostNs, Subnet.Parse("192.168.1.0/24"), null, "netdash:t1");

        Assert.Equal(CommandBuilder.Build(masquerade).ToString(), Entry(masquerade).CommandLine);
    }
}
