using NetDashboard.Lab.Labs;
using NetDashboard.Lab.Services;
using NetDashboard.Lab.Runtime;
using System.Text.Json;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor.Services;
using NetDashboard.Components.Pages;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Events;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;
using static NetDashboard.Component.Tests.LabFixtures;

namespace NetDashboard.Component.Tests;

/// <summary>
/// The lab page over the real event stream, with the kernel replaced by recorded snapshots: a journal line written
/// to the lab's file by another process shows within a second, and a failed kernel read is shown, not swallowed.
/// </summary>
[Collection(TimedCollection.Name)]
public sealed class LabPageLiveTests : BunitContext, IAsyncLifetime
{
    private readonly string _runtime = Directory.CreateTempSubdirectory("netdash-bunit-live-").FullName;
    private readonly LabComposition _composition;
    private readonly LabRuntimeStore _store;
    private readonly SwitchableSource _kernel = new();

    /// <summary>Recorded snapshots, or a failure like unparsable `ip -j` output when <see cref="Broken"/> is set.</summary>
    private sealed class SwitchableSource : ITopologySource
    {
        public volatile bool Broken;

        public Task<Topology> ReadAsync(string lab, CancellationToken cancellationToken = default) =>
            Broken
                ? Task.FromException<Topology>(new JsonException("'{' is invalid after a value (ip -j link show)"))
                : Task.FromResult(NatPc());
    }

    public LabPageLiveTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        // The real services, with the kernel the live events read replaced by recorded snapshots.
        _composition = LabComposition.Build(LabFixtures.NoGuestSettings(_runtime), kernel: _kernel);
        _store = _composition.Store;
        _store.Write(new LabRecord { Name = LabName, CreatedAt = DateTimeOffset.UtcNow });
        Services.AddSingleton(_composition.Door);
        Services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        Services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _composition.DisposeAsync();
        if (Directory.Exists(_runtime)) Directory.Delete(_runtime, recursive: true);
    }

    [Fact]
    public void LabPage_JournalLineWrittenByAnotherProcess_ShowsWithinOneSecond()
    {
        var page = Render<LabPage>(p => p.Add(x => x.Lab, LabName));
        page.WaitForAssertion(() => Assert.Contains("0 commands", page.Find("[data-testid=journal]").ParentElement!.TextContent), TimeSpan.FromSeconds(5));

        var written = DateTime.UtcNow;
        File.AppendAllText(_store.JournalOf(LabName).Path, JsonSerializer.Serialize(new JournalEntry
        {
            Time = DateTimeOffset.UtcNow,
            Who = "vm1",
            Namespace = new LabNamespaces(LabName).Host,
            Argv = ["guest-agent", "vm1", "echo from-elsewhere"],
            Tutorial = "echo from-elsewhere",
            ExitCode = 0,
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web)) + "\n");

        page.WaitForAssertion(() => Assert.Contains("(vm1)$ echo from-elsewhere", page.Find("[data-testid=journal]").TextContent), TimeSpan.FromSeconds(1));
        Assert.True(DateTime.UtcNow - written < TimeSpan.FromSeconds(1.5));
    }

    [Fact]
    public void LabPage_KernelReadFails_SaysSoAndRecoversWhenItWorksAgain()
    {
        var page = Render<LabPage>(p => p.Add(x => x.Lab, LabName));
        page.WaitForAssertion(() => Assert.Contains("live · kernel last changed", page.Find("[data-testid=snapshot-time]").TextContent), TimeSpan.FromSeconds(5));

        _kernel.Broken = true;
        page.WaitForAssertion(() => Assert.Contains("kernel read failed", page.Find("[data-testid=kernel-problem]").TextContent), TimeSpan.FromSeconds(10));
        _kernel.Broken = false;

        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=kernel-problem]")), TimeSpan.FromSeconds(10));
    }
}

/// <summary>
/// Tests that promise a time run alone, after the others: beside the hostile-input form rows, two cores can leave a
/// page without a render for a whole second, and the figure would measure the neighbours, not the page.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimedCollection
{
    public const string Name = "timed";
}
