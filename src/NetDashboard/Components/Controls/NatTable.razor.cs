using NetDashboard.Lab.Model;
using NetDashboard.Lab.Services;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;

namespace NetDashboard.Components.Controls;

/// <summary>
/// The lab's NAT entries live, from conntrack's events in the host namespace (followed while a capture is open):
/// original and reply tuple, state and packets: the kernel's counters when it keeps them (net.netfilter.nf_conntrack_acct),
/// else the packets of the connection the open captures saw. Looked at twice a second, redrawn only when something changed.
/// </summary>
public sealed partial class NatTable
{
    private static readonly TimeSpan Look = TimeSpan.FromMilliseconds(500);
    private readonly CancellationTokenSource _stop = new();
    private IReadOnlyList<NatEntry> _entries = [];
    private IReadOnlyList<FlowPackets?> _captured = [];
    private INatView? _follower;
    private long _version = -1;

    [Inject] private LabService Labs { get; set; } = null!;

    [Parameter, EditorRequired] public string Lab { get; set; } = "";

    /// <summary>The entry whose packets the panes mark.</summary>
    [Parameter] public NatEntry? Selected { get; set; }

    [Parameter] public EventCallback<NatEntry?> SelectedChanged { get; set; }

    protected override void OnInitialized() => _ = FollowAsync(_stop.Token);

    private async Task FollowAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Look);
        try
        {
            do
            {
                // The follower comes and goes with the lab's captures: look it up each time.
                var follower = Labs.ConntrackOf(Lab);
                var version = follower?.Version ?? -1;
                var same = ReferenceEquals(follower, _follower) && version == _version;
                var entries = same ? _entries : follower?.Entries ?? [];
                // Packets keep coming while the entries stay the same: counted on every look.
                var captured = follower?.PacketsOf(entries) ?? [];
                if (same && captured.SequenceEqual(_captured)) continue;
                await InvokeAsync(() =>
                {
                    (_follower, _version, _entries, _captured) = (follower, version, entries, captured);
                    StateHasChanged();
                });
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
            // The circuit went away between two looks.
        }
    }

    private async Task KeyAsync(KeyboardEventArgs e, NatEntry entry)
    {
        if (e.Key is "Enter" or " ") await SelectedChanged.InvokeAsync(SameFlow(entry, Selected) ? null : entry);
    }

    /// <summary>The same connection (an update replaces the entry object).</summary>
    private static bool SameFlow(NatEntry entry, NatEntry? other) =>
        other is not null && entry.Protocol == other.Protocol && entry.Original.Source.Equals(other.Original.Source)
        && entry.Original.Destination.Equals(other.Original.Destination) && entry.Original.SourcePort == other.Original.SourcePort
        && entry.Original.Icmp?.Id == other.Original.Icmp?.Id;

    /// <summary>The kernel's counters, original / reply direction; else what the captures saw, said as such.</summary>
    private (string Text, string Meaning) Packets(int index)
    {
        var entry = _entries[index];
        if (entry.Original.Counters is { } o && entry.Reply.Counters is { } r)
            return ($"{o.Packets} / {r.Packets}", "the kernel's counters (nf_conntrack_acct): packets as sent / packets answered");
        if ((index < _captured.Count ? _captured[index] : null) is not { } seen)
            return ("–", "the kernel does not count (net.netfilter.nf_conntrack_acct is 0), and the captures link only TCP, UDP and ICMP echo");
        return ($"{seen.Original} / {seen.Reply} captured",
            "the kernel does not count (net.netfilter.nf_conntrack_acct is 0): packets of this connection in the open captures, "
            + "each once however many interfaces it crossed, as sent / answered (the newest ones the captures remember)");
    }

    private static string Tuple(ConntrackTuple t) =>
        t.Icmp is { } icmp ? $"{t.Source} → {t.Destination} (id {icmp.Id})"
        : t.SourcePort is { } sport ? $"{t.Source}:{sport} → {t.Destination}:{t.DestinationPort}"
        : $"{t.Source} → {t.Destination}";

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
