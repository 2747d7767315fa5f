using NetDashboard.Lab.Model;
using CliWrap;
using Microsoft.Extensions.Logging;
using NetDashboard.Lab.Host;

namespace NetDashboard.Lab.Capture.Correlation;

/// <summary>
/// A lab's connection tracking, followed from conntrack's events in its host namespace (events, not polling: one
/// `conntrack -E` process for as long as the lab has a capture open, seeded by one `conntrack -L`). Each entry feeds
/// the correlator, which maps NAT's rewritten addresses, ports and ICMP ids with it, and a bounded table the page reads.
/// </summary>
public sealed partial class ConntrackFollower : INatView, IAsyncDisposable
{
    /// <summary>Entries the table keeps; the oldest goes first (a lab holds a handful, a flood must not grow it).</summary>
    public const int MaxEntries = 2048;

    private readonly string _namespace;
    private readonly PacketCorrelator _correlator;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, NatEntry> _entries = [];
    private readonly Lock _gate = new();
    private readonly Task _following;
    private long _version;

    public ConntrackFollower(string hostNamespace, PacketCorrelator correlator, ILogger logger)
    {
        _namespace = hostNamespace;
        _correlator = correlator;
        _logger = logger;
        _following = FollowAsync(_stop.Token);
    }

    /// <summary>Bumped on every change, so a page redraws only when something changed.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>Why the table is not followed (conntrack missing, no permission), or null.</summary>
    public string? Problem { get; private set; }

    /// <summary>The entries now, newest first.</summary>
    public IReadOnlyList<NatEntry> Entries
    {
        get { lock (_gate) return [.. _entries.Values.OrderByDescending(e => e.Seen)]; }
    }

    /// <summary>Whether a captured row (by its <see cref="PacketRow.Flow"/>) belongs to the entry's connection.</summary>
    public bool Holds(NatEntry entry, long rowFlow) => _correlator.Holds(entry, rowFlow);

    /// <summary>
    /// Each entry's packets among those captured and still remembered (for when the kernel does not count); null for
    /// a connection the correlator does not follow.
    /// </summary>
    public IReadOnlyList<FlowPackets?> PacketsOf(IReadOnlyList<NatEntry> entries) => _correlator.PacketsOf(entries);

    /// <summary>Takes one line of conntrack's output; a line that is not an entry is skipped.</summary>
    internal void Take(string line)
    {
        if (!ConntrackLine.TryParse(line, out var entry)) return;
        _correlator.ObserveConntrack(entry);
        var key = KeyOf(entry);
        lock (_gate)
        {
            if (entry.Event == ConntrackEvent.Destroy)
                _entries.Remove(key);
            else
            {
                if (!_entries.ContainsKey(key) && _entries.Count >= MaxEntries)
                    _entries.Remove(_entries.MinBy(e => e.Value.Seen).Key);
                _entries[key] = new NatEntry(entry.Protocol, entry.ProtocolNumber, entry.State, entry.Original, entry.Reply, entry.Unreplied, entry.Assured,
                    entry.TimestampMicros is { } micros ? DateTimeOffset.FromUnixTimeMilliseconds(micros / 1000) : DateTimeOffset.UtcNow);
            }
        }
        Interlocked.Increment(ref _version);
    }

    private static string KeyOf(ConntrackEntry entry)
    {
        var o = entry.Original;
        return $"{entry.ProtocolNumber} {o.Source} {o.Destination} {o.SourcePort} {o.DestinationPort} {o.Icmp?.Id}";
    }

    private async Task FollowAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Events first, then the list: an entry that changes in between is seen by both, never by neither.
            var follow = KernelReads.FollowConntrack(_namespace);
            var events = Cli.Wrap(follow.Program)
                .WithArguments(follow.Arguments)
                .WithStandardOutputPipe(PipeTarget.ToDelegate(Take))
                .WithValidation(CommandResultValidation.None)
                .ExecuteAsync(cancellationToken);
            var listed = await new HostRunner().RunAsync(KernelReads.ReadConntrack(_namespace), cancellationToken);
            foreach (var line in listed.StandardOutput.Split('\n'))
                Take(line);
            if (!listed.Succeeded) Problem = listed.StandardError.Trim();
            var result = await events;
            if (!cancellationToken.IsCancellationRequested && result.ExitCode != 0)
                Problem ??= $"conntrack -E exited with {result.ExitCode}";
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            Problem = HostTools.NotInstalled("conntrack");
            LogNotFollowed(_namespace, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "conntrack is not followed in {Namespace}: {Reason}")]
    private partial void LogNotFollowed(string @namespace, string reason);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _following;
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
