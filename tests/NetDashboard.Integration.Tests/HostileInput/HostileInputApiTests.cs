using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Model;
using NetDashboard.Tests.Shared;
using Xunit.Abstractions;

namespace NetDashboard.Integration.Tests.HostileInput;

/// <summary>
/// The hostile-input corpus through the HTTP API and the capture hub of the real app: each value is refused with a
/// 400 problem naming its field (413 for a body over 1 MiB) within 100 ms of sending it, and nothing ran — the
/// lab's journal, the namespaces, the processes in the lab's namespaces and the runtime folder are as they were,
/// and no capture is open.
/// </summary>
[Collection(HostileInputCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Requires", "root")]
public sealed class HostileInputApiTests(HostileInputLab fixture, ITestOutputHelper output)
{
    public static TheoryData<string> Cases => new(HostileApiCases.For(HostileTarget.Placeholder).Keys);

    public static TheoryData<string> StreamCases => new(HubCases(HostileTarget.Placeholder).Keys);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Api_HostileValue_RefusedNamingTheFieldWithin100MsAndNothingRan(string id)
    {
        var hostile = HostileApiCases.For(fixture.Target)[id];
        var before = await fixture.FootprintAsync();

        var ((status, mediaType, body), elapsed) = await RefusalClock.TimeAsync(async () =>
        {
            using var request = hostile.ToRequest();
            using var response = await fixture.Http.SendAsync(request);
            return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
        });

        var changes = await fixture.ChangesSinceAsync(before, hostile.Body ?? hostile.Path);
        var captures = await fixture.Http.GetStringAsync($"api/labs/{fixture.Target.Lab}/captures");
        output.WriteLine($"refused in {elapsed}: {status} {Printable.Quote(body, 400)}");
        Assert.True(status == hostile.Refusal.Status, $"answered {status}, not {hostile.Refusal.Status}: {body}");
        if (hostile.Refusal.Field is not null)
        {
            Assert.Equal("application/problem+json", mediaType);
            using var problem = JsonDocument.Parse(body);
            Assert.True(problem.RootElement.TryGetProperty("errors", out var errors) && errors.EnumerateObject().Any(error => hostile.Refusal.Names(error.Name)),
                $"no problem names the field {hostile.Refusal.Field}: {body}");
        }
        Assert.True(elapsed.Best < RefusalClock.Budget, $"refused in {elapsed}, over {RefusalClock.Budget.TotalMilliseconds:0} ms");
        Assert.Empty(changes);
        Assert.Equal("[]", captures);
    }

    [Theory]
    [MemberData(nameof(StreamCases))]
    public async Task Hub_HostileValue_StreamRefusedNamingTheFieldWithin100MsAndNothingRan(string id)
    {
        var (arguments, field) = HubCases(fixture.Target)[id];
        var hub = await fixture.HubAsync();
        var before = await fixture.FootprintAsync();

        var (refusal, elapsed) = await RefusalClock.TimeAsync(() => Assert.ThrowsAsync<HubException>(async () =>
        {
            await foreach (var _ in hub.StreamAsync<CaptureBatch>("Stream", arguments[0], arguments[1], arguments[2], arguments[3]))
            {
            }
        }));

        var changes = await fixture.ChangesSinceAsync(before, string.Concat(arguments));
        var captures = await fixture.Http.GetStringAsync($"api/labs/{fixture.Target.Lab}/captures");
        output.WriteLine($"refused in {elapsed}: {Printable.Quote(refusal.Message, 400)}");
        Assert.Contains($"{field}: ", refusal.Message);
        Assert.True(elapsed.Best < RefusalClock.Budget, $"refused in {elapsed}, over {RefusalClock.Budget.TotalMilliseconds:0} ms");
        Assert.Empty(changes);
        Assert.Equal("[]", captures);
    }

    [Fact]
    public async Task Footprint_AValidChange_IsSeenAsSomethingThatRan()
    {
        // The probe can fail: a change that runs (forwarding on again, journaled) is seen.
        var before = await fixture.FootprintAsync();

        using var response = await fixture.Http.PostAsJsonAsync($"api/labs/{fixture.Target.Lab}/operations", new { kind = "setForwarding", enabled = true });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"the journal of {fixture.Target.Lab} changed", before.ChangesTo(await fixture.FootprintAsync(), "", fixture.Target.FreshLab));
    }

    [Fact]
    public async Task Exec_AValidCommandForTheStoppedVm_FailsToRunRatherThanBeingRefused()
    {
        // The guest-command cases judge the command itself: the VM is in the lab file, so a command that passes
        // validation goes on to the VM, which is stopped (422), and a 400 can only come from the command.
        using var response = await fixture.Http.PostAsJsonAsync($"api/labs/{fixture.Target.Lab}/vms/{fixture.Target.Vm}/exec", new { command = "true" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("stopped", await response.Content.ReadAsStringAsync());
    }

    /// <summary>Stream(lab, ns, iface, filter) of the capture hub, one hostile value at a time.</summary>
    private static IReadOnlyDictionary<string, (string?[] Arguments, string Field)> HubCases(HostileTarget target) =>
        new[]
        {
            HostileValues.LabNames.Select(lab => ($"lab: {lab.Label}", new string?[] { lab.Value, "host", "br0", "" }, "lab")),
            HostileValues.Namespaces.Select(ns => ($"namespace: {ns.Label}", new string?[] { target.Lab, ns.Value, "br0", "" }, "namespace")),
            HostileValues.InterfaceNames.Select(name => ($"interface: {name.Label}", new string?[] { target.Lab, "host", name.Value, "" }, "interface")),
            HostileValues.CaptureFilters.Select(filter => ($"filter: {filter.Label}", new string?[] { target.Lab, "host", "br0", filter.Value }, "filter")),
        }.SelectMany(cases => cases).ToDictionary(c => c.Item1, c => (c.Item2, c.Item3));
}
