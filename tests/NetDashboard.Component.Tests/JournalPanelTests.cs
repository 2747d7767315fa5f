using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using NetDashboard.Components.Controls;
using NetDashboard.Lab.Engine;

namespace NetDashboard.Component.Tests;

public sealed class JournalPanelTests : BunitContext
{
    public JournalPanelTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    private static JournalEntry Entry(string tutorial, string[] argv, int exitCode = 0, string stderr = "") => new()
    {
        Time = DateTimeOffset.UnixEpoch,
        Who = "host",
        Namespace = "netdash-natpc-host",
        Argv = argv,
        Tutorial = tutorial,
        ExitCode = exitCode,
        StandardError = stderr,
    };

    private static readonly JournalEntry AddBridge =
        Entry("brctl addbr br0", ["ip", "netns", "exec", "netdash-natpc-host", "ip", "link", "add", "br0", "type", "bridge"]);

    private static readonly JournalEntry FailedPort =
        Entry("brctl addif br0 ens192", ["ip", "netns", "exec", "netdash-natpc-host", "ip", "link", "set", "ens192", "master", "br0"],
            exitCode: 2, stderr: "Cannot find device \"ens192\"");

    private static readonly JournalEntry ColouredFailure =
        Entry("printf '\\033[31mred'; exit 1", ["guest-agent", "vm1", "printf '\\033[31mred'; exit 1"], exitCode: 1, stderr: "\u001b[31mred\rover");

    private IRenderedComponent<JournalPanel> RenderPanel(params JournalEntry[] entries) =>
        Render<JournalPanel>(p => p.Add(x => x.Lab, "natpc").Add(x => x.Entries, entries.ToList()));

    [Fact]
    public void Render_SucceededEntry_ShowsTutorialLineAndCommandLine()
    {
        var cut = RenderPanel(AddBridge);

        var entry = cut.Find(".journal-entry");
        Assert.Equal("(host)$ brctl addbr br0", entry.QuerySelector(".tutorial")!.TextContent);
        Assert.Equal(AddBridge.CommandLine, entry.QuerySelector(".argv")!.TextContent);
        Assert.DoesNotContain("failed", entry.ClassList);
    }

    [Fact]
    public void Render_FailedEntry_HasFailedClassAndShowsExitCodeAndStderr()
    {
        var cut = RenderPanel(FailedPort, AddBridge);

        var failed = cut.FindAll(".journal-entry")[0];
        Assert.Contains("failed", failed.ClassList);
        Assert.Contains("exit 2: Cannot find device \"ens192\"", failed.QuerySelector(".argv")!.TextContent);
        Assert.StartsWith(FailedPort.CommandLine, failed.QuerySelector(".argv")!.TextContent);
    }

    [Fact]
    public void Render_ThreeEntries_CaptionShowsCount()
    {
        var cut = RenderPanel(FailedPort, AddBridge, AddBridge);

        Assert.Contains("3 commands, newest first", cut.Markup);
        Assert.Equal(3, cut.FindAll(".journal-entry").Count);
    }

    [Fact]
    public void Copy_TwoEntries_WritesOldestFirstToClipboardAndSaysSo()
    {
        var cut = RenderPanel(FailedPort, AddBridge);

        cut.FindAll("button").Single(b => b.TextContent.Contains("Copy", StringComparison.Ordinal)).Click();

        var call = Assert.Single(JSInterop.Invocations, i => i.Identifier == "navigator.clipboard.writeText");
        Assert.Equal(
            $"{AddBridge.TutorialLine}\n{AddBridge.CommandLine}\n{FailedPort.TutorialLine}\n{FailedPort.CommandLine}",
            call.Arguments[0]);
        var said = Assert.Single(Services.GetRequiredService<MudBlazor.ISnackbar>().ShownSnackbars);
        Assert.Equal("Copied 2 commands", said.Message);
    }

    // What a guest printed reaches the page as visible escapes: a raw ESC would show as nothing, and a copy would carry it on.
    [Fact]
    public void Render_GuestOutputWithControlCharacters_ShownEscaped()
    {
        var cut = RenderPanel(ColouredFailure);

        var argv = cut.Find(".argv").TextContent;
        Assert.Contains("exit 1: \\x1b[31mred\\x0dover", argv);
        Assert.DoesNotContain('\u001b', cut.Markup);
        Assert.DoesNotContain('\r', argv);
    }

    [Fact]
    public void Copy_EntryWithControlCharacters_CopiedEscaped()
    {
        var entry = Entry("echo \u001b[2J", ["guest-agent", "vm1", "echo \u001b[2J"]);
        var cut = RenderPanel(entry);

        cut.FindAll("button").Single(b => b.TextContent.Contains("Copy", StringComparison.Ordinal)).Click();

        var call = Assert.Single(JSInterop.Invocations, i => i.Identifier == "navigator.clipboard.writeText");
        Assert.Equal("(host)$ echo \\x1b[2J\nguest-agent vm1 'echo \\x1b[2J'", call.Arguments[0]);
    }

    [Fact]
    public void Render_TruncatedOutput_SaysSo()
    {
        var cut = RenderPanel(ColouredFailure with { OutputTruncated = true });

        Assert.Contains("(output truncated: only its first 1 MiB was kept)", cut.Find(".argv").TextContent);
    }
}
