using NetDashboard.Lab.Labs;
using NetDashboard.Lab.Services;
using NetDashboard.Lab.Runtime;
using AngleSharp.Dom;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using NetDashboard.Components.Controls;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;
using Microsoft.Extensions.Logging.Abstractions;
using NetDashboard.Lab.Events;
using static NetDashboard.Component.Tests.LabFixtures;

namespace NetDashboard.Component.Tests;

/// <summary>
/// The Inspector with real LabActions wired to a temp runtime folder. Only behaviour that runs no host
/// command is tested: rendering from parameters and input refused by validation.
/// </summary>
public sealed class InspectorTests : BunitContext, IAsyncLifetime
{
    private readonly string _runtime = Path.Combine(Path.GetTempPath(), $"netdash-component-{Guid.NewGuid():N}");
    private readonly LabComposition _composition;
    private readonly LabRuntimeStore _store;

    public InspectorTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        _composition = LabComposition.Build(LabFixtures.NoGuestSettings(_runtime));
        _store = _composition.Store;
        Services.AddSingleton(_composition.Door);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor's KeyInterceptorService (used by MudChip) is only IAsyncDisposable, so the container must be disposed asynchronously.
    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _composition.DisposeAsync();
        if (Directory.Exists(_runtime)) Directory.Delete(_runtime, recursive: true);
    }

    private IRenderedComponent<Inspector> RenderInspector(Topology topology, string? selected) =>
        Render<Inspector>(p => p.Add(x => x.Lab, LabName).Add(x => x.Topology, topology).Add(x => x.Selected, selected));

    private static IElement Button(IRenderedComponent<Inspector> cut, string text) =>
        cut.FindAll("button").Single(b => b.TextContent.Trim() == text);

    [Theory]
    [InlineData(true, "on")]
    [InlineData(false, "off")]
    public void Render_NothingSelected_ShowsForwardingStateFromTopology(bool forwarding, string expected)
    {
        var cut = RenderInspector(NatPc(Host(forwarding)), selected: null);

        Assert.Contains($"IP forwarding is {expected}", cut.Find("[data-testid=inspector]").TextContent);
        Button(cut, $"Turn {(forwarding ? "off" : "on")}");
    }

    [Fact]
    public void Render_BridgeSelected_ShowsNameStateChipAndAddresses()
    {
        var cut = RenderInspector(NatPc(), "link:host:br0");

        Assert.Equal("br0", cut.Find("h6").FirstChild!.TextContent.Trim());
        Assert.Equal("UP", cut.Find(".mud-chip").TextContent.Trim());
        Assert.Contains(cut.FindAll("code"), c => c.TextContent == "192.168.1.1/24");
        Assert.NotNull(cut.Find("button[aria-label='Remove 192.168.1.1/24']"));
    }

    [Fact]
    public void Render_BridgeSelected_OffersEachFreeTapOrVethAsPort()
    {
        var host = Host(true,
            Link("tap0", "tun"),
            Link("tap1", "tun", master: "br0"),
            Link("veth5", "veth"),
            Link("dummy0", "dummy"));

        var cut = RenderInspector(NatPc(host), "link:host:br0");

        var offered = cut.FindAll("button").Select(b => b.TextContent.Trim()).Where(t => t.StartsWith("Add ", StringComparison.Ordinal) && t != "Add address").Order().ToList();
        Assert.Equal(["Add ens160", "Add tap0", "Add veth5"], offered);
    }

    [Fact]
    public void CreateBridge_InvalidName_ShowsProblemBesideFieldAndRunsNothing()
    {
        var cut = RenderInspector(NatPc(), selected: null);
        var input = cut.Find("input[data-testid=bridge-input]");

        input.Input("bad name");
        Button(cut, "Create bridge").Click();

        var field = cut.Find("input[data-testid=bridge-input]").Closest(".mud-input-control")!;
        Assert.Contains("'bad name' is not valid", field.TextContent);
        Assert.Contains("mud-input-error", field.InnerHtml);
        Assert.Empty(cut.FindAll("[data-testid=action-result]"));
        Assert.False(File.Exists(_store.JournalOf(LabName).Path));
        Assert.False(Directory.Exists(_store.FolderOf(LabName)));
    }
}
