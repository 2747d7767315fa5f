using Microsoft.Playwright;
using NetDashboard.Integration.Tests;

namespace NetDashboard.Browser.Tests;

/// <summary>
/// "This host" (observe mode) in a browser, on a Proxmox-style stand-in built in namespaces of its own (the dashboard
/// observes it through NetDashboard:Observe:Namespace, never the machine's root namespace): the stack is labelled, the
/// graph joins the tap's QEMU, the bridges and the container's veth, the inspector shows what the kernel holds, the
/// page reads well at 1000×700 light and 1400×900 dark, and nothing in either namespace changed across the walk.
/// </summary>
[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium,qemu")]
public sealed class HostPageTests : IAsyncLifetime
{
    private const string Graph = "document.querySelector('[data-testid=topology-graph]').__graph.cy";
    private readonly string _runtime = Directory.CreateTempSubdirectory("netdash-hostpage-").FullName;
    private ProxmoxStandIn? _standIn;
    private AppProcess? _app;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        _standIn = await ProxmoxStandIn.StartAsync();
        _app = await AppProcess.StartAsync(_runtime, new Dictionary<string, string> { ["NetDashboard__Observe__Namespace"] = _standIn.Host });
        Assertions.SetDefaultExpectTimeout(20_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await DashboardServer.LaunchChromiumAsync(_playwright);
    }

    [Fact]
    public async Task HostPage_ProxmoxStandIn_LabelledJoinedInspectedReadableInBothThemesAndNothingChanged()
    {
        var standIn = _standIn!;
        var before = await NamespaceSnapshot.TakeAsync(_app!.Pid, standIn.Host, standIn.Container);
        var page = await _browser!.NewPageAsync(new() { ViewportSize = new() { Width = 1000, Height = 700 }, BaseURL = _app!.BaseAddress.ToString() });
        page.SetDefaultTimeout(20_000);
        await page.GotoAsync(_app.LoginLink);

        await page.GetByTestId("nav-host").ClickAsync();
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/host$"));
        await Assertions.Expect(page.GetByTestId("stack")).ToHaveTextAsync("Proxmox: vmbr0, VM 100 (tap100i0, web100)");
        await Assertions.Expect(page.GetByTestId("observe-target")).ToHaveTextAsync(standIn.Host);
        var graph = page.GetByTestId("topology-graph");
        await Assertions.Expect(graph).ToHaveAttributeAsync("data-nodes", new System.Text.RegularExpressions.Regex(@"\bguest:\d+:tap100i0\b"));
        var edges = await page.EvaluateAsync<string[]>($"() => {Graph}.edges().map(e => e.source().data('label').split('\\n')[0] + ' -> ' + e.target().data('label').split('\\n')[0])");
        var overlaps = await PageReadability.GraphLabelOverlapsAsync(page);
        var violations = await PageReadability.ViolationsAsync(page);
        await DashboardServer.ScreenshotAsync(page, "host-page-1000x700");

        await page.GetByTestId("element-list").GetByText("tap100i0 (UP)").ClickAsync();
        await Assertions.Expect(page.GetByTestId("tap-holder")).ToHaveTextAsync($"qemu-system-x86 (pid {standIn.QemuPid}), guest web100");
        await page.GetByTestId("element-list").GetByText("ct0 (UP)").ClickAsync();
        await Assertions.Expect(page.GetByTestId("veth-peer")).ToHaveTextAsync($"eth0 in {standIn.Container}");
        // Found by its address from the keyboard: the container's end of the pair, whose peer is ct0 in the host.
        var find = page.GetByLabel("Find an element");
        await find.FillAsync("10.99.1.2");
        await find.PressAsync("Enter");
        await Assertions.Expect(page.GetByTestId("element-count")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^1 of \d+$"));
        await Assertions.Expect(page.GetByTestId("veth-peer")).ToHaveTextAsync($"ct0 in {standIn.Host}");
        await find.FillAsync("");
        await page.SetViewportSizeAsync(1400, 900);
        await page.GetByTestId("theme-toggle").ClickAsync();
        await page.GetByTestId("element-list").GetByText(new System.Text.RegularExpressions.Regex($"^observed: {standIn.Host}")).ClickAsync();
        await Assertions.Expect(page.GetByTestId("observed-rules")).ToContainTextAsync("100: from 10.99.1.0/24 lookup 100");
        await Assertions.Expect(page.GetByTestId("observed-routes")).ToContainTextAsync("default via 10.99.1.2 dev vmbr0");
        var darkViolations = await PageReadability.ViolationsAsync(page);
        await DashboardServer.ScreenshotAsync(page, "host-page-1400x900-dark");
        await page.GetByTestId("observe-refresh").ClickAsync();
        await Assertions.Expect(page.GetByTestId("observed-at")).ToContainTextAsync("2 namespaces");
        await page.CloseAsync();
        var after = await NamespaceSnapshot.SettledAsync(before, _app!.Pid, standIn.Host, standIn.Container);

        Assert.Contains("tap100i0 (UP) -> fwbr100i0 (UP)", edges);
        Assert.Contains("web100 -> tap100i0 (UP)", edges);
        Assert.Contains("ct0 (UP) -> vmbr0 (UP)", edges);
        Assert.Single(edges, e => e.Contains("eth0", StringComparison.Ordinal) && e.Contains("ct0", StringComparison.Ordinal));
        Assert.Empty(overlaps);
        Assert.Empty(violations);
        Assert.Empty(darkViolations);
        Assert.True(before == after, NamespaceSnapshot.Difference(before, after));
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_app is not null)
        {
            await File.WriteAllTextAsync(Path.Combine(DashboardServer.ArtifactsFolder, "app-host-page.log"), _app.Output);
            await _app.DisposeAsync();
        }
        if (_standIn is not null) await _standIn.DisposeAsync();
        Directory.Delete(_runtime, recursive: true);
    }
}
