using NetDashboard.Lab.Labs;
using NetDashboard.Lab.Runtime;
using NetDashboard.Lab.Services;
using CliWrap;
using Microsoft.Extensions.Logging.Abstractions;
using NetDashboard.Configuration;
using NetDashboard.Lab.Capture;
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
    private readonly LabComposition _composition;
    private LabEngine _engine => _composition.Engine;

    public HostileInputFormLab()
    {
        var guest = Environment.GetEnvironmentVariable("NETDASH_GUEST_DIR") is { Length: > 0 } dir ? dir : GuestImage.DefaultFolder;
        _composition = LabComposition.Build(new LabSettings
        {
            RuntimeRoot = RuntimeRoot,
            Lab = new LabServiceOptions { LabsFolder = Path.Combine(RepositoryLayout.FindRoot(), "labs") },
            GuestImageFolder = guest,
            ImageFolders = [ImageFolder],
            Accelerator = QemuAccelerator.Tcg,
        });
    }

    public string Lab { get; } = $"hf-{Guid.NewGuid().ToString("N")[..8]}";
    public string RuntimeRoot { get; } = Directory.CreateTempSubdirectory("netdash-hostile-forms-").FullName;
    public string ImageFolder => Path.Combine(RuntimeRoot, "images");
    public LabRuntimeStore Store => _composition.Store;
    public CaptureService Captures => _composition.Captures;
    public LabService Service => _composition.Door;

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
            await _composition.DisposeAsync();
            Directory.Delete(RuntimeRoot, recursive: true);
        }
    }
}
