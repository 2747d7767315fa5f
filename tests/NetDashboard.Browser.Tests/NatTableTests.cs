using Microsoft.Playwright;
using NetDashboard.Lab.Model;

namespace NetDashboard.Browser.Tests;

/// <summary>
/// The conntrack panel under the capture panes, on a nat-pc lab (no VMs): the PC's ping through NAT and the host's own
/// ping to the same server side by side on ens160; only the chosen connection's rows are marked.
/// </summary>
[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium")]
public sealed class NatTableTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    [Fact]
    public async Task NatTable_PcAndHostPingTheServer_HeadersApartPacketsCountedAndThePcsEntryMarksOnlyItsRows()
    {
        await using var lab = server.NewLab("nt");
        await lab.UpAsync("nat-pc.yaml");
        var page = await server.NewPageAsync();
        await page.SetViewportSizeAsync(1400, 900);
        await page.GotoAsync($"/labs/{lab.Name}/captures?panes=host/br0,host/ens160");
        var br0 = page.GetByTestId("pane-host/br0");
        var ens160 = page.GetByTestId("pane-host/ens160");
        foreach (var pane in new[] { br0, ens160 })
            await Assertions.Expect(pane.GetByTestId("pane-state")).ToHaveTextAsync("capturing");

        var pings = await Task.WhenAll(
            lab.ExecAsync(NamespaceRole.Pc, "ping", "-c", "3", "-i", "0.2", "-W", "1", "203.0.113.5"),
            lab.ExecAsync(NamespaceRole.Host, "ping", "-c", "3", "-i", "0.2", "-W", "1", "203.0.113.5"));
        Assert.All(pings, p => Assert.True(p.ExitCode == 0, p.StandardOutput + p.StandardError));

        var table = page.GetByTestId("nat-table");
        var pcs = table.GetByTestId("nat-entry").Filter(new() { HasText = "192.168.1.3 → 203.0.113.5" });
        var hosts = table.GetByTestId("nat-entry").Filter(new() { HasText = "10.180.13.232 → 203.0.113.5 (id" });
        // nf_conntrack_acct is off in a new namespace: the column counts what the captures saw, and says so.
        await Assertions.Expect(pcs.GetByTestId("nat-packets")).ToHaveTextAsync("3 / 3 captured");
        await Assertions.Expect(hosts.First.GetByTestId("nat-packets")).ToHaveTextAsync("3 / 3 captured");
        Assert.Equal(0, await HeaderOverlapsAsync(page));

        await pcs.ClickAsync();
        // The PC's requests and replies on both sides of NAT; not the host's own ping on ens160, nor ARP.
        await Assertions.Expect(br0.Locator(".capture-row.flow")).ToHaveCountAsync(6);
        await Assertions.Expect(ens160.Locator(".capture-row.flow")).ToHaveCountAsync(6);
        await Assertions.Expect(ens160.Locator(".capture-row", new() { HasText = "ICMP echo" })).ToHaveCountAsync(12);
        await Assertions.Expect(ens160.Locator(".capture-row.flow", new() { HasText = "ARP" })).ToHaveCountAsync(0);

        foreach (var (width, height) in new[] { (1400, 900), (1000, 700) })
        {
            await page.SetViewportSizeAsync(width, height);
            await table.ScrollIntoViewIfNeededAsync();
            Assert.Equal(0, await HeaderOverlapsAsync(page));
            await page.ScreenshotAsync(new() { Path = Path.Combine(DashboardServer.ArtifactsFolder, $"nat-table-{width}-light.png") });
        }
        await page.GetByTestId("theme-toggle").ClickAsync();
        await page.WaitForFunctionAsync("() => getComputedStyle(document.querySelector('[data-testid=nat-table]')).backgroundColor !== 'rgb(255, 255, 255)'");
        foreach (var (width, height) in new[] { (1000, 700), (1400, 900) })
        {
            await page.SetViewportSizeAsync(width, height);
            await table.ScrollIntoViewIfNeededAsync();
            await page.ScreenshotAsync(new() { Path = Path.Combine(DashboardServer.ArtifactsFolder, $"nat-table-{width}-dark.png") });
        }
    }

    /// <summary>Header labels closer than 6 px to the next one (or over it), which read as one word: "protocoloriginal".</summary>
    private static Task<int> HeaderOverlapsAsync(IPage page) => page.EvaluateAsync<int>("""
        () => {
            const texts = [...document.querySelectorAll('.nat-table th')].map(th => {
                const range = document.createRange();
                range.selectNodeContents(th);
                return range.getBoundingClientRect();
            });
            let close = 0;
            for (let i = 1; i < texts.length; i++)
                if (texts[i].top < texts[i - 1].bottom && texts[i].left - texts[i - 1].right < 6) close++;
            return close;
        }
        """);
}
