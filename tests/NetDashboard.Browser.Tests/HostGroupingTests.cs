using System.Text.RegularExpressions;
using CliWrap;
using Microsoft.Playwright;
using NetDashboard.Integration.Tests;

namespace NetDashboard.Browser.Tests;

/// <summary>
/// A host of many namespaces, drawn readably: thirty namespaces of the test's own (a bridge in the observed one, a
/// veth from each of the others to it), each but the observed one drawn as one box with no label on a label; a
/// search by address finds an element inside a closed box and opens it; "Close" closes it again.
/// </summary>
[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium")]
public sealed class HostGroupingTests : IAsyncLifetime
{
    private const int Others = 29;
    private readonly string _prefix = $"netdash-hg{Guid.NewGuid().ToString("N")[..6]}";
    private readonly string _runtime = Directory.CreateTempSubdirectory("netdash-hostgroups-").FullName;
    private AppProcess? _app;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    private string Observed => $"{_prefix}-host";
    private string Other(int i) => $"{_prefix}-n{i:00}";

    public async Task InitializeAsync()
    {
        await Ip("netns", "add", Observed);
        await Ip("-n", Observed, "link", "add", "br0", "type", "bridge");
        await Ip("-n", Observed, "link", "set", "br0", "up");
        for (var i = 0; i < Others; i++)
        {
            await Ip("netns", "add", Other(i));
            await Ip("-n", Observed, "link", "add", $"v{i:00}", "master", "br0", "type", "veth", "peer", "name", "eth0", "netns", Other(i));
            await Ip("-n", Other(i), "addr", "add", $"10.60.0.{i + 2}/24", "dev", "eth0");
        }
        _app = await AppProcess.StartAsync(_runtime, new Dictionary<string, string> { ["NetDashboard__Observe__Namespace"] = Observed });
        Assertions.SetDefaultExpectTimeout(20_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await DashboardServer.LaunchChromiumAsync(_playwright);
    }

    [Fact]
    public async Task HostPage_ThirtyNamespaces_EachOtherIsOneBoxNoLabelOnALabelAndASearchOpensTheOneItFinds()
    {
        const string Groups = "() => document.querySelector('[data-testid=topology-graph]').__graph.cy.nodes('[kind = \"group\"]').length";
        var page = await _browser!.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 900 }, BaseURL = _app!.BaseAddress.ToString() });
        page.SetDefaultTimeout(20_000);
        await page.GotoAsync(_app.LoginLink);
        await page.GotoAsync("host");

        await Assertions.Expect(page.GetByTestId("graph-grouped")).ToContainTextAsync($"{Others + 1} namespaces");
        await Assertions.Expect(page.GetByTestId("topology-graph")).ToHaveAttributeAsync("data-nodes", new Regex($@"\bhns:\d+\b"));
        await page.WaitForFunctionAsync($"() => ({Groups})() === {Others}");
        var overlaps = await PageReadability.GraphLabelOverlapsAsync(page);
        await DashboardServer.ScreenshotAsync(page, "host-page-30-namespaces-1400x900");

        var find = page.GetByLabel("Find an element");
        await find.FillAsync("10.60.0.17/24");
        await find.PressAsync("Enter");
        await Assertions.Expect(page.GetByTestId("veth-peer")).ToHaveTextAsync($"v15 in {Observed}");
        await page.WaitForFunctionAsync($"() => ({Groups})() === {Others - 1}");
        var openedOverlaps = await PageReadability.GraphLabelOverlapsAsync(page);
        await page.GetByTestId("close-namespaces").ClickAsync();
        await page.WaitForFunctionAsync($"() => ({Groups})() === {Others}");
        await page.CloseAsync();

        Assert.Empty(overlaps);
        Assert.Empty(openedOverlaps);
    }

    private static Task Ip(params string[] args) => Cli.Wrap("ip").WithArguments(args).ExecuteAsync();

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_app is not null) await _app.DisposeAsync();
        foreach (var ns in new[] { Observed }.Concat(Enumerable.Range(0, Others).Select(Other)))
            await Cli.Wrap("ip").WithArguments(["netns", "del", ns]).WithValidation(CommandResultValidation.None).ExecuteAsync();
        Directory.Delete(_runtime, recursive: true);
    }
}
