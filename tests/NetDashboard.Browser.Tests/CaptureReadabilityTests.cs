using Microsoft.Playwright;
using NetDashboard.Lab.Model;

namespace NetDashboard.Browser.Tests;

/// <summary>
/// Four capture panes side by side stay readable: every row's whole summary is on screen (rows wrap, nothing is cut or
/// pushed sideways), NAT's rewrite on a twin row sits on a line of its own, and the hex dump fits, at 1000×700 and
/// 1400×900. The external PC's ping crosses ens192, br0, ens160 (rewritten) and the wan's eth0: no VM needed.
/// </summary>
[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium")]
public sealed class CaptureReadabilityTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    private static readonly string[] Panes = ["host/ens192", "host/br0", "host/ens160", "wan/eth0"];

    [Fact]
    public async Task CapturesPage_FourPanesAt1000And1400Wide_WholeSummariesRewriteOnItsOwnLineAndHexDumpFit()
    {
        await using var lab = server.NewLab("cr");
        await lab.UpAsync("nat-pc.yaml");
        var page = await server.NewPageAsync();
        await page.SetViewportSizeAsync(1000, 700);
        await page.GotoAsync($"/labs/{lab.Name}/captures?panes={string.Join(',', Panes)}");
        foreach (var pane in Panes)
            await Assertions.Expect(page.GetByTestId($"pane-{pane}").GetByTestId("pane-state")).ToHaveTextAsync("capturing");

        var ping = await lab.ExecAsync(NamespaceRole.Pc, "ping", "-c", "3", "-i", "0.3", "203.0.113.5");
        Assert.True(ping.ExitCode == 0, ping.StandardOutput + ping.StandardError);
        foreach (var pane in Panes)
        {
            var rows = page.GetByTestId($"pane-{pane}").GetByTestId("pane-rows");
            await Assertions.Expect(rows).ToContainTextAsync("ICMP echo request");
            await Assertions.Expect(rows).ToContainTextAsync("ICMP echo reply");
        }
        await page.GetByTestId("pane-host/ens192").Locator(".capture-row", new() { HasText = "echo request" }).First.ClickAsync();
        var ens160 = page.GetByTestId("pane-host/ens160");
        await Assertions.Expect(ens160.GetByTestId("twin-changes")).ToHaveTextAsync("source 192.168.1.3 → 10.180.13.232");
        await Assertions.Expect(page.GetByTestId("packet-hex")).ToContainTextAsync("0000");

        var at1000 = await ProblemsAsync(page, ens160);
        await ShotsAsync(page, "captures-4-panes-1000x700");
        await page.SetViewportSizeAsync(1400, 900);
        await page.WaitForTimeoutAsync(300);
        var at1400 = await ProblemsAsync(page, ens160);
        await ShotsAsync(page, "captures-4-panes-1400x900");

        Assert.Empty(at1000);
        Assert.Empty(at1400);
    }

    // What a reader could not read: a row or pane that scrolls sideways, a summary or rewrite reaching past its pane's
    // edge, a rewrite sharing the summary's line, a hex dump wider than its box.
    private static async Task<IReadOnlyList<string>> ProblemsAsync(IPage page, ILocator twinPane)
    {
        var problems = (await page.EvaluateAsync<string[]>("""
            () => {
              const problems = [];
              for (const list of document.querySelectorAll('[data-testid=pane-rows]')) {
                const box = list.getBoundingClientRect();
                const left = box.left + list.clientLeft, right = left + list.clientWidth;
                const name = list.getAttribute('aria-label');
                if (list.scrollWidth > list.clientWidth + 1) problems.push(`${name} scrolls sideways`);
                for (const row of list.querySelectorAll('.capture-row')) {
                  if (row.scrollWidth > row.clientWidth + 1) problems.push(`${name}: row wider than the pane: ${row.innerText}`);
                  for (const part of row.querySelectorAll('.info, .changes')) {
                    const r = part.getBoundingClientRect();
                    if (r.left < left - 1 || r.right > right + 1) problems.push(`${name}: cut: ${part.innerText}`);
                  }
                }
              }
              const hex = document.querySelector('[data-testid=packet-hex]');
              if (hex.scrollWidth > hex.clientWidth + 1) problems.push(`hex dump ${hex.scrollWidth} px wide in ${hex.clientWidth} px`);
              return problems;
            }
            """)).ToList();
        var ownLine = await twinPane.Locator(".capture-row.twin").EvaluateAsync<bool>("""
            row => row.querySelector('.changes').getBoundingClientRect().top >= row.querySelector('.info').getBoundingClientRect().bottom - 1
            """);
        if (!ownLine) problems.Add("the rewrite shares a line with the summary");
        var size = page.ViewportSize!;
        return problems.Select(p => $"{size.Width}×{size.Height}: {p}").ToList();
    }

    // The panes and the packet's detail (below them), in the light and the dark theme.
    private static async Task ShotsAsync(IPage page, string name)
    {
        foreach (var theme in new[] { "light", "dark" })
        {
            await page.Locator(".capture-panes").ScreenshotAsync(new() { Path = Path.Combine(DashboardServer.ArtifactsFolder, $"{name}-{theme}.png") });
            await page.GetByTestId("packet-detail").ScreenshotAsync(new() { Path = Path.Combine(DashboardServer.ArtifactsFolder, $"{name}-{theme}-detail.png") });
            await page.GetByTestId("theme-toggle").ClickAsync();
            await page.WaitForTimeoutAsync(300);
        }
    }
}
