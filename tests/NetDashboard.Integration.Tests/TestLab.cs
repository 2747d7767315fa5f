using NetDashboard.Lab.Labs;
using NetDashboard.Lab.Runtime;
using NetDashboard.Lab.Services;
using System.Diagnostics;
using CliWrap;
using CliWrap.Buffered;
using Microsoft.Extensions.Logging.Abstractions;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Events;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// A lab with a unique name and its own runtime folder, torn down on dispose whatever the test did:
/// the namespaces, every process in them and the runtime folder. Needs root; runs in CI.
/// </summary>
public sealed class TestLab : IAsyncDisposable
{
    private readonly bool _ownsRuntimeRoot;

    /// <param name="prefix">Starts the lab's unique name.</param>
    /// <param name="runtimeRoot">A runtime folder shared with a running dashboard; by default one of the lab's own.</param>
    /// <param name="guest">The built-in guest; by default the one setup.sh built.</param>
    public TestLab(string prefix = "it", string? runtimeRoot = null, GuestImage? guest = null)
    {
        Name = $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
        _ownsRuntimeRoot = runtimeRoot is null;
        RuntimeRoot = runtimeRoot ?? Directory.CreateTempSubdirectory("netdash-test-").FullName;
        Options = new LabServiceOptions { LabsFolder = Path.Combine(RepositoryRoot, "labs") };
        Composition = LabComposition.Build(new LabSettings
        {
            RuntimeRoot = RuntimeRoot,
            Lab = Options,
            GuestImageFolder = (guest ?? GuestImageUnderTest).Folder,
            ImageFolders = [ImagesFolder],
            Accelerator = QemuAccelerator.Tcg,
        });
    }

    public string Name { get; }
    public string RuntimeRoot { get; }
    /// <summary>The lab's own image folder (inside its runtime folder), the only place its VMs may boot a disk image from.</summary>
    public string ImagesFolder => Path.Combine(RuntimeRoot, "images");
    /// <summary>The lab services as the app builds them (its one composition root); the properties below are its parts.</summary>
    public LabComposition Composition { get; }
    public HostRunner Runner => Composition.Runner;
    public TopologyReader Reader => Composition.Reader;
    public LabRuntimeStore Store => Composition.Store;
    public LabEngine Engine => Composition.Engine;
    public LabServiceOptions Options { get; }
    public LabEvents Events => Composition.Events;
    public CaptureService Captures => Composition.Captures;
    /// <summary>The one lab service, as the UI, the API and the CLI use it.</summary>
    public LabService Service => Composition.Door;
    public VmSupervisor Vms => Composition.Vms;
    public LabNamespaces Namespaces => new(Name);

    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The built-in guest, where setup.sh built it (NETDASH_GUEST_DIR overrides, as for the build script).</summary>
    public static GuestImage GuestImageUnderTest { get; } =
        new(Environment.GetEnvironmentVariable("NETDASH_GUEST_DIR") is { Length: > 0 } dir ? dir : GuestImage.DefaultFolder);

    public static string LabFile(string file) => Path.Combine(RepositoryRoot, "labs", file);

    /// <summary>A lab file of the world and one VM, vm1 on tap0, booting <paramref name="image"/> (by default the built-in guest).</summary>
    public static string OneVmYaml(string name, string? image = null) => $"""
        name: {name}
        vms:
          - name: vm1
            mac: 52:54:98:76:54:30
            tap: tap0
        {(image is null ? "" : $"    image: {image}")}
        """;

    public LabDefinition Definition { get; private set; } = null!;

    public async Task<ApplyResult> UpAsync(string file = "nat-pc.yaml", bool wait = false)
    {
        var path = LabFile(file);
        Definition = LabFileReader.LoadFile(path, Name);
        return await Engine.ApplyAsync(Definition, await File.ReadAllTextAsync(path), path, waitForVms: wait);
    }

    public VmDefinition Vm(string name) => Definition.Vms.Single(v => v.Name == name);

    /// <summary>Runs a command in one of the lab's namespaces (a plain tool, as a person would).</summary>
    public Task<BufferedCommandResult> ExecAsync(NamespaceRole role, params string[] argv) =>
        Cli.Wrap("ip").WithArguments(["netns", "exec", Namespaces.NameOf(role), .. argv])
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync();

    public static async Task<IReadOnlyList<string>> RootNamespacesAsync() =>
        await new TopologyReader(new HostRunner()).ListNamespacesAsync();

    public async ValueTask DisposeAsync()
    {
        try
        {
            // The test's own lab, also when the test built it by hand (no record): foreign is fine here.
            await Engine.DownAsync(Name, foreign: true);
        }
        finally
        {
            // Belt and braces: the exact three names, never a pattern.
            foreach (var ns in Namespaces.All.Intersect(await RootNamespacesAsync()))
                await Cli.Wrap("ip").WithArguments(["netns", "del", ns]).WithValidation(CommandResultValidation.None).ExecuteAsync();
            await Composition.DisposeAsync();
            if (_ownsRuntimeRoot)
                Directory.Delete(RuntimeRoot, recursive: true);
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NetDashboard.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("the repository root (NetDashboard.sln) was not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>tcpdump in a lab namespace, started and ready before the traffic it should see.</summary>
public sealed class Tcpdump : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<BufferedCommandResult> _run;
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Text.StringBuilder _output = new();

    private Tcpdump(string ns, string iface, int count, string filter)
    {
        _run = Cli.Wrap("ip")
            .WithArguments(["netns", "exec", ns, "tcpdump", "-n", "-l", "-i", iface, "-c", count.ToString(System.Globalization.CultureInfo.InvariantCulture), filter])
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line => { lock (_output) _output.AppendLine(line); }))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(line =>
            {
                if (line.Contains("listening on", StringComparison.Ordinal)) _listening.TrySetResult();
            }))
            .ExecuteBufferedAsync(_stop.Token);
    }

    public static async Task<Tcpdump> StartAsync(string ns, string iface, int count, string filter)
    {
        var capture = new Tcpdump(ns, iface, count, filter);
        await capture._listening.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return capture;
    }

    /// <summary>The lines tcpdump printed once it saw its packet count, or what it had after the timeout.</summary>
    public async Task<string> LinesAsync(TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!_run.IsCompleted && stopwatch.Elapsed < timeout)
            await Task.Delay(20);
        lock (_output) return _output.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _run; } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
