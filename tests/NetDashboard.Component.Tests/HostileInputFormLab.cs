using CliWrap;
using Microsoft.Extensions.Logging.Abstractions;
using NetDashboard.Configuration;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Engine;
using NetDashboard.Lab.Events;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;
using NetDashboard.Tests.Shared;

namespace NetDashboard.Component.Tests;

/// <summary>
/// The lab the forms send hostile values to (<see cref="HostileTargetLab"/>), brought up once and served by the real
/// lab service over a runtime folder of its own. Needs root.
/// </summary>
public sealed class HostileInputFormLab : IAsyncLifetime
{
    private readonly LabEngine _engine;
    private readonly VmSupervisor _vms;
    private readonly LabEvents _events;

    public HostileInputFormLab()
    {
        var runner = new HostRunner();
        Store = new LabRuntimeStore(RuntimeRoot);
        var operations = new OperationRunner(runner, Store);
        var reader = new TopologyReader(runner);
        var guest = new GuestImage(Environment.GetEnvironmentVariable("NETDASH_GUEST_DIR") is { Length: > 0 } dir ? dir : GuestImage.DefaultFolder);
        _vms = new VmSupervisor(operations, Store, guest, new DiskImages([ImageFolder]), QemuAccelerator.Tcg);
        var options = new LabServiceOptions { LabsFolder = Path.Combine(RepositoryLayout.FindRoot(), "labs") };
        _engine = new LabEngine(operations, reader, Store, _vms, options);
        _events = new LabEvents(reader, Store, _vms, operations, NullLoggerFactory.Instance);
        Captures = new CaptureService(Microsoft.Extensions.Options.Options.Create(new CaptureOptions()), NullLogger<CaptureService>.Instance);
        Service = new LabService(_engine, Store, _vms, reader, _events, Captures, options);
    }

    public string Lab { get; } = $"hf-{Guid.NewGuid().ToString("N")[..8]}";
    public string RuntimeRoot { get; } = Directory.CreateTempSubdirectory("netdash-hostile-forms-").FullName;
    public string ImageFolder => Path.Combine(RuntimeRoot, "images");
    public LabRuntimeStore Store { get; }
    public CaptureService Captures { get; }
    public LabService Service { get; }

    public Task<LabFootprint> FootprintAsync() => LabFootprint.TakeAsync(Lab, RuntimeRoot);

    public async Task InitializeAsync()
    {
        await HostileTargetLab.MakeImageFolderAsync(ImageFolder);
        await HostileTargetLab.BringUpAsync(_engine, Service, Lab, Path.Combine(RepositoryLayout.FindRoot(), "labs", "nat-pc.yaml"));
    }

    /// <summary>Removes a lab a form made by mistake, so one value that gets through does not change how the next is judged.</summary>
    public async Task RemoveStrayLabsAsync()
    {
        foreach (var stray in Store.ListLabs().Where(lab => lab != Lab))
            await _engine.DownAsync(stray);
    }

    public async Task DisposeAsync()
    {
        try
        {
            await RemoveStrayLabsAsync();
            await _engine.DownAsync(Lab, foreign: true);
        }
        finally
        {
            // The exact three names, never a pattern.
            var left = await new TopologyReader(new HostRunner()).ListNamespacesAsync();
            foreach (var ns in new LabNamespaces(Lab).All.Intersect(left))
                await Cli.Wrap("ip").WithArguments(["netns", "del", ns]).WithValidation(CommandResultValidation.None).ExecuteAsync();
            await Captures.DisposeAsync();
            await _events.DisposeAsync();
            await _vms.DisposeAsync();
            Directory.Delete(RuntimeRoot, recursive: true);
        }
    }
}
