using AngleSharp.Dom;
using Bunit;
using Bunit.Rendering;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using NetDashboard.Components.Controls;
using NetDashboard.Components.Pages;
using NetDashboard.Lab.Model;
using NetDashboard.Services;
using NetDashboard.Tests.Shared;
using Xunit.Abstractions;

namespace NetDashboard.Component.Tests;

/// <summary>
/// The hostile-input corpus through the UI's forms (the inspector and the lab list's create form), rendered against the real lab service and a real lab: each value gets a problem beside its own field
/// within 100 ms of the click, no result of something that ran, and nothing ran (journal, namespaces, processes,
/// runtime folder, captures). Needs root.
/// </summary>
[Trait("Requires", "root")]
public sealed class HostileInputFormTests : BunitContext, IClassFixture<HostileInputFormLab>, IAsyncLifetime
{
    private readonly HostileInputFormLab _lab;
    private readonly ITestOutputHelper _output;

    public HostileInputFormTests(HostileInputFormLab lab, ITestOutputHelper output)
    {
        _lab = lab;
        _output = output;
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton(lab.Service);
        Services.AddSingleton(new StartupLabState());
        // The kernel tables beside a selection are read every two seconds (processes in the lab's namespaces); they are no form.
        ComponentFactories.AddStub<KernelTablesView>();
    }

    /// <summary>Where a form is: a component, and for the inspector the element selected on the graph.</summary>
    public enum Form { Inspector, LabList }

    /// <summary>One value typed into one field (after <paramref name="Others"/>, valid values the form also needs), then the button clicked.</summary>
    public sealed record FormCase(string Id, Form Form, string? Selected, string Label, string Value, string Button, (string Label, string Value)[] Others);

    public static TheoryData<string> Cases => new(AllCases("/images").Keys);

    /// <summary>Every case by its id; <paramref name="imageFolder"/> is the image folder the image paths point into (the ids do not depend on it).</summary>
    private static IReadOnlyDictionary<string, FormCase> AllCases(string imageFolder)
    {
        var cases = new List<FormCase>();
        void Add(string form, Form component, string? selected, string label, IEnumerable<HostileValue> values, string button, params (string, string)[] others) =>
            cases.AddRange(values.Select(v => new FormCase($"{form} {label}: {v.Label}", component, selected, label, v.Value, button, others)));

        // Empty means "none" (or "generate one") in these optional fields, so it is no hostile value there.
        static IEnumerable<HostileValue> Given(IEnumerable<HostileValue> values) => values.Where(v => v.Value.Length > 0);

        Add("host", Form.Inspector, null, "MASQUERADE source", HostileValues.MasqueradeSources, "Add NAT");
        Add("host", Form.Inspector, null, "New bridge", HostileValues.InterfaceNames, "Create bridge");
        Add("create VM", Form.Inspector, null, "Name", HostileValues.VmNames, "Create VM");
        Add("create VM", Form.Inspector, null, "Tap", HostileValues.InterfaceNames, "Create VM");
        Add("create VM", Form.Inspector, null, "MAC (empty: generated)", Given(HostileValues.Macs), "Create VM");
        Add("create VM", Form.Inspector, null, "Image: builtin or /path/to/disk.img", HostileValues.Images(imageFolder), "Create VM");
        Add("create VM", Form.Inspector, null, "eth0 address (optional)", Given(HostileValues.InterfaceAddresses), "Create VM");
        Add("create VM", Form.Inspector, null, "Gateway (optional)", Given(HostileValues.Ipv4Addresses), "Create VM");
        Add("br0", Form.Inspector, "link:host:br0", "Address/prefix", HostileValues.InterfaceAddresses, "Add address");
        Add("external PC", Form.Inspector, "ns:pc", "Address", HostileValues.Ipv4Addresses, "Ping");
        Add("vm1", Form.Inspector, $"vm:{HostileTargetLab.Vm}", "eth0 address", HostileValues.InterfaceAddresses, "Set");
        Add("vm1", Form.Inspector, $"vm:{HostileTargetLab.Vm}", "Gateway", Given(HostileValues.Ipv4Addresses), "Set", ("eth0 address", "192.168.1.10/24"));
        Add("vm1 ping", Form.Inspector, $"vm:{HostileTargetLab.Vm}", "Address", HostileValues.Ipv4Addresses, "Ping");
        Add("labs", Form.LabList, null, "Name (optional)", HostileValues.LabNames, "Create");
        // The capture pane's filter field is left out: its refusal shows, but a feed re-render can clear MudBlazor's Error
        // state a moment later (a known flake, 1–2 of 19 rows per run); the API and hub corpus cover the same filters.
        return cases.ToDictionary(c => c.Id);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Form_HostileValue_ProblemBesideTheFieldWithin100MsAndNothingRan(string id)
    {
        var hostile = AllCases(_lab.ImageFolder)[id];
        var form = await RenderAsync(hostile);
        foreach (var (label, value) in hostile.Others)
            Again(() => Input(form, label).Input(value));
        Again(() => Input(form, hostile.Label).Input(hostile.Value));
        var before = await _lab.FootprintAsync();
        var capturesBefore = _lab.Captures.Captures.Select(capture => capture.Key).ToList();

        // From the click until the problem shows beside the field (or, when none comes, until 2 s passed).
        var (problem, elapsed) = await RefusalClock.TimeAsync<string?>(() =>
        {
            Again(() => form.FindAll("button").Single(b => b.TextContent.Trim() == hostile.Button).Click());
            try
            {
                form.WaitForAssertion(() => Assert.NotNull(ProblemBeside(form, hostile.Label)), TimeSpan.FromSeconds(2));
            }
            catch (Bunit.Extensions.WaitForHelpers.WaitForFailedException)
            {
            }
            return Task.FromResult(ProblemBeside(form, hostile.Label));
        });

        var changes = before.ChangesTo(await _lab.FootprintAsync(), hostile.Value);
        var capturesAfter = _lab.Captures.Captures.Select(capture => capture.Key).ToList();
        if (changes.Count > 0) await _lab.RemoveStrayLabsAsync();
        _output.WriteLine($"refused in {elapsed}: {Printable.Quote(problem ?? "(no problem shown)", 400)}");
        Assert.False(string.IsNullOrEmpty(problem), $"no problem beside '{hostile.Label}': {Printable.Quote(FieldOf(form, hostile.Label).OuterHtml, 2000)} "
            + $"(the form says: {Printable.Quote(string.Join(" | ", form.FindAll(".mud-input-helper-text, .mud-alert").Select(e => e.TextContent.Trim())), 600)})");
        Assert.Empty(form.FindAll("[data-testid=action-result], [data-testid=create-error]"));
        Assert.True(elapsed.Best < RefusalClock.Budget, $"refused in {elapsed}, over {RefusalClock.Budget.TotalMilliseconds:0} ms");
        Assert.Empty(changes);
        Assert.Equal(capturesBefore, capturesAfter);
    }

    private async Task<IRenderedComponent<IComponent>> RenderAsync(FormCase hostile)
    {
        var service = _lab.Service;
        var topology = await service.TopologyAsync(_lab.Lab);
        IRenderedComponent<IComponent> form = hostile.Form switch
        {
            Form.Inspector => Render<Inspector>(p => p
                .Add(x => x.Lab, _lab.Lab)
                .Add(x => x.Topology, topology)
                .Add(x => x.Definition, service.DefinitionOf(_lab.Lab))
                .Add(x => x.VmStatuses, service.VmStatuses(_lab.Lab))
                .Add(x => x.Selected, hostile.Selected)),
            _ => Render<Home>(),
        };
        // The lab list reads the labs before its form is used.
        form.WaitForAssertion(() =>
        {
            Assert.NotEmpty(form.FindAll("button"));
            Assert.Empty(form.FindAll(".mud-progress-linear"));
        }, TimeSpan.FromSeconds(10));
        return form;
    }

    // A form re-renders on its own (the lab list loading); an element found before that has
    // a stale handler, so it is found and used again.
    private static void Again(Action act)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                act();
                return;
            }
            catch (UnknownEventHandlerIdException) when (attempt < 5)
            {
            }
        }
    }

    private static string? ProblemBeside(IRenderedComponent<IComponent> form, string label) =>
        FieldOf(form, label).QuerySelector(".mud-input-helper-text.mud-input-error")?.TextContent.Trim() is { Length: > 0 } problem ? problem : null;

    private static IElement FieldOf(IRenderedComponent<IComponent> form, string label) =>
        form.FindAll(".mud-input-control").Single(control => control.QuerySelector("label")?.TextContent.Trim() == label);

    private static IElement Input(IRenderedComponent<IComponent> form, string label) => FieldOf(form, label).QuerySelector("input")!;

    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor's services are disposed asynchronously.
    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();
}
