using NetDashboard.Lab.Runtime;
using NetDashboard.Lab.Model;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using NetDashboard.Components.Controls;

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

    /// <summary>The panel over a journal of <paramref name="entries"/>, newest first, read a page at a time.</summary>
    private IRenderedComponent<JournalPanel> RenderPanel(params JournalEntry[] entries) =>
        Render<JournalPanel>(p => p.Add(x => x.Lab, "natpc").Add(x => x.ReadPage, PagesOf(entries)));

    private static Func<int, int, JournalPage> PagesOf(IReadOnlyList<JournalEntry> newestFirst, List<(int Skip, int Take)>? asked = null) =>
        (skip, take) =>
        {
            asked?.Add((skip, take));
            return new JournalPage(newestFirst.Count, skip, newestFirst.Skip(skip).Take(take).ToList());
        };

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

    private static JournalEntry Numbered(int n) =>
        Entry($"brctl addbr br{n}", ["ip", "netns", "exec", "netdash-natpc-host", "ip", "link", "add", $"br{n}", "type", "bridge"]);

    // A journal of 10,000 commands: the panel asks for the rows in view (and its overscan), never the whole.
    [Fact]
    public void Render_TenThousandEntries_ReadsAndRendersOnlyAPage()
    {
        var newestFirst = Enumerable.Range(0, 10_000).Select(i => Numbered(10_000 - i)).ToList();
        var asked = new List<(int Skip, int Take)>();

        var cut = Render<JournalPanel>(p => p.Add(x => x.Lab, "natpc").Add(x => x.ReadPage, PagesOf(newestFirst, asked)));

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll(".journal-entry")));
        Assert.Contains("10000 commands, newest first", cut.Markup);
        Assert.Equal("(host)$ brctl addbr br10000", cut.FindAll(".journal-entry .tutorial")[0].TextContent.Trim());
        // Without a browser to measure the rows, Virtualize asks for 120 (its default); a browser asks for what fits, plus 2 × 10.
        Assert.InRange(cut.FindAll(".journal-entry").Count, 1, 150);
        Assert.All(asked, a => Assert.InRange(a.Take, 0, 150));
        Assert.InRange(asked.Sum(a => a.Take), 1, 300);
    }

    [Fact]
    public void Revision_Changed_ReadsTheNewestAgain()
    {
        var newestFirst = new List<JournalEntry> { Numbered(2), Numbered(1) };
        var cut = Render<JournalPanel>(p => p.Add(x => x.Lab, "natpc").Add(x => x.ReadPage, PagesOf(newestFirst)));
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll(".journal-entry").Count));

        newestFirst.Insert(0, Numbered(3));
        cut.Render(p => p.Add(x => x.Revision, 1));

        cut.WaitForAssertion(() => Assert.Equal("(host)$ brctl addbr br3", cut.FindAll(".journal-entry .tutorial")[0].TextContent.Trim()));
        Assert.Contains("3 commands, newest first", cut.Markup);
    }

    // A row is one line: it shows the start of a long output, and links the whole when the journal kept it in a file.
    [Fact]
    public void Render_LongOutputWithItsFile_RowShowsItsStartAndLinksTheWhole()
    {
        var failed = ColouredFailure with { StandardError = new string('x', Journal.MaxOutputBytes), OutputFile = "outputs/7.txt" };

        var cut = RenderPanel(failed);

        var argv = cut.Find(".argv").TextContent;
        Assert.InRange(argv.Count(c => c == 'x'), JournalPanel.ShownOutputChars, JournalPanel.ShownOutputChars + 10);
        Assert.EndsWith("…", argv.TrimEnd());
        Assert.Equal("api/labs/natpc/journal/outputs/7.txt", cut.Find("a.output-link").GetAttribute("href"));
    }

    [Fact]
    public void Copy_MoreThanItCopies_CopiesTheNewestOldestFirstAndSaysSo()
    {
        var newestFirst = Enumerable.Range(0, JournalPanel.MaxCopied + 5).Select(i => Numbered(JournalPanel.MaxCopied + 5 - i)).ToList();
        var cut = Render<JournalPanel>(p => p.Add(x => x.Lab, "natpc").Add(x => x.ReadPage, PagesOf(newestFirst)));

        cut.FindAll("button").Single(b => b.TextContent.Contains("Copy", StringComparison.Ordinal)).Click();

        var copied = ((string)Assert.Single(JSInterop.Invocations, i => i.Identifier == "navigator.clipboard.writeText").Arguments[0]!).Split('\n');
        Assert.Equal(2 * JournalPanel.MaxCopied, copied.Length);
        Assert.Equal("(host)$ brctl addbr br6", copied[0]);
        Assert.Equal($"(host)$ brctl addbr br{JournalPanel.MaxCopied + 5}", copied[^2]);
        var said = Assert.Single(Services.GetRequiredService<MudBlazor.ISnackbar>().ShownSnackbars);
        Assert.Equal($"Copied the newest {JournalPanel.MaxCopied} of {JournalPanel.MaxCopied + 5} commands (Export script has them all)", said.Message);
    }
}
