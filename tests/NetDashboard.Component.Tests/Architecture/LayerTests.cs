using ArchUnitNET.Domain;
using ArchUnitNET.Loader;
using NetDashboard.Lab.Services;

namespace NetDashboard.Component.Tests.Architecture;

/// <summary>
/// The layers of NetDashboard.Lab, bottom to top, each a folder and namespace: Model → Host → Runtime → features →
/// Services. A type may use its own folder and the layers below it; a feature may use another feature only where
/// <see cref="FeatureMayUse"/> names it; the web app and the CLI use only Services and Model.
/// </summary>
public sealed class LayerTests
{
    private const string Lab = "NetDashboard.Lab";

    private static readonly string[] Layers = ["Model", "Host", "Runtime", "Feature", "Services"];
    private static readonly string[] Features = ["Vms", "Capture", "Trace", "Lessons", "Events", "Labs", "Observe"];

    /// <summary>
    /// The only sideways uses: a lab starts and stops its VMs and begins a lesson's lab; a trace opens captures, reads
    /// VMs and sends its probe through the lab; the live events watch VMs. Nothing uses Trace, Events or Services.
    /// </summary>
    private static readonly Dictionary<string, string[]> FeatureMayUse = new()
    {
        ["Labs"] = ["Vms", "Lessons"],
        ["Trace"] = ["Capture", "Vms", "Labs"],
        ["Events"] = ["Vms"],
    };

    private static readonly Lazy<ArchUnitNET.Domain.Architecture> Loaded = new(() => new ArchLoader()
        .LoadAssemblies(typeof(LabService).Assembly, typeof(NetDashboard.DashboardApp).Assembly).Build());

    /// <summary>"NetDashboard.Lab.Capture.Correlation" → "Capture"; null for a type outside the library.</summary>
    private static string? FolderOf(IType type)
    {
        var name = type.Namespace?.FullName ?? "";
        if (name != Lab && !name.StartsWith(Lab + ".", StringComparison.Ordinal)) return null;
        return name == Lab ? "" : name[(Lab.Length + 1)..].Split('.')[0];
    }

    private static int LayerOf(string folder) => Features.Contains(folder) ? Array.IndexOf(Layers, "Feature") : Array.IndexOf(Layers, folder);

    private static bool IsOurs(IType? type) => type?.Namespace?.FullName?.StartsWith("NetDashboard", StringComparison.Ordinal) == true;

    private static IEnumerable<(IType From, IType To)> Uses() =>
        Loaded.Value.Types.Where(IsOurs).SelectMany(t => t.Dependencies.Select(d => (t, d.Target)))
            // A generic method's type parameter shows as a "type" named after the method (Type::Method<T>); it is no use.
            .Where(u => IsOurs(u.Target) && u.Target != u.t && !u.Target.FullName.Contains("::", StringComparison.Ordinal)).Distinct();

    /// <summary>
    /// Observe mode is read-only by construction: from its door (<see cref="HostObservation"/>), its folder and its faces
    /// (the page, its inspector, graph and capture panes, the API), no path
    /// of uses reaches a type that changes anything — the operations and their runner, the command builder, the lab
    /// engine and actions, the VM supervisor, the runtime store, the labs' door.
    /// </summary>
    [Fact]
    public void ObserveMode_ReachesNoWriteSideType()
    {
        string[] faces =
        [
            typeof(HostObservation).FullName!, typeof(NetDashboard.Components.Pages.HostPage).FullName!, typeof(NetDashboard.Components.Controls.HostInspector).FullName!,
            typeof(NetDashboard.Model.HostGraph).FullName!, typeof(NetDashboard.Api.HostApi).FullName!,
            typeof(NetDashboard.Model.HostCaptureScope).FullName!, typeof(NetDashboard.Components.Controls.CapturePane).FullName!,
            typeof(NetDashboard.Components.Controls.PacketDetailView).FullName!,
        ];
        var start = Loaded.Value.Types.Where(t => FolderOf(t) == "Observe" || faces.Contains(t.FullName)).ToList();

        var (reachedTypes, writers) = WritersReachedFrom(start);

        Assert.Contains(reachedTypes, t => t == "NetDashboard.Lab.Observe.HostObserver");
        Assert.Equal(faces.Length, start.Count(t => faces.Contains(t.FullName)));
        Assert.True(writers.Count == 0, $"observe mode reaches write-side types:\n{string.Join("\n", writers)}");
    }

    /// <summary>
    /// The captures only read (libpcap handles, conntrack's events, the kernel's tables), so a read-only face such as
    /// observe mode may use them: no path of uses from the Capture folder reaches a type that changes anything.
    /// </summary>
    [Fact]
    public void Captures_ReachNoWriteSideType()
    {
        var start = Loaded.Value.Types.Where(t => FolderOf(t) == "Capture").ToList();

        var (reachedTypes, writers) = WritersReachedFrom(start);

        Assert.Contains(reachedTypes, t => t == "NetDashboard.Lab.Capture.Correlation.ConntrackFollower");
        Assert.True(writers.Count == 0, $"the captures reach write-side types:\n{string.Join("\n", writers)}");
    }

    /// <summary>Every type reachable by uses from <paramref name="start"/>, and the paths that reach a write-side type.</summary>
    private static (IReadOnlyList<string> Reached, IReadOnlyList<string> Writers) WritersReachedFrom(IReadOnlyList<IType> start)
    {
        string[] writers =
        [
            "NetDashboard.Lab.Model.LabOperation", "NetDashboard.Lab.Runtime.OperationRunner", "NetDashboard.Lab.Host.CommandBuilder",
            "NetDashboard.Lab.Labs.LabEngine", "NetDashboard.Lab.Labs.LabActions", "NetDashboard.Lab.Labs.VmActions", "NetDashboard.Lab.Vms.VmSupervisor",
            "NetDashboard.Lab.Runtime.LabRuntimeStore", "NetDashboard.Lab.Services.LabService", "NetDashboard.Lab.Trace.TraceService",
        ];
        var uses = Uses().ToLookup(u => u.From, u => u.To);
        var from = start.ToDictionary(t => t, t => t.FullName);
        var queue = new Queue<IType>(start);
        while (queue.TryDequeue(out var type))
        {
            foreach (var used in uses[type].Where(u => !from.ContainsKey(u)))
            {
                from[used] = $"{from[type]} → {used.FullName}";
                queue.Enqueue(used);
            }
        }
        var reached = from.Where(t => writers.Any(w => t.Key.FullName == w || t.Key.FullName.StartsWith(w + "+", StringComparison.Ordinal)
            || t.Key is Class c && c.InheritedClasses.Any(i => i.FullName == w))).Select(t => t.Value).ToList();
        return ([.. from.Keys.Select(t => t.FullName)], reached);
    }

    [Fact]
    public void EveryFolderOfTheLibrary_IsALayerOrAFeature()
    {
        var unknown = Loaded.Value.Types.Select(FolderOf).OfType<string>().Distinct().Where(f => LayerOf(f) < 0).ToList();

        Assert.True(unknown.Count == 0, $"folders that are no layer: {string.Join(", ", unknown)}");
    }

    [Fact]
    public void NoTypeOfTheLibrary_ReachesUpOrSideways()
    {
        var breaches = Uses().Select(u => (u.From, u.To, From_: FolderOf(u.From), To_: FolderOf(u.To)))
            .Where(u => u.From_ is not null && u.To_ is not null && u.From_ != u.To_)
            .Where(u => LayerOf(u.To_!) > LayerOf(u.From_!)
                || (LayerOf(u.To_!) == LayerOf(u.From_!) && !(FeatureMayUse.TryGetValue(u.From_!, out var may) && may.Contains(u.To_!))))
            .Select(u => $"{u.From.FullName} ({u.From_}) → {u.To.FullName} ({u.To_})").Distinct().Order().ToList();

        Assert.True(breaches.Count == 0, $"{breaches.Count} uses reach up or sideways:\n{string.Join("\n", breaches.Take(60))}");
    }

    private static bool MayUse(string from, string to) =>
        from == to || LayerOf(to) < LayerOf(from) || (FeatureMayUse.TryGetValue(from, out var may) && may.Contains(to));

    /// <summary>
    /// The same rule on the source's usings: a constant is copied into the code that reads it, so the assemblies do not
    /// show a use of another folder's constant, but the using (or the name) the source needs for it does.
    /// </summary>
    [Fact]
    public void NoSourceFileOfTheLibrary_ImportsAFolderItMayNotUse()
    {
        var library = Path.Combine(NetDashboard.Configuration.RepositoryLayout.FindRoot(), "src", Lab);
        var breaches = Directory.EnumerateFiles(library, "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains("/obj/", StringComparison.Ordinal) && !path.Contains("/bin/", StringComparison.Ordinal))
            .SelectMany(path => File.ReadLines(path)
                .Select(line => System.Text.RegularExpressions.Regex.Match(line, @"^using (NetDashboard\.Lab\.(\w+))[\w.]*;"))
                .Where(m => m.Success)
                .Select(m => (File: Path.GetRelativePath(library, path), From: Path.GetRelativePath(library, path).Split('/')[0], To: m.Groups[2].Value)))
            .Where(u => LayerOf(u.From) >= 0 && !MayUse(u.From, u.To))
            .Select(u => $"{u.File} imports {u.To}").ToList();

        Assert.True(breaches.Count == 0, $"{breaches.Count} imports reach up or sideways:\n{string.Join("\n", breaches)}");
    }

    [Fact]
    public void TheWebAppAndTheCli_UseOnlyServicesAndModel()
    {
        var breaches = Uses().Where(u => FolderOf(u.From) is null && FolderOf(u.To) is { } to && to is not ("Services" or "Model"))
            .Select(u => $"{u.From.FullName} → {u.To.FullName}").Distinct().Order().ToList();

        Assert.True(breaches.Count == 0, $"{breaches.Count} uses of the library below its door:\n{string.Join("\n", breaches.Take(80))}");
    }

    [Fact]
    public void TheLibrarysFolders_HaveNoCycle()
    {
        var edges = Uses().Select(u => (From: FolderOf(u.From), To: FolderOf(u.To)))
            .Where(e => e.From is not null && e.To is not null && e.From != e.To).Distinct()
            .GroupBy(e => e.From!).ToDictionary(g => g.Key, g => g.Select(e => e.To!).ToList());
        var cycles = new List<string>();
        foreach (var start in edges.Keys)
            Walk(start, [start]);

        Assert.True(cycles.Count == 0, $"folder cycles: {string.Join("; ", cycles.Distinct())}");

        void Walk(string at, List<string> path)
        {
            foreach (var next in edges.GetValueOrDefault(at, []))
            {
                if (next == path[0]) cycles.Add(string.Join(" → ", path.Append(next)));
                else if (!path.Contains(next) && path.Count < 8) Walk(next, [.. path, next]);
            }
        }
    }
}
