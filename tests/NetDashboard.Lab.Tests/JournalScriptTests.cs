using NetDashboard.Lab.Runtime;
using System.Net;
using CliWrap;
using CliWrap.Buffered;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using static NetDashboard.Lab.Tests.JournalTests;

namespace NetDashboard.Lab.Tests;

/// <summary>The journal as a rebuild script: what it keeps, how it renames, and that bash reads it as meant.</summary>
public sealed class JournalScriptTests
{
    private const string Root = "/run/netdashboard-test";
    private static readonly IPAddress Server = IPAddress.Parse("203.0.113.5");
    private static readonly LabNamespaces T1 = new("t1");

    private static string Export(params JournalEntry[] entries) => JournalScript.Export("t1", entries, Root, Server);

    // What the script line of an operation of lab t1 is: its namespace's words become the name given to the script.
    private static string Renamed(LabOperation operation) =>
        string.Join(' ', CommandBuilder.Build(operation).Argv.Select(w => w.Contains("netdash-t1-", StringComparison.Ordinal)
            ? $"\"{w.Replace("netdash-t1-", "netdash-${LAB}-", StringComparison.Ordinal)}\""
            : Printable.ShellQuote(w)));

    private static string[] Lines(string script) => script.ReplaceLineEndings("\n").Split('\n');

    [Fact]
    public void Export_AnyEntries_BashShebangThenStrictMode()
    {
        var lines = Lines(Export(Entry(new CreateNamespace(T1.Host))));

        Assert.Equal("#!/usr/bin/env bash", lines[0]);
        Assert.Contains("set -euo pipefail", lines.Take(6));
    }

    [Fact]
    public async Task Export_NoEntries_BashFindsNoSyntaxError()
    {
        var result = await Bash(["-n"], Export());

        Assert.True(result.ExitCode == 0, result.StandardError);
    }

    [Fact]
    public void Export_SuccessfulEntries_CommandsInJournalOrder()
    {
        LabOperation[] operations =
        [
            new CreateNamespace(T1.Host),
            new CreateBridge(T1.Host, "br0"),
            new AddBridgePort(T1.Host, "br0", "ens192"),
            new SetForwarding(T1.Host, true),
        ];

        var lines = Lines(Export([.. operations.Select((op, i) => Entry(op, second: i))]));

        var positions = operations.Select(op => Array.IndexOf(lines, Renamed(op))).ToList();
        Assert.DoesNotContain(-1, positions);
        Assert.Equal(positions.Order(), positions);
    }

    [Fact]
    public void Export_FailedEntry_LeftOut()
    {
        var script = Export(Entry(new CreateBridge(T1.Host, "br0")), Entry(new CreateBridge(T1.Host, "br1"), exitCode: 2));

        Assert.Contains(Renamed(new CreateBridge(T1.Host, "br0")), script);
        Assert.DoesNotContain("br1", script);
    }

    [Fact]
    public void Export_StopProcessAndProbe_LeftOut()
    {
        var script = Export(Entry(new CreateNamespace(T1.Host)), Entry(new StopProcess(T1.Host, 4242, Force: false)),
            GuestEntry("ping -c 1 -W 2 203.0.113.77", replayable: false));

        Assert.DoesNotContain("4242", script);
        Assert.DoesNotContain("203.0.113.77", script);
    }

    [Fact]
    public void Export_Entry_TutorialLineAsCommentAboveCommand()
    {
        var bridge = new CreateBridge(T1.Host, "br0");

        var lines = Lines(Export(Entry(bridge)));

        Assert.Equal("# (host)$ brctl addbr br0", lines[Array.IndexOf(lines, Renamed(bridge)) - 1]);
    }

    [Fact]
    public async Task Export_TutorialLineWithANewline_StaysOneCommentAndRunsNothing()
    {
        var hostile = JournalTests.Entry(new CreateNamespace(T1.Host)) with { Tutorial = "# a remark\ntouch /tmp/netdash-should-not-exist", Remark = true };

        var script = Export(hostile);
        var commentLines = Lines(script).Where(l => l.Contains("a remark", StringComparison.Ordinal)).ToList();
        var syntax = await Bash(["-n"], script);

        Assert.Equal(["# a remark\\x0atouch /tmp/netdash-should-not-exist"], commentLines);
        Assert.DoesNotContain(Lines(script), l => l.StartsWith("touch ", StringComparison.Ordinal));
        Assert.True(syntax.ExitCode == 0, syntax.StandardError);
    }

    [Fact]
    public void Export_GuestCommandAndQmpQuit_RunThroughTheScriptsFunctionsInOrder()
    {
        var quit = new JournalEntry
        {
            Time = DateTimeOffset.UnixEpoch, Who = "vm1", Namespace = T1.Host, Argv = [JournalEntry.Qmp, "vm1", "quit"],
            Tutorial = "# stop vm1", Remark = true, ExitCode = 0,
        };

        var lines = Lines(Export(GuestEntry("ifconfig eth0 192.168.1.10/24"), quit, GuestEntry("route add -net 0.0.0.0/0 gw 192.168.1.1")));

        var order = new[] { "guest vm1 'ifconfig eth0 192.168.1.10/24'", "qmp vm1 quit", "guest vm1 'route add -net 0.0.0.0/0 gw 192.168.1.1'" }
            .Select(l => Array.IndexOf(lines, l)).ToList();
        Assert.DoesNotContain(-1, order);
        Assert.Equal(order.Order(), order);
    }

    [Fact]
    public async Task Export_NamesFolderAndRuleTag_BashReadsThemAsTheNewLabs()
    {
        var webRoot = Path.Combine(Root, "t1", "www");
        var entries = new[]
        {
            Entry(new StartInternetServer(T1.Wan, webRoot)),
            Entry(new AddMasquerade(T1.Host, Subnet.Parse("192.168.1.0/24"), null, RuleTags.Of("t1"))),
            Entry(new SetLinkState(T1.Host, "it's \"$odd\"", true)),
        };
        var script = Export(entries);
        var commandLines = Lines(script).Where(l => l.StartsWith("ip ", StringComparison.Ordinal) || l.StartsWith("iptables", StringComparison.Ordinal)).ToList();

        // Each line's words as bash reads them, with LAB=new and DIR as the script sets it.
        var echoed = await Bash(["-c", $"LAB=new; DIR=/srv/rt/new; {string.Join("; ", commandLines.Select(l => $"printf '%s|' {l}; echo"))}"], "");

        var words = Lines(echoed.StandardOutput.TrimEnd('\n'));
        Assert.Equal("ip|netns|exec|netdash-new-wan|busybox|httpd|-p|80|-h|/srv/rt/new/www|", words[0]);
        Assert.StartsWith("ip|netns|exec|netdash-new-host|iptables|", words[1], StringComparison.Ordinal);
        Assert.Contains("|--comment|netdash:new|", words[1]);
        Assert.Equal("ip|-n|netdash-new-host|link|set|dev|it's \"$odd\"|up|", words[2]);
        Assert.DoesNotContain("t1", string.Join('\n', commandLines));
    }

    [Fact]
    public async Task Run_NameNotALabName_ExitsTwoAndMakesNothing()
    {
        var folder = Directory.CreateTempSubdirectory("netdash-script-").FullName;
        try
        {
            var script = JournalScript.Export("t1", [Entry(new CreateNamespace(T1.Host))], folder, Server);

            var result = await Bash(["-s", "--", "Bad_Name"], script);

            Assert.Equal(2, result.ExitCode);
            Assert.Contains("usage", result.StandardError);
            Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static Task<BufferedCommandResult> Bash(string[] args, string input) =>
        Cli.Wrap("bash").WithArguments(args).WithStandardInputPipe(PipeSource.FromString(input))
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
}
