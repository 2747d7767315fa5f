using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Events;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Labs;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Runtime;
using NetDashboard.Lab.Trace;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Services;

/// <summary>
/// The one place that builds the lab services from <see cref="LabSettings"/>: the web host registers what it builds,
/// the CLI builds it per command, and every test fixture builds it too (replacing a part where it must, such as the
/// kernel source the live events read). Its parts are public for tests and for the door; the faces use
/// <see cref="Door"/> only.
/// </summary>
public sealed class LabComposition : IAsyncDisposable
{
    public LabSettings Settings { get; }
    public HostRunner Runner { get; }
    public TopologyReader Reader { get; }
    public LabRuntimeStore Store { get; }
    public OperationRunner Operations { get; }
    public VmSupervisor Vms { get; }
    public LabEngine Engine { get; }
    public LabEvents Events { get; }
    public CaptureService Captures { get; }
    public LabService Door { get; }
    public LabAdoption Adoption { get; }

    /// <summary>Observe mode: the host's own networks, read-only; built from a command runner and the observer alone.</summary>
    public HostObservation Observation { get; }

    private LabComposition(LabSettings settings, ILoggerFactory loggers, ITopologySource? kernel)
    {
        Settings = settings;
        Runner = new HostRunner();
        Reader = new TopologyReader(Runner);
        Store = new LabRuntimeStore(settings.RuntimeRoot);
        Operations = new OperationRunner(Runner, Store, new LabFolderQuota(settings.LabFolderMaxBytes));
        Vms = new VmSupervisor(Operations, Store, new GuestImage(settings.GuestImageFolder), new DiskImages(settings.ImageFolders), settings.Accelerator);
        Engine = new LabEngine(Operations, Reader, Store, Vms, settings.Lab);
        Events = new LabEvents(kernel ?? Reader, Store, Vms, Operations, loggers);
        Captures = new CaptureService(Microsoft.Extensions.Options.Options.Create(settings.Capture), loggers.CreateLogger<CaptureService>());
        var act = new ActionRunner(Events.Trigger);
        var reads = new LabReads(Engine, Store, Vms, Reader);
        var vmActions = new VmActions(Engine, Store, Vms, Reader, act, settings.Lab);
        var labActions = new LabActions(Engine, Store, Vms, Reader, reads, vmActions, act, settings.Lab);
        Door = new LabService(
            labActions,
            reads,
            vmActions,
            new CaptureActions(Captures, reads.ExistsAsync),
            new TraceService(Engine, Store, Vms, Reader, Captures, vmActions, act, Runner, labActions),
            Events,
            Store);
        Adoption = new LabAdoption(Door, Store, Vms, loggers.CreateLogger<LabAdoption>());
        Observation = new HostObservation(new Observe.HostObserver(new HostRunner()), Captures, settings.ObserveNamespace, settings.ObserveEnabled);
    }

    /// <param name="kernel">Where the live events read the kernel; the real one (ip, through <see cref="Reader"/>) unless a test gives its own.</param>
    public static LabComposition Build(LabSettings settings, ILoggerFactory? loggers = null, ITopologySource? kernel = null) =>
        new(settings, loggers ?? NullLoggerFactory.Instance, kernel);

    /// <summary>Why a runtime folder is unsafe to use (another user can write it or a parent, a link), or null.</summary>
    public static string? RuntimeFolderProblem(string path, bool create) => RuntimeFolder.Problem(path, create);

    public async ValueTask DisposeAsync()
    {
        await Events.DisposeAsync();
        await Captures.DisposeAsync();
        await Vms.DisposeAsync();
    }
}
