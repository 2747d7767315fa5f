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
/// A real lab for the form tests, brought up once: nat-pc plus vm1 (started by the apply, then stopped), served by
/// the real lab service over a runtime folder of its own whose image folder holds the hostile images. Needs root.
/// </summary>
public sealed class HostileInputFormLab : IAsyncLifetime
{
    public const string Vm = "vm1";

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
        // The images a form may name and a VM must never boot: a FIFO, links to a secret and an endless device, a folder.
        Directory.CreateDirectory(ImageFolder);
        await Cli.Wrap("mkfifo").WithArguments([Path.Combine(ImageFolder, "pipe.img")]).ExecuteAsync();
        File.CreateSymbolicLink(Path.Combine(ImageFolder, "shadow.img"), "/etc/shadow");
        File.CreateSymbolicLink(Path.Combine(ImageFolder, "zero.img"), "/dev/zero");
        Directory.CreateDirectory(Path.Combine(ImageFolder, "folder.img"));
        var path = Path.Combine(RepositoryLayout.FindRoot(), "labs", "nat-pc.yaml");
        var yaml = await File.ReadAllTextAsync(path) + $"vms:\n  - name: {Vm}\n    mac: 52:54:98:76:54:30\n    tap: tap0\n";
        await _engine.ApplyAsync(LabFileLoader.Parse(yaml, "the hostile-input lab", Lab), yaml, null);
        var stop = await Service.VmAsync(Lab, Vm, VmVerb.Stop);
        if (!stop.Succeeded) throw new InvalidOperationException($"{Vm} did not stop: {stop.Message}");
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
