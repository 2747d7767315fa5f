using CliWrap;
using Microsoft.Playwright;

namespace NetDashboard.Browser.Tests;

/// <summary>
/// "Why can't vm1 reach 203.0.113.5?" on the lab page: with forwarding turned off from a shell the trace says the
/// packet stopped after br0 because forwarding is off and lights vm1 → tap0 → br0 on the graph; the fix button turns
/// forwarding on, traces again, and the whole way to the internet server lights up.
/// </summary>
[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium,qemu")]
[Collection(NetDashboard.Integration.Tests.VmCollection.Name)]
public sealed class TracePanelTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    [Fact]
    public async Task TracePanel_ForwardingTurnedOffInAShell_VerdictAndFixButtonThenTheWholeWayLightsUp()
    {
        await using var lab = server.NewLab("tp");
        await lab.UpAsync("seed-nat.yaml", wait: true);
        await Cli.Wrap("ip").WithArguments(["netns", "exec", lab.Namespaces.Host, "sysctl", "-qw", "net.ipv4.ip_forward=0"]).ExecuteAsync();
        var page = await server.NewPageAsync();
        await page.GotoAsync($"/labs/{lab.Name}");
        var panel = page.GetByTestId("trace-panel");
        var graph = page.GetByTestId("topology-graph");
        await Assertions.Expect(panel).ToContainTextAsync("Why can't vm1 reach 203.0.113.5?");

        await panel.GetByTestId("trace-run").ClickAsync();

        await Assertions.Expect(panel.GetByTestId("trace-verdict")).ToContainTextAsync("The packet stopped after host/br0. IP forwarding is off",
            new() { Timeout = 15_000 });
        await Assertions.Expect(panel.GetByTestId("trace-fix")).ToHaveTextAsync("(host)$ echo 1 > /proc/sys/net/ipv4/ip_forward");
        await Assertions.Expect(graph).ToHaveAttributeAsync("data-journey", "vm:vm1 link:host:tap0 link:host:br0");
        await DashboardServer.ScreenshotAsync(page, "trace-forwarding-off");

        await panel.GetByTestId("trace-apply-fix").ClickAsync();

        await Assertions.Expect(panel.GetByTestId("trace-outcome")).ToContainTextAsync("vm1 reached 203.0.113.5 (icmp); the reply came back",
            new() { Timeout = 15_000 });
        await Assertions.Expect(panel.GetByTestId("trace-result")).ToContainTextAsync("source 192.168.1.10 → 10.180.13.232");
        await Assertions.Expect(graph).ToHaveAttributeAsync("data-journey",
            "vm:vm1 link:host:tap0 link:host:br0 router link:host:ens160 link:wan:eth0 server");
        Assert.Contains(lab.Service.JournalOf(lab.Name)!, e => e.Tutorial == "echo 1 > /proc/sys/net/ipv4/ip_forward");
        await DashboardServer.ScreenshotAsync(page, "trace-fixed");
    }

    /// <summary>
    /// Two faults nobody listed in the tutorial, made in a shell one after the other: the uplink down, then a FORWARD
    /// DROP rule. Each verdict names its cause with the kernel's own words under it (the routing decision, the rule
    /// with its counters), and the fix button brings the reply back. Screenshots at both sizes and in both themes.
    /// </summary>
    [Fact]
    public async Task TracePanel_Ens160DownThenAForwardDropRule_EachNamedWithTheKernelsWordsAndTheFixButtonBringsTheReplyBack()
    {
        await using var lab = server.NewLab("tk");
        await lab.UpAsync("seed-nat.yaml", wait: true);
        var page = await server.NewPageAsync();
        await page.GotoAsync($"/labs/{lab.Name}");
        var panel = page.GetByTestId("trace-panel");
        await Assertions.Expect(panel).ToContainTextAsync("Why can't vm1 reach 203.0.113.5?");

        await InHostAsync(lab, "ip", "link", "set", "ens160", "down");
        await panel.GetByTestId("trace-run").ClickAsync();

        await Assertions.Expect(panel.GetByTestId("trace-verdict")).ToContainTextAsync("The packet stopped after host/br0. ens160 is down",
            new() { Timeout = 15_000 });
        await Assertions.Expect(panel.GetByTestId("trace-evidence"))
            .ToContainTextAsync("ip route get 203.0.113.5 from 192.168.1.10 iif br0 → RTNETLINK answers: Network is unreachable");
        await Assertions.Expect(panel.GetByTestId("trace-fix")).ToHaveTextAsync("(host)$ ifconfig ens160 up ; route add default gw 10.180.13.1");
        await Assertions.Expect(panel.GetByTestId("trace-outcome")).ToContainTextAsync("vm1's probe was lost");
        await page.SetViewportSizeAsync(1000, 700);
        await panel.ScreenshotAsync(new() { Path = Path.Combine(DashboardServer.ArtifactsFolder, "trace-ens160-down-1000x700.png") });

        await panel.GetByTestId("trace-apply-fix").ClickAsync();
        await Assertions.Expect(panel.GetByTestId("trace-outcome")).ToContainTextAsync("vm1 reached 203.0.113.5 (icmp); the reply came back",
            new() { Timeout = 15_000 });

        await InHostAsync(lab, "iptables", "-w", "-I", "FORWARD", "-j", "DROP");
        await panel.GetByTestId("trace-run").ClickAsync();

        await Assertions.Expect(panel.GetByTestId("trace-verdict"))
            .ToContainTextAsync("A rule in the host's filter table, chain FORWARD, dropped the probe: -A FORWARD -j DROP.", new() { Timeout = 15_000 });
        await Assertions.Expect(panel.GetByTestId("trace-evidence")).ToContainTextAsync("with its counters: -A FORWARD -c 1 84 -j DROP");
        await Assertions.Expect(panel.GetByTestId("trace-evidence")).ToContainTextAsync("NETFILTER_DROP in nft_do_chain");
        await Assertions.Expect(panel.GetByTestId("trace-fix")).ToHaveTextAsync("(host)$ iptables -t filter -D FORWARD -j DROP");
        await page.SetViewportSizeAsync(1400, 900);
        await page.GetByTestId("theme-toggle").ClickAsync();
        await page.WaitForTimeoutAsync(300);
        await panel.ScreenshotAsync(new() { Path = Path.Combine(DashboardServer.ArtifactsFolder, "trace-forward-drop-1400x900-dark.png") });

        await panel.GetByTestId("trace-apply-fix").ClickAsync();

        await Assertions.Expect(panel.GetByTestId("trace-outcome")).ToContainTextAsync("vm1 reached 203.0.113.5 (icmp); the reply came back",
            new() { Timeout = 15_000 });
        Assert.Contains(lab.Service.JournalOf(lab.Name)!, e => e.Tutorial == "iptables -t filter -D FORWARD -j DROP");
        Assert.Contains(lab.Service.JournalOf(lab.Name)!, e => e.Tutorial == "ifconfig ens160 up");
    }

    private static async Task InHostAsync(NetDashboard.Integration.Tests.TestLab lab, params string[] argv) =>
        await Cli.Wrap("ip").WithArguments(["netns", "exec", lab.Namespaces.Host, .. argv]).ExecuteAsync();

}
