using CliWrap;
using CliWrap.Buffered;
using Microsoft.Playwright;
using NetDashboard.Integration.Tests;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Browser.Tests;

/// <summary>
/// Issue 20's "done when" on a real libvirt stand-in (libvirtd in namespaces of the test's own, with an uplink to an
/// outside namespace): the page labels virbr0 with its NAT and dnsmasq and vnet0 with the domain's name; a ping from
/// the guest to the outside is captured on vnet0, virbr0 and the uplink side by side, the same packet linked across
/// them with libvirt's masquerade visible on the way out; the panes' pcapng reads in tshark with the same rewrite;
/// nothing in either namespace changed, promiscuity included.
/// </summary>
[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium,qemu,libvirt")]
public sealed class HostCaptureTests : IAsyncLifetime
{
    private readonly string _runtime = Directory.CreateTempSubdirectory("netdash-hostcap-").FullName;
    private readonly LibvirtStandIn _standIn = new();
    private AppProcess? _app;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        await _standIn.InitializeAsync();
        await _standIn.AddUplinkAsync();
        _app = await AppProcess.StartAsync(_runtime, new Dictionary<string, string> { ["NetDashboard__Observe__Namespace"] = _standIn.Namespace });
        Assertions.SetDefaultExpectTimeout(20_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await DashboardServer.LaunchChromiumAsync(_playwright);
    }

    [Fact]
    public async Task HostPage_LibvirtGuestPingsOutside_CapturedOnVnet0Virbr0AndUplinkSideBySideLinkedWithTheMasqueradeAndNothingChanged()
    {
        var before = await NamespaceSnapshot.TakeAsync(_app!.Pid, _standIn.Namespace, _standIn.Outside);
        var inode = (await Cli.Wrap("stat").WithArguments(["-L", "-c", "%i", $"/run/netns/{_standIn.Namespace}"]).ExecuteBufferedAsync()).StandardOutput.Trim();
        string Pane(string iface) => $"pane-{inode}/{iface}";
        var page = await _browser!.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 900 }, BaseURL = _app!.BaseAddress.ToString() });
        page.SetDefaultTimeout(20_000);
        await page.GotoAsync(_app.LoginLink);

        // Two panes from the address, the third from the inspector's button, as a person adds one.
        await page.GotoAsync($"host?panes={inode}/virbr0,{inode}/{LibvirtStandIn.Uplink}");
        await Assertions.Expect(page.GetByTestId("stack")).ToHaveTextAsync(
            $"libvirt network default: virbr0, NAT 192.168.122.0/24, dnsmasq (pid {_standIn.DnsmasqPid}), vnet0 ({LibvirtStandIn.Domain})");
        await page.GetByTestId("element-list").GetByText("vnet0 (UP)").ClickAsync();
        await page.GetByTestId("capture-link").ClickAsync();
        // The address keeps the panes (replaced in place, no navigation to wait for).
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"{inode}(/|%2F)vnet0"));
        foreach (var iface in new[] { "vnet0", "virbr0", LibvirtStandIn.Uplink })
            await Assertions.Expect(page.GetByTestId(Pane(iface)).GetByTestId("pane-state")).ToHaveTextAsync("capturing");

        var ping = await GuestAgentClient.RunAsync(_standIn.AgentSocket, $"ping -c 3 -W 3 {LibvirtStandIn.OutsideAddress}", TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.True(ping.ExitCode == 0, ping.Output);
        var request = $"{LibvirtStandIn.GuestAddress} > {LibvirtStandIn.OutsideAddress}: ICMP echo request";
        var masqueraded = $"{LibvirtStandIn.UplinkAddress} > {LibvirtStandIn.OutsideAddress}: ICMP echo request";
        await Assertions.Expect(page.GetByTestId(Pane("vnet0")).GetByTestId("pane-rows")).ToContainTextAsync(request);
        await Assertions.Expect(page.GetByTestId(Pane("virbr0")).GetByTestId("pane-rows")).ToContainTextAsync(request);
        await Assertions.Expect(page.GetByTestId(Pane(LibvirtStandIn.Uplink)).GetByTestId("pane-rows")).ToContainTextAsync(masqueraded);

        // The first request on vnet0: its way crosses the three panes and says what NAT rewrote; its copy on the uplink is marked.
        await page.GetByTestId(Pane("vnet0")).Locator(".capture-row", new() { HasText = request }).First.ClickAsync();
        var journey = page.GetByTestId("journey");
        await Assertions.Expect(journey).ToContainTextAsync("seen on 3 interfaces");
        await Assertions.Expect(journey).ToContainTextAsync($"source {LibvirtStandIn.GuestAddress} → {LibvirtStandIn.UplinkAddress}");
        await Assertions.Expect(page.GetByTestId(Pane(LibvirtStandIn.Uplink)).GetByTestId("twin-changes"))
            .ToHaveTextAsync($"source {LibvirtStandIn.GuestAddress} → {LibvirtStandIn.UplinkAddress}");
        // Why, sending nothing: it was last seen leaving through the uplink.
        await page.GetByTestId("host-why-ask").ClickAsync();
        await Assertions.Expect(page.GetByTestId("host-why-verdict")).ToContainTextAsync(
            $"It left {_standIn.Namespace} through {LibvirtStandIn.Uplink}, where it was last seen with source {LibvirtStandIn.UplinkAddress}");
        var violations = await PageReadability.ViolationsAsync(page);
        await DashboardServer.ScreenshotAsync(page, "host-captures-libvirt-1400x900", fullPage: true);

        // What changes with traffic, read for what is selected: the bridge's MAC table and neighbours, the namespace's conntrack.
        await page.GetByTestId("element-list").GetByText(new System.Text.RegularExpressions.Regex(@"^virbr0 \(UP\)")).ClickAsync();
        await Assertions.Expect(page.GetByTestId("mac-table")).ToContainTextAsync($"{LibvirtStandIn.GuestMac} dev vnet0");
        await Assertions.Expect(page.GetByTestId("link-neighbours")).ToContainTextAsync($"{LibvirtStandIn.GuestAddress} dev virbr0 lladdr {LibvirtStandIn.GuestMac}");
        await page.GetByTestId("element-list").GetByText(new System.Text.RegularExpressions.Regex($"^observed: {_standIn.Namespace}")).ClickAsync();
        await Assertions.Expect(page.GetByTestId("observed-connections")).ToContainTextAsync(
            $"src={LibvirtStandIn.GuestAddress} dst={LibvirtStandIn.OutsideAddress} type=8 code=0");

        // What the three panes hold, as the page's download gives it, read by tshark: one interface each, the rewrite on the uplink.
        var download = await page.Context.APIRequest.GetAsync($"api/host/captures.pcapng?panes={inode}/vnet0,{inode}/virbr0,{inode}/{LibvirtStandIn.Uplink}");
        Assert.Equal(200, download.Status);
        var file = Path.Combine(_runtime, "host-captures.pcapng");
        await File.WriteAllBytesAsync(file, await download.BodyAsync());
        var tshark = await Cli.Wrap("tshark").WithArguments(["-r", file, "-Y", "icmp.type == 8", "-T", "fields", "-e", "frame.interface_name", "-e", "ip.src"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();

        // The test's own fault in its own stand-in (not observe mode's doing): pings to the outside dropped in FORWARD.
        // The why then names the device routing chose and that the packet never appeared there.
        await _standIn.InAsync("iptables", "-I", "FORWARD", "1", "-p", "icmp", "-d", LibvirtStandIn.OutsideAddress, "-j", "DROP");
        await GuestAgentClient.RunAsync(_standIn.AgentSocket, $"ping -c 2 -W 1 {LibvirtStandIn.OutsideAddress}", TimeSpan.FromSeconds(30), CancellationToken.None);
        var requests = page.GetByTestId(Pane("vnet0")).Locator(".capture-row", new() { HasText = request });
        await Assertions.Expect(requests).ToHaveCountAsync(5);
        await requests.Last.ClickAsync();
        await page.GetByTestId("host-why-ask").ClickAsync();
        var dropped = page.GetByTestId("host-why-verdict");
        await Assertions.Expect(dropped).ToContainTextAsync($"The kernel sends it out of {LibvirtStandIn.Uplink}, but it never appeared on {LibvirtStandIn.Uplink}: it stopped in {_standIn.Namespace} after routing");
        await Assertions.Expect(dropped).ToContainTextAsync("LIBVIRT_FWO");
        await Assertions.Expect(page.GetByTestId("host-why-kernel")).ToContainTextAsync(
            $"ip route get {LibvirtStandIn.OutsideAddress} from {LibvirtStandIn.GuestAddress} iif virbr0 → dev {LibvirtStandIn.Uplink}");
        await DashboardServer.ScreenshotAsync(page, "host-why-dropped-1400x900", fullPage: true);
        await _standIn.InAsync("iptables", "-D", "FORWARD", "-p", "icmp", "-d", LibvirtStandIn.OutsideAddress, "-j", "DROP");
        // Once the page is gone: while it is open, its ip monitor lives in the observed namespace (and ends with it).
        await page.CloseAsync();
        var after = await NamespaceSnapshot.SettledAsync(before, _app!.Pid, _standIn.Namespace, _standIn.Outside);

        Assert.True(tshark.ExitCode == 0, tshark.StandardError);
        var seen = tshark.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        Assert.Contains($"vnet0\t{LibvirtStandIn.GuestAddress}", seen);
        Assert.Contains($"virbr0\t{LibvirtStandIn.GuestAddress}", seen);
        Assert.Contains($"{LibvirtStandIn.Uplink}\t{LibvirtStandIn.UplinkAddress}", seen);
        Assert.Empty(violations);
        Assert.True(before == after, NamespaceSnapshot.Difference(before, after));
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_app is not null)
        {
            await File.WriteAllTextAsync(Path.Combine(DashboardServer.ArtifactsFolder, "app-host-captures.log"), _app.Output);
            await _app.DisposeAsync();
        }
        await _standIn.DisposeAsync();
        Directory.Delete(_runtime, recursive: true);
    }
}
