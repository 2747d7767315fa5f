using Microsoft.Playwright;

namespace NetDashboard.Browser.Tests;

/// <summary>The graph reads well: labels big enough on screen, legible in both themes, the theme remembered, the router drawn.</summary>
[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium")]
public sealed class GraphReadabilityTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    private const string Graph = "document.querySelector('[data-testid=topology-graph]').__graph.cy";

    [Fact]
    public async Task Graph_At1400And1000Wide_LabelsAtLeast12PxAndRouterDrawn()
    {
        await using var lab = server.NewLab("gr");
        await lab.UpAsync("nat-pc.yaml");
        var page = await server.NewPageAsync();
        await page.GotoAsync($"/labs/{lab.Name}");
        var graph = page.GetByTestId("topology-graph");
        await Assertions.Expect(graph).ToHaveAttributeAsync("data-nodes", new System.Text.RegularExpressions.Regex("router"));

        var at1400 = await OnScreenLabelPxAsync(page);
        await page.SetViewportSizeAsync(1000, 700);
        await page.WaitForTimeoutAsync(300);
        var at1000 = await OnScreenLabelPxAsync(page);
        var routerLabel = await page.EvaluateAsync<string>($"() => {Graph}.getElementById('router').data('label')");
        await DashboardServer.ScreenshotAsync(page, "graph-1000x700");

        Assert.True(at1400 >= 12, $"labels are {at1400:0.0} px on screen at 1400 px wide");
        Assert.True(at1000 >= 12, $"labels are {at1000:0.0} px on screen at 1000 px wide");
        Assert.Contains("forwarding on", routerLabel);
        Assert.Contains("MASQUERADE 192.168.1.0/24", routerLabel);
    }

    [Fact]
    public async Task Graph_DarkTheme_LabelContrastAtLeast4Point5AndTheChoiceIsRemembered()
    {
        await using var lab = server.NewLab("gd");
        await lab.UpAsync("nat-pc.yaml");
        var page = await server.NewPageAsync();
        await page.GotoAsync($"/labs/{lab.Name}");
        await Assertions.Expect(page.GetByTestId("topology-graph")).ToHaveAttributeAsync("data-nodes", new System.Text.RegularExpressions.Regex("br0"));
        var light = await LabelContrastAsync(page);

        await page.GetByTestId("theme-toggle").ClickAsync();
        await page.WaitForFunctionAsync($"() => {Graph}.getElementById('link:host:br0').data('bg') !== '#ffffff'");
        var dark = await LabelContrastAsync(page);
        await DashboardServer.ScreenshotAsync(page, "lab-dark");
        await page.ReloadAsync();
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=topology-graph]')?.__graph?.cy.getElementById('link:host:br0').data('bg') === '#373740'");

        Assert.True(light >= 4.5, $"light theme label contrast {light:0.0}:1");
        Assert.True(dark >= 4.5, $"dark theme label contrast {dark:0.0}:1");
    }

    private static async Task<double> OnScreenLabelPxAsync(IPage page) =>
        await page.EvaluateAsync<double>($"() => parseFloat({Graph}.getElementById('link:host:br0').style('font-size')) * {Graph}.zoom()");

    // WCAG contrast of a label's colour against the backdrop drawn behind it.
    private static async Task<double> LabelContrastAsync(IPage page) => await page.EvaluateAsync<double>($$"""
        () => {
          const n = {{Graph}}.getElementById('link:host:br0');
          const lum = hex => {
            const c = [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16) / 255)
              .map(v => v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
            return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
          };
          const [a, b] = [lum(n.data('fg')), lum(n.data('bg'))];
          return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        }
        """);
}
