using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Capture.Correlation;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Capture;

/// <summary>
/// A lab's captures as a person asks for them: opened (or joined) for a pane or a hub stream, taken for a download,
/// listed, read; every field checked, and a filter compiled by libpcap, before anything opens.
/// </summary>
/// <param name="exists">Whether anything of a lab exists (its record or a namespace): only such a lab is captured.</param>
public sealed class CaptureActions(CaptureService captures, Func<string, CancellationToken, Task<bool>> exists)
{
    /// <summary>Whether a lab's captures are linked and its conntrack followed (NetDashboard:Capture:Correlate).</summary>
    public bool Correlates => captures.Options.Correlate;

    /// <summary>The longest live capture a download may ask for.</summary>
    public int MaxCaptureSeconds => captures.Options.MaxCaptureSeconds;

    /// <summary>A packet's path across the lab's open captures (by a row's group), with what changed at each hop.</summary>
    public PacketJourney? JourneyOf(string lab, long group) => captures.Journey(lab, group);

    /// <summary>On how many of the lab's open captures a row's packet was seen.</summary>
    public int SeenOn(string lab, long group) => captures.SeenOn(lab, group);

    /// <summary>The lab's NAT entries (conntrack in its host namespace), followed while a capture of the lab is open.</summary>
    public INatView? ConntrackOf(string lab) => InputRules.CheckLabName(lab) is null ? captures.ConntrackOf(lab) : null;

    /// <summary>
    /// Opens (or joins) the capture of one interface of a lab: <paramref name="ns"/> is host, wan or pc. Every field is
    /// checked, and the filter compiled by libpcap, before anything opens; each refusal names its field.
    /// </summary>
    public async Task<CaptureOpening> OpenCaptureAsync(string lab, string? ns, string? iface, string? filter,
        CancellationToken cancellationToken)
    {
        if (await CheckCaptureAsync(lab, ns, iface, filter, cancellationToken) is { } refused) return new(refused, null);
        return await AcquireAsync(captures, CaptureKey.For(lab, RoleOf(ns!), iface!, filter ?? ""), cancellationToken);
    }

    /// <summary>Opens (or joins) the capture of <paramref name="key"/>, its names checked; a failure or a cap said in a sentence.</summary>
    internal static async Task<CaptureOpening> AcquireAsync(CaptureService captures, CaptureKey key, CancellationToken cancellationToken)
    {
        try
        {
            var lease = await captures.AcquireAsync(key, cancellationToken);
            return new(ActionResult.Ok($"capturing on {lease.Capture.Key.DisplayName}"), lease);
        }
        catch (CaptureException e)
        {
            return new(ActionResult.Failed(e.Message), null);
        }
        catch (LabLimitException e)
        {
            return new(ActionResult.TooMany(e.Message), null);
        }
    }

    /// <summary>Captures one interface live for <paramref name="seconds"/> (1 to the configured maximum), for a pcapng download.</summary>
    public async Task<CaptureDownload> CaptureForAsync(string lab, string? ns, string? iface, int seconds, string? filter,
        CancellationToken cancellationToken)
    {
        if (SecondsProblem(seconds, captures.Options) is { } tooLong) return new(tooLong, []);
        if (await CheckCaptureAsync(lab, ns, iface, filter, cancellationToken) is { } refused) return new(refused, []);
        return await DownloadAsync(captures, CaptureKey.For(lab, RoleOf(ns!), iface!, filter ?? ""), seconds, cancellationToken);
    }

    /// <summary>A download's length refused, naming the field, when it is not 1 to the configured maximum.</summary>
    internal static ActionResult? SecondsProblem(int seconds, CaptureOptions options) =>
        seconds < 1 || seconds > options.MaxCaptureSeconds ? ActionResult.Refused("seconds", $"{seconds} is not between 1 and {options.MaxCaptureSeconds}") : null;

    /// <summary>The interface's name and the filter (its length, one line, compiled by libpcap), each refusal naming its field.</summary>
    internal static List<LabFileProblem> InterfaceAndFilterProblems(string? iface, string? filter, CaptureOptions options)
    {
        var problems = new List<LabFileProblem>();
        if (LabFileProblem.Check("interface", iface, InputRules.CheckInterfaceName) is { } ifaceProblem)
            problems.Add(ifaceProblem);
        if (filter is { Length: > 0 })
        {
            if (filter.Length > options.MaxFilterLength)
                problems.Add(new("filter", $"the filter is {filter.Length} characters long; at most {options.MaxFilterLength} are allowed"));
            else if (filter.Any(char.IsControl))
                problems.Add(new("filter", "the filter must be one line of printable text"));
            else if (CaptureService.CheckFilter(filter) is { } compile)
                problems.Add(new("filter", $"'{filter}' is not a filter libpcap accepts: {compile}"));
        }
        return problems;
    }

    /// <summary>A live capture of <paramref name="key"/> (its names checked) for <paramref name="seconds"/>, as a download.</summary>
    internal static async Task<CaptureDownload> DownloadAsync(CaptureService captures, CaptureKey key, int seconds, CancellationToken cancellationToken)
    {
        try
        {
            var snapshot = await captures.CaptureForAsync(key, TimeSpan.FromSeconds(seconds), cancellationToken);
            return new(ActionResult.Ok($"{snapshot.Packets.Count} packets"), [snapshot]);
        }
        catch (CaptureException e)
        {
            return new(ActionResult.Failed(e.Message), []);
        }
        catch (LabLimitException e)
        {
            return new(ActionResult.TooMany(e.Message), []);
        }
    }

    /// <summary>
    /// The captures running now on the named interfaces ("host/tap0"), with what they hold, for a download of the
    /// panes a person has open. A name that has no running capture is refused.
    /// </summary>
    public CaptureDownload RunningCaptures(string lab, IReadOnlyList<string> names)
    {
        if (ActionResult.ForBadLabName(lab) is { } bad) return new(bad, []);
        if (names.Count is 0 or > 16) return new(ActionResult.Refused("panes", "name 1 to 16 captures, e.g. host/tap0,host/br0"), []);
        // A name that can never be a capture is refused as such, not looked up as one that does not run.
        if (names.FirstOrDefault(name => !InterfaceRef.TryParse(name, out _)) is { } notACapture)
            return new(ActionResult.Refused("panes", $"'{Printable.Quote(notACapture)}' is not a capture: a namespace (host, wan or pc), '/' and an interface name, e.g. host/tap0"), []);
        var snapshots = new List<CaptureSnapshot>();
        foreach (var name in names.Select(InterfaceRef.Parse))
        {
            if (RunningCapture(lab, name) is not { } capture)
                return new(ActionResult.NotFound($"no capture runs on {name} in lab {lab}; open it in the dashboard first"), []);
            snapshots.Add(capture.Snapshot());
        }
        return new(ActionResult.Ok($"{snapshots.Count} captures"), snapshots);
    }

    /// <summary>The captures running now in a lab (one per interface and filter, however many viewers share it).</summary>
    public IReadOnlyList<RunningCapture>? RunningCapturesOf(string lab) =>
        InputRules.CheckLabName(lab) is not null ? null
        : captures.Captures.Where(c => c.Key.Lab == lab)
            .Select(c => new RunningCapture(c.Key.DisplayName, c.Key.Filter, c.Stats, c.Rows.Next))
            .ToList();

    /// <summary>The newest rows (at most <paramref name="limit"/>) of the capture running on "host/tap0", or why there are none.</summary>
    public (ActionResult Result, IReadOnlyList<PacketRow> Rows) NewestRows(string lab, string ns, string iface, int limit)
    {
        if (ActionResult.ForBadLabName(lab) is { } bad) return (bad, []);
        if (limit is < 1 or > 10_000) return (ActionResult.Refused("limit", $"{limit} is not between 1 and 10000"), []);
        if (!InterfaceRef.TryParse($"{ns}/{iface}", out var name) || RunningCapture(lab, name) is not { } capture)
            return (ActionResult.NotFound($"no capture runs on {ns}/{iface} in lab {lab}; open it in the dashboard or the hub first"), []);
        var from = Math.Max(capture.Rows.Oldest, capture.Rows.Next - limit);
        return (ActionResult.Ok($"{name}"), capture.Rows.Read(from, limit).Items);
    }

    private LiveCapture? RunningCapture(string lab, InterfaceRef name) =>
        captures.Captures.Where(c => c.Key.Lab == lab && c.Key.Ref == name)
            .OrderBy(c => c.Key.Filter.Length)
            .FirstOrDefault();

    private async Task<ActionResult?> CheckCaptureAsync(string lab, string? ns, string? iface, string? filter, CancellationToken cancellationToken)
    {
        if (ActionResult.ForBadLabName(lab) is { } bad) return bad;
        var problems = new List<LabFileProblem>();
        if (ns is not ("host" or "wan" or "pc"))
            problems.Add(new("namespace", $"'{ns}' is not host, wan or pc"));
        problems.AddRange(InterfaceAndFilterProblems(iface, filter, captures.Options));
        if (problems.Count > 0) return ActionResult.Refused(problems);
        return await exists(lab, cancellationToken) ? null : ActionResult.NoSuchLab(lab);
    }

    private static NamespaceRole RoleOf(string ns) => Enum.Parse<NamespaceRole>(ns, ignoreCase: true);
}
