using NetDashboard.Lab.Model;
using System.Diagnostics;
using CliWrap;
using Microsoft.Playwright;

namespace NetDashboard.Browser.Tests;

[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium")]
public sealed class LabPageTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    [Fact]
    public async Task Home_LabStartedOutsideTheDashboard_IsListed()
    {
        await using var lab = server.NewLab("uh");
        await lab.UpAsync("nat-pc.yaml");
        var page = await server.NewPageAsync();

        await page.GotoAsync("/");
        var link = page.GetByTestId("lab-list").GetByText(lab.Name);

        await Assertions.Expect(link).ToBeVisibleAsync();
        await DashboardServer.ScreenshotAsync(page, "home");
    }

    [Fact]
    public async Task Home_LabMadeByTheEngineAfterThePageOpened_AppearsAndGoesWithoutReload()
    {
        var page = await server.NewPageAsync();
        await page.GotoAsync("/");
        await using var lab = server.NewLab("ul");

        await lab.UpAsync("nat-pc.yaml");
        var row = page.GetByTestId($"lab-row-{lab.Name}");
        await Assertions.Expect(row).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await lab.Engine.DownAsync(lab.Name);

        await Assertions.Expect(row).Not.ToBeVisibleAsync(new() { Timeout = 10_000 });
    }

    [Fact]
    public async Task Home_CreateEmptyLab_LabPageShowsTheWorldWithoutBridge()
    {
        await using var lab = server.NewLab("ue");
        var page = await server.NewPageAsync();

        await page.GotoAsync("/");
        await page.GetByLabel("Lab file").ClickAsync();
        await page.GetByText("(empty: the world only").ClickAsync();
        await page.GetByLabel("Name (optional)").FillAsync(lab.Name);
        await page.GetByTestId("create-lab").ClickAsync();
        await page.WaitForURLAsync($"**/labs/{lab.Name}");
        var graph = page.GetByTestId("topology-graph");
        await Assertions.Expect(graph).ToHaveAttributeAsync("data-nodes", new System.Text.RegularExpressions.Regex("link:pc:eth0"));
        var nodes = await graph.GetAttributeAsync("data-nodes");

        Assert.Contains("link:host:ens160", nodes);
        Assert.DoesNotContain("br0", nodes);
        Assert.Empty(lab.Store.ReadDefinition(lab.Name)!.Vms);
    }

    [Fact]
    public async Task LabPage_NatPc_GraphShowsBridgeWithPortAndNatMark()
    {
        await using var lab = server.NewLab("ug");
        await lab.UpAsync("nat-pc.yaml");
        var page = await server.NewPageAsync();

        await page.GotoAsync($"/labs/{lab.Name}");
        var graph = page.GetByTestId("topology-graph");
        await Assertions.Expect(graph).ToHaveAttributeAsync("data-nodes", new System.Text.RegularExpressions.Regex("link:host:br0"));
        var nodes = await graph.GetAttributeAsync("data-nodes");
        var hostLabel = await page.EvaluateAsync<string>("() => document.querySelector('[data-testid=topology-graph]').__graph.cy.getElementById('ns:host').data('label')");
        var memberEdge = await page.EvaluateAsync<bool>("() => document.querySelector('[data-testid=topology-graph]').__graph.cy.getElementById('member:host:ens192').nonempty()");
        await DashboardServer.ScreenshotAsync(page, "lab-nat-pc");

        Assert.Contains("link:host:ens160", nodes);
        Assert.Contains("link:pc:eth0", nodes);
        Assert.Contains("server", nodes);
        Assert.Contains("NAT: MASQUERADE 192.168.1.0/24", hostLabel);
        Assert.Contains("forwarding on", hostLabel);
        Assert.True(memberEdge, "ens192 is drawn as a port of br0");
    }

    [Fact]
    public async Task LabPage_BridgeAddedFromShell_AppearsOnGraphWithoutReload()
    {
        await using var lab = server.NewLab("us");
        await lab.UpAsync("nat-pc.yaml");
        var page = await server.NewPageAsync();
        await page.GotoAsync($"/labs/{lab.Name}");
        var graph = page.GetByTestId("topology-graph");
        await Assertions.Expect(graph).ToHaveAttributeAsync("data-nodes", new System.Text.RegularExpressions.Regex("link:host:br0"));

        var changed = Stopwatch.StartNew();
        await Cli.Wrap("ip").WithArguments(["-n", lab.Namespaces.Host, "link", "add", "br7", "type", "bridge"]).ExecuteAsync();
        await Assertions.Expect(graph).ToHaveAttributeAsync("data-nodes", new System.Text.RegularExpressions.Regex("link:host:br7"), new() { Timeout = 5000 });
        changed.Stop();
        await DashboardServer.ScreenshotAsync(page, "shell-change");

        Assert.True(changed.ElapsedMilliseconds < 1500, $"the graph showed br7 after {changed.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Drift_BridgeDeletedFromShell_ShownAndOneClickBringsItBack()
    {
        await using var lab = server.NewLab("ud");
        await lab.UpAsync("nat-pc.yaml");
        var page = await server.NewPageAsync();
        await page.GotoAsync($"/labs/{lab.Name}");
        await Assertions.Expect(page.GetByTestId("topology-graph")).ToHaveAttributeAsync("data-nodes", new System.Text.RegularExpressions.Regex("link:host:br0"));
        await Assertions.Expect(page.GetByTestId("drift")).Not.ToBeVisibleAsync();

        await Cli.Wrap("ip").WithArguments(["-n", lab.Namespaces.Host, "link", "del", "br0"]).ExecuteAsync();
        await Assertions.Expect(page.GetByTestId("drift")).ToContainTextAsync("(host)$ brctl addbr br0");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply the lab file" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("drift")).Not.ToBeVisibleAsync();
        var host = (await lab.Reader.ReadAsync(lab.Name)).Host;

        Assert.Equal("bridge", host.Link("br0")?.Kind);
        Assert.Equal("br0", host.Link("ens192")?.Master);
    }

    [Fact]
    public async Task Inspector_CreateBridgeWithBadName_ErrorBesideFieldAndNothingCreated()
    {
        await using var lab = server.NewLab("uv");
        await lab.UpAsync("nat-pc.yaml");
        var page = await server.NewPageAsync();
        await page.GotoAsync($"/labs/{lab.Name}");
        await Assertions.Expect(page.GetByTestId("topology-graph")).ToHaveAttributeAsync("data-nodes", new System.Text.RegularExpressions.Regex("link:host:br0"));

        await page.GetByLabel("New bridge").FillAsync("bad name");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create bridge" }).ClickAsync();

        await Assertions.Expect(page.GetByText("is not valid: an interface name")).ToBeVisibleAsync();
        var host = (await lab.Reader.ReadAsync(lab.Name)).Host;
        Assert.DoesNotContain(host.Links, l => l.Name.Contains(' ', StringComparison.Ordinal));
    }

    [Fact]
    public async Task Inspector_TurnForwardingOff_KernelAndJournalFollow()
    {
        await using var lab = server.NewLab("uf");
        await lab.UpAsync("nat-pc.yaml");
        var page = await server.NewPageAsync();
        await page.GotoAsync($"/labs/{lab.Name}");
        await Assertions.Expect(page.GetByText("IP forwarding is on")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Turn off" }).ClickAsync();
        await Assertions.Expect(page.GetByText("IP forwarding is off")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("journal").GetByText("(host)$ echo 0 > /proc/sys/net/ipv4/ip_forward")).ToBeVisibleAsync();

        Assert.False((await lab.Reader.ReadAsync(lab.Name)).Host.Forwarding);
    }
}

[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium,qemu")]
[Collection(NetDashboard.Integration.Tests.VmCollection.Name)]
public sealed class LabPageVmTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    [Fact]
    public async Task LabPage_SeedNat_VmsDrawnOnTheirTapsInsideBr0AndPingFromVmSucceeds()
    {
        await using var lab = server.NewLab("uvm");
        await lab.UpAsync("seed-nat.yaml");
        var page = await server.NewPageAsync();
        await page.GotoAsync($"/labs/{lab.Name}");
        var graph = page.GetByTestId("topology-graph");
        await Assertions.Expect(graph).ToHaveAttributeAsync("data-nodes", new System.Text.RegularExpressions.Regex("vm:vm2"));

        var edges = await page.EvaluateAsync<string[]>("() => document.querySelector('[data-testid=topology-graph]').__graph.cy.edges().map(e => e.id())");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Elements" }).ClickAsync();
        await page.GetByTestId("element-list").GetByText("vm1 ·").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Ping" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("action-result")).ToContainTextAsync("reply received", new() { Timeout = 30_000 });
        await DashboardServer.ScreenshotAsync(page, "lab-seed-nat");

        Assert.Contains("vmtap:vm1", edges);
        Assert.Contains("vmtap:vm2", edges);
        Assert.Contains("member:host:tap0", edges);
        Assert.Contains("member:host:tap1", edges);
    }
}

[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium,qemu")]
[Collection(NetDashboard.Integration.Tests.VmCollection.Name)]
public sealed class CreateVmTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    [Fact]
    public async Task CreateVm_FormWithGeneratedMac_VmRunsOnItsTapAndDuplicateMacIsRefusedBesideTheField()
    {
        await using var lab = server.NewLab("cv");
        await lab.UpAsync("nat-pc.yaml");
        var page = await server.NewPageAsync();
        await page.GotoAsync($"/labs/{lab.Name}");
        await Assertions.Expect(page.GetByTestId("topology-graph")).ToHaveAttributeAsync("data-nodes", new System.Text.RegularExpressions.Regex("link:host:br0"));

        await page.GetByRole(AriaRole.Button, new() { Name = "Create VM" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("action-result")).ToContainTextAsync("vm1", new() { Timeout = 90_000 });
        await Assertions.Expect(page.GetByTestId("topology-graph")).ToHaveAttributeAsync("data-nodes", new System.Text.RegularExpressions.Regex("vm:vm1"));
        var definition = lab.Store.ReadDefinition(lab.Name)!;
        var vm1 = Assert.Single(definition.Vms);
        var tap = (await lab.Reader.ReadAsync(lab.Name)).Host.Link(vm1.Tap);

        await page.GetByLabel("MAC (empty: generated)").FillAsync(vm1.Mac.ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Create VM" }).ClickAsync();
        await Assertions.Expect(page.GetByText($"share MAC {vm1.Mac}")).ToBeVisibleAsync();

        Assert.Equal("tap0", vm1.Tap);
        Assert.True(vm1.Mac.IsLocallyAdministered);
        Assert.Equal("tun", tap?.Kind);
        Assert.Single(lab.Store.ReadDefinition(lab.Name)!.Vms);
        Assert.Equal(NetDashboard.Lab.Model.VmState.Running, lab.Vms.StatusOf(lab.Name, vm1).State);
    }
}

[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium,qemu")]
[Collection(NetDashboard.Integration.Tests.VmCollection.Name)]
public sealed class CreateVmOnTheNetworkTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    [Fact]
    public async Task CreateVm_SeedNatWithTheFormsSuggestions_NewVmIsInBr0AndPingsTheInternetServer()
    {
        await using var lab = server.NewLab("cn");
        await lab.UpAsync("seed-nat.yaml", wait: true);
        var page = await server.NewPageAsync();
        await page.GotoAsync($"/labs/{lab.Name}");
        await Assertions.Expect(page.GetByTestId("topology-graph")).ToHaveAttributeAsync("data-nodes", new System.Text.RegularExpressions.Regex("vm:vm2"));

        // Nothing selected: the form offers what is free, and the bridge the other taps sit in.
        await Assertions.Expect(page.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync("vm3");
        await Assertions.Expect(page.GetByLabel("Tap", new() { Exact = true })).ToHaveValueAsync("tap2");
        // MudSelect shows its value as the text of the element its label names, not as an input's value.
        await Assertions.Expect(page.GetByLabel("Bridge (its tap joins it, up)")).ToContainTextAsync("br0");
        await Assertions.Expect(page.GetByLabel("eth0 address (optional)")).ToHaveValueAsync("192.168.1.12/24");
        await Assertions.Expect(page.GetByLabel("Gateway (optional)")).ToHaveValueAsync("192.168.1.1");
        await DashboardServer.ScreenshotAsync(page, "create-vm-form");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create VM" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("action-result")).ToContainTextAsync("vm3", new() { Timeout = 120_000 });

        var tap2 = (await lab.Reader.ReadAsync(lab.Name)).Host.Link("tap2");
        Assert.Equal("br0", tap2?.Master);
        Assert.True(tap2!.AdminUp, "tap2 is up");
        // No further click: the guest has its address and route, so the internet server answers (the first ping may
        // go while the new link settles).
        var replied = false;
        for (var attempt = 0; attempt < 3 && !replied; attempt++)
            replied = (await lab.Service.ExecAsync(lab.Name, "vm3", "ping -c 1 -W 3 203.0.113.5")).Guest?.ExitCode == 0;
        Assert.True(replied, "vm3 pings 203.0.113.5");
        // The next suggestion moves on: vm3's name, tap and address are taken now.
        await Assertions.Expect(page.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync("vm4");
        await Assertions.Expect(page.GetByLabel("eth0 address (optional)")).ToHaveValueAsync("192.168.1.13/24");
        var journal = lab.Store.JournalOf(lab.Name).ReadAll().Select(e => e.TutorialLine).ToList();
        Assert.Contains("(host)$ brctl addif br0 tap2", journal);
        Assert.Contains("(vm3)$ ifconfig eth0 192.168.1.12", journal);
    }
}

/// <summary>Lab management from the home page: what each lab is, deleting one after a confirmation, an unknown lab's page.</summary>
[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium")]
public sealed class LabManagementTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    [Fact]
    public async Task Home_DeleteAfterConfirmation_RemovesTheLab()
    {
        await using var lab = server.NewLab("ud");
        await lab.UpAsync("nat-pc.yaml");
        var page = await server.NewPageAsync();
        await page.GotoAsync("/");
        var row = page.GetByTestId($"lab-row-{lab.Name}");
        await Assertions.Expect(row).ToContainTextAsync("nat-pc.yaml");
        await Assertions.Expect(row).ToContainTextAsync("3 of 3");

        await row.GetByRole(AriaRole.Button, new() { Name = $"Delete lab {lab.Name}" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        Assert.Contains(lab.Namespaces.Host, await NetDashboard.Integration.Tests.TestLab.RootNamespacesAsync());
        await row.GetByRole(AriaRole.Button, new() { Name = $"Delete lab {lab.Name}" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();

        await Assertions.Expect(row).Not.ToBeVisibleAsync(new() { Timeout = 30_000 });
        Assert.DoesNotContain(await NetDashboard.Integration.Tests.TestLab.RootNamespacesAsync(), ns => lab.Namespaces.All.Contains(ns));
        Assert.False(Directory.Exists(Path.Combine(server.RuntimeRoot, lab.Name)));
    }

    [Fact]
    public async Task LabPage_UnknownLab_SaysSoAndOffersNothingThatActs()
    {
        var name = $"nolab-{Guid.NewGuid().ToString("N")[..6]}";
        var page = await server.NewPageAsync();

        await page.GotoAsync($"/labs/{name}");

        await Assertions.Expect(page.GetByTestId("no-such-lab")).ToContainTextAsync($"There is no lab named {name}");
        Assert.Equal(0, await page.Locator(".mud-main-content button").CountAsync());
        Assert.False(Directory.Exists(Path.Combine(server.RuntimeRoot, name)));
    }
}
