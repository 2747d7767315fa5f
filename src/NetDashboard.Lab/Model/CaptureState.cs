namespace NetDashboard.Lab.Model;

public enum CaptureState
{
    /// <summary>The handle is being opened inside the namespace.</summary>
    Opening,
    Running,
    /// <summary>The interface (or its namespace) is not there; the capture retries and resumes by itself.</summary>
    InterfaceGone,
    /// <summary>libpcap refused the interface for a reason retrying will not fix; the message says why.</summary>
    Failed,
    Closed,
}

/// <summary>One capture's counters at a moment, for a pane's header.</summary>
/// <param name="PacketsSeen">Packets the callback received since the capture started, across reopenings.</param>
/// <param name="KernelDrops">Packets the kernel dropped because the buffer was full (pcap_stats ps_drop).</param>
/// <param name="RingDrops">Packets dropped because the decoding worker fell behind and the slot ring was full.</param>
/// <param name="PacketsPerSecond">Over the last second.</param>
public sealed record CaptureStats(
    CaptureState State,
    string? Message,
    long PacketsSeen,
    long KernelDrops,
    long RingDrops,
    double PacketsPerSecond);
