using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using NetDashboard.Integration.Tests;
using Xunit.Abstractions;

namespace NetDashboard.Browser.Tests;

/// <summary>
/// A new user's walk through every journey of the README (issue 16): the home page and a lesson lab made from its form,
/// the lab page's tabs and inspector, a new VM, a trace, the captures page with a packet clicked, a console and the
/// journal's export (a download, no page to look at). Each state is looked at as a person would, at 1400×900 and 1000×700 in the light and the dark
/// theme: a screenshot is kept (TestResults/screenshots/walk-JOURNEY-WxH-THEME.png) and <see cref="PageReadability"/>
/// measures that no text is clipped, off screen or on top of other text. One dashboard, one browser and one seed-nat
/// lab serve the whole class.
/// </summary>
[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium,qemu")]
[Collection(VmCollection.Name)]
public sealed class NewUserWalkTests(NewUserWalkTests.Walk walk, ITestOutputHelper output) : IClassFixture<NewUserWalkTests.Walk>
{
    private static readonly Regex Seeded = new("vm:vm2");

    /// <summary>The dashboard and the seed-nat lab the walk shares, booted once.</summary>
    public sealed class Walk : IAsyncLifetime
    {
        public DashboardServer Server { get; } = new();
        public TestLab Lab { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            await Server.InitializeAsync();
            Lab = Server.NewLab("walk");
            await Lab.UpAsync("seed-nat.yaml", wait: true);
        }

        public async Task DisposeAsync()
        {
            if (Lab is not null) await Lab.DisposeAsync();
            await Server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Walk_HomePageThenALessonLabFromItsForm_ReadableAtBothSizesAndThemes()
    {
        await using var lesson = walk.Server.NewLab("wl");
        var page = await walk.Server.NewPageAsync();
        var problems = new List<Problem>();

        await page.GotoAsync("/");
        await Assertions.Expect(page.GetByTestId($"lab-row-{walk.Lab.Name}")).ToContainTextAsync("seed-nat.yaml");
        problems.AddRange(await LookAtAsync(page, "home"));

        await page.GetByLabel("Lab file").ClickAsync();
        await page.GetByText("seed-tap.yaml —").ClickAsync();
        await page.GetByLabel("Name (optional)").FillAsync(lesson.Name);
        await page.GetByLabel(new Regex("Start as a lesson")).CheckAsync();
        await page.GetByTestId("create-lab").ClickAsync();
        await page.WaitForURLAsync($"**/labs/{lesson.Name}", new() { Timeout = 90_000 });
        // A lesson lab opens on its lesson, beside the graph.
        await Assertions.Expect(page.GetByTestId("step-1")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("topology-graph")).ToHaveAttributeAsync("data-nodes", new Regex("vm:vm1"));
        problems.AddRange(await LookAtAsync(page, "lesson-lab"));

        AssertReadable(problems);
    }

    [Fact]
    public async Task Walk_LabPageTabsAndTheInspectorOfAVm_ReadableAtBothSizesAndThemes()
    {
        var page = await OpenLabAsync();
        var problems = new List<Problem>();
        // Loaded: the journal reads its newest page first (seed-nat's last steps configure the guests).
        await Assertions.Expect(page.GetByTestId("journal")).ToContainTextAsync(new Regex(@"\((host|vm1|vm2)\)\$ "));
        problems.AddRange(await LookAtAsync(page, "lab-journal"));

        await page.GetByRole(AriaRole.Tab, new() { Name = "Lesson" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("step-1")).ToBeVisibleAsync();
        problems.AddRange(await LookAtAsync(page, "lab-lesson"));

        await page.GetByRole(AriaRole.Tab, new() { Name = "Elements" }).ClickAsync();
        await page.GetByTestId("element-list").GetByText("vm1 ·").ClickAsync();
        await Assertions.Expect(page.GetByTestId("guest-state")).ToContainTextAsync("192.168.1.10");
        problems.AddRange(await LookAtAsync(page, "lab-elements-vm1"));

        AssertReadable(problems);
    }

    [Fact]
    public async Task Walk_CreateAVmWithTheFormsSuggestions_ReadableAtBothSizesAndThemes()
    {
        var page = await OpenLabAsync();
        await Assertions.Expect(page.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync(new Regex(@"^vm\d+$"));
        var name = await page.GetByLabel("Name", new() { Exact = true }).InputValueAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Create VM" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("action-result")).ToContainTextAsync(name, new() { Timeout = 180_000 });
        await Assertions.Expect(page.GetByTestId("topology-graph")).ToHaveAttributeAsync("data-nodes", new Regex($"vm:{name}\\b"));

        AssertReadable(await LookAtAsync(page, "create-vm"));
    }

    [Fact]
    public async Task Walk_TraceWhyCantVm1Reach_ResultScrolledIntoViewAndReadable()
    {
        var page = await OpenLabAsync(1000, 700);
        var panel = page.GetByTestId("trace-panel");
        await Assertions.Expect(panel).ToContainTextAsync("Why can't vm1 reach 203.0.113.5?");

        await panel.GetByTestId("trace-run").ClickAsync();

        // What this walk looks at is where the result appears and whether it reads well; whether the verdict is right
        // is TraceTests' (an integration test of every verdict). Beside another walk booting a guest under TCG, vm1's
        // one-second ping was once lost in a full run, and that result must be readable too.
        var outcome = panel.GetByTestId("trace-outcome");
        await Assertions.Expect(outcome).ToContainTextAsync(new Regex(@"vm1 reached 203\.0\.113\.5 \(icmp\); the reply came back|vm1's probe was lost"),
            new() { Timeout = 30_000 });
        // The panel sits below the inspector: at 1000×700 its result is below the fold unless the page brings it up.
        await Assertions.Expect(outcome).ToBeInViewportAsync(new() { Ratio = 1 });
        AssertReadable(await LookAtAsync(page, "trace"));
    }

    [Fact]
    public async Task Walk_CapturesWithAPacketClicked_TwinsAndJourneyShownAndReadable()
    {
        var page = await OpenLabAsync();
        await page.GetByTestId("open-captures").ClickAsync();
        await page.WaitForURLAsync($"**/labs/{walk.Lab.Name}/captures**");
        var tap0 = page.GetByTestId("pane-host/tap0");
        var ens160 = page.GetByTestId("pane-host/ens160");
        foreach (var pane in new[] { tap0, page.GetByTestId("pane-host/br0"), ens160 })
            await Assertions.Expect(pane.GetByTestId("pane-state")).ToHaveTextAsync("capturing");

        var ping = await walk.Lab.Service.ExecAsync(walk.Lab.Name, "vm1", "ping -c 3 -i 0.3 203.0.113.5");
        Assert.True(ping.Guest?.ExitCode == 0, ping.Result.Message + ping.Guest?.Output);
        await Assertions.Expect(ens160.GetByTestId("pane-rows")).ToContainTextAsync("IP 10.180.13.232 > 203.0.113.5: ICMP echo request");
        await tap0.Locator(".capture-row", new() { HasText = "ICMP echo request, id" }).Last.ClickAsync();

        await Assertions.Expect(ens160.Locator(".capture-row.twin").GetByTestId("twin-changes")).ToHaveTextAsync("source 192.168.1.10 → 10.180.13.232");
        await Assertions.Expect(page.GetByTestId("journey")).ToContainTextAsync("host/ens160");
        await Assertions.Expect(page.GetByTestId("packet-hex")).ToContainTextAsync("0000");
        AssertReadable(await LookAtAsync(page, "captures"));
    }

    [Fact]
    public async Task Walk_ConsoleOfVm1_ScreenAndSerialConnectedAndReadable()
    {
        var page = await walk.Server.NewPageAsync();
        await page.GotoAsync($"/labs/{walk.Lab.Name}/vms/vm1/console");
        await Assertions.Expect(page.GetByTestId("console-screen")).ToHaveAttributeAsync("data-state", "connected");
        await Assertions.Expect(page.GetByTestId("console-serial")).ToHaveAttributeAsync("data-state", "connected");
        await page.GetByTestId("console-serial").ClickAsync();
        await page.Keyboard.TypeAsync("echo walk-$((40+2))\r");
        await Assertions.Expect(page.GetByTestId("console-serial").Locator(".xterm-rows")).ToContainTextAsync("walk-42");

        AssertReadable(await LookAtAsync(page, "console"));
    }

    [Fact]
    public async Task Walk_JournalExportScript_DownloadsABashScriptOfTheLab()
    {
        var page = await OpenLabAsync();
        // "Export script" opens a tab that turns into a download: the browser saves LAB.sh (the journal tab itself is
        // looked at in the lab page's walk).
        var downloaded = new TaskCompletionSource<IDownload>(TaskCreationOptions.RunContinuationsAsynchronously);
        page.Download += (_, download) => downloaded.TrySetResult(download);
        page.Popup += (_, popup) => popup.Download += (_, download) => downloaded.TrySetResult(download);

        await page.GetByRole(AriaRole.Link, new() { Name = "Export script" }).ClickAsync();

        var download = await downloaded.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var script = await File.ReadAllTextAsync(await download.PathAsync());
        Assert.Equal($"{walk.Lab.Name}.sh", download.SuggestedFilename);
        Assert.StartsWith("#!/usr/bin/env bash", script);
        Assert.Contains("brctl addbr br0", script);
    }

    [Fact]
    public async Task ServerLog_LabAndConsolePagesLoaded_NoStaticAssetManifestWarningAndTheFilesServed()
    {
        var page = await OpenLabAsync();
        await page.GotoAsync($"/labs/{walk.Lab.Name}/vms/vm1/console");
        await Assertions.Expect(page.GetByTestId("console-screen")).ToHaveAttributeAsync("data-state", "connected");
        await Assertions.Expect(page.GetByTestId("console-serial")).ToHaveAttributeAsync("data-state", "connected");
        using var http = walk.Server.App.CreateClient();

        foreach (var file in new[] { "css/app.css", "js/console.js", "js/scroll.js", "lib/cytoscape/cytoscape.min.js", "lib/novnc/core/rfb.js", "lib/xterm/xterm.js" })
        {
            using var response = await http.GetAsync(file);
            Assert.True(response.IsSuccessStatusCode, $"{file}: {(int)response.StatusCode}");
        }
        var warnings = walk.Server.App.Output.Split('\n').Where(l => l.Contains("not found in the built time manifest", StringComparison.Ordinal)).ToList();
        Assert.True(warnings.Count == 0, $"{warnings.Count} warnings, the first: {warnings.FirstOrDefault()}");
    }

    private async Task<IPage> OpenLabAsync(int width = 1400, int height = 900)
    {
        var page = await walk.Server.NewPageAsync();
        await page.SetViewportSizeAsync(width, height);
        await page.GotoAsync($"/labs/{walk.Lab.Name}");
        await Assertions.Expect(page.GetByTestId("topology-graph")).ToHaveAttributeAsync("data-nodes", Seeded);
        return page;
    }

    private sealed record Problem(string State, string Text);

    /// <summary>Looks at the page as it is at each size (and theme): a screenshot, and what cannot be read.</summary>
    private async Task<IReadOnlyList<Problem>> LookAtAsync(IPage page, string journey, bool themed = true)
    {
        var problems = new List<Problem>();
        var clock = Stopwatch.StartNew();
        // Light then dark at 1400, dark then light at 1000: one theme switch per step.
        (int Width, int Height, bool Dark)[] states = themed
            ? [(1400, 900, false), (1400, 900, true), (1000, 700, true), (1000, 700, false)]
            : [(1400, 900, false), (1000, 700, false)];
        foreach (var (width, height, dark) in states)
        {
            await page.SetViewportSizeAsync(width, height);
            if (themed) await UseThemeAsync(page, dark);
            await page.EvaluateAsync("() => window.scrollTo(0, 0)");
            await page.Mouse.MoveAsync(0, 0);
            // MudBlazor's transitions and the graph's fit after a resize.
            await page.WaitForTimeoutAsync(500);
            var state = $"walk-{journey}-{width}x{height}" + (themed ? dark ? "-dark" : "-light" : "");
            problems.AddRange((await PageReadability.ViolationsAsync(page)).Select(text => new Problem(state, text)));
            await page.ScreenshotAsync(new() { Path = Path.Combine(DashboardServer.ArtifactsFolder, $"{state}.png"), FullPage = true });
        }
        output.WriteLine($"{journey}: {states.Length} states looked at in {clock.ElapsedMilliseconds} ms, {problems.Count} problems");
        return problems;
    }

    // The theme toggle in the app bar, as a person uses it; its label says which theme a click would switch to.
    private static async Task UseThemeAsync(IPage page, bool dark)
    {
        var toggle = page.GetByTestId("theme-toggle");
        var wanted = dark ? "Switch to the light theme" : "Switch to the dark theme";
        if (await toggle.GetAttributeAsync("aria-label") != wanted) await toggle.ClickAsync();
        await Assertions.Expect(toggle).ToHaveAttributeAsync("aria-label", wanted);
    }

    private static void AssertReadable(IReadOnlyList<Problem> problems)
    {
        // One line per problem, with the states it was seen in.
        var lines = problems.GroupBy(p => p.Text)
            .Select(g => $"{g.Key}  [{string.Join(", ", g.Select(p => p.State).Distinct())}]")
            .ToList();
        Assert.True(lines.Count == 0,
            $"{lines.Count} readability problems:\n{string.Join('\n', lines.Take(80))}{(lines.Count > 80 ? $"\n… and {lines.Count - 80} more" : "")}");
    }
}
