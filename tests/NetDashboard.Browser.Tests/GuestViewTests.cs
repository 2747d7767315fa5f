using Microsoft.Playwright;

namespace NetDashboard.Browser.Tests;

/// <summary>The graph shows what the guest holds, not what the lab file wants.</summary>
[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium,qemu")]
[Collection(NetDashboard.Integration.Tests.VmCollection.Name)]
public sealed class GuestStateTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    private const string Vm1Label =
        "() => document.querySelector('[data-testid=topology-graph]')?.__graph?.cy.getElementById('vm:vm1').data('label') ?? ''";

    [Fact]
    public async Task Graph_AddressTypedInTheSerialConsole_ShowsWithinSecondsAndWasNotShownBefore()
    {
        await using var lab = server.NewLab("gs");
        var path = NetDashboard.Integration.Tests.TestLab.LabFile("seed-tap.yaml");
        await lab.Engine.ApplyAsync(NetDashboard.Lab.Host.LabFileReader.LoadFile(path, lab.Name), await File.ReadAllTextAsync(path), path,
            waitForVms: true, asLesson: true);
        var labPage = await server.NewPageAsync();
        await labPage.GotoAsync($"/labs/{lab.Name}");
        await labPage.WaitForFunctionAsync($"() => ({Vm1Label})().includes('no address')", null, new() { Timeout = 20_000 });
        var before = await labPage.EvaluateAsync<string>(Vm1Label);

        var console = await server.NewPageAsync();
        await console.GotoAsync($"/labs/{lab.Name}/vms/vm1/console");
        await Assertions.Expect(console.GetByTestId("console-serial")).ToHaveAttributeAsync("data-state", "connected");
        await console.GetByTestId("console-serial").ClickAsync();
        await console.Keyboard.TypeAsync("ifconfig eth0 192.168.1.2\r");
        var typed = DateTime.UtcNow;
        await labPage.WaitForFunctionAsync($"() => ({Vm1Label})().includes('192.168.1.2/24')", null, new() { Timeout = 15_000 });
        var seenAfter = DateTime.UtcNow - typed;
        var after = await labPage.EvaluateAsync<string>(Vm1Label);
        using var http = server.App.CreateClient();
        var topology = await http.GetStringAsync($"api/labs/{lab.Name}/topology");

        Assert.Contains("(wants 192.168.1.2)", before);
        Assert.DoesNotContain("192.168.1.2/24", before);
        Assert.DoesNotContain("wants", after);
        Assert.True(seenAfter < TimeSpan.FromSeconds(8), $"the graph showed the new address after {seenAfter.TotalSeconds:0.0} s");
        Assert.Contains("\"wantedAddress\": \"192.168.1.2/24\"", topology);
        Assert.Contains("\"192.168.1.2/24\"", topology[topology.IndexOf("\"guest\"", StringComparison.Ordinal)..]);
    }
}

/// <summary>The kernel's tables of the bridge lesson: which MAC was learned on which port.</summary>
[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium,qemu")]
[Collection(NetDashboard.Integration.Tests.VmCollection.Name)]
public sealed class KernelTablesTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    [Fact]
    public async Task Inspector_Br0AfterTheGuestsPinged_MacTableHasBothGuestsOnTheirTaps()
    {
        await using var lab = server.NewLab("kt");
        await lab.UpAsync("seed-bridge.yaml", wait: true);
        var ping = await lab.Service.ExecAsync(lab.Name, "vm1", "ping -c 2 192.168.1.11");
        Assert.True(ping.Guest?.ExitCode == 0, ping.Result.Message + ping.Guest?.Output);
        var page = await server.NewPageAsync();
        await page.GotoAsync($"/labs/{lab.Name}");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Elements" }).ClickAsync();
        await page.GetByTestId("element-list").GetByText("br0 (UP)").ClickAsync();
        var macs = page.GetByTestId("mac-table");

        await Assertions.Expect(macs).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"tap0\s+52:54:98:76:54:30\s+no"));
        await Assertions.Expect(macs).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"tap1\s+52:54:98:76:54:31\s+no"));
        await DashboardServer.ScreenshotAsync(page, "br0-mac-table");
    }
}
