using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Model;

/// <summary>A capture opened for a viewer: <see cref="Lease"/> is set when it opened; dispose it when the viewer leaves.</summary>
public sealed record CaptureOpening(ActionResult Result, ICaptureLease? Lease);

/// <summary>A capture running now: what it watches, and its counters.</summary>
public sealed record RunningCapture(string Name, string Filter, CaptureStats Stats, long RowsSeen);

/// <summary>Packets captured for a download: one snapshot per capture, each named like host/tap0.</summary>
public sealed record CaptureDownload(ActionResult Result, IReadOnlyList<CaptureSnapshot> Captures);
