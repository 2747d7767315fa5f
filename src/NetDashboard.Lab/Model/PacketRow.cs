namespace NetDashboard.Lab.Model;

/// <summary>
/// One packet as a pane shows it. Plain properties only, so System.Text.Json and SignalR's MessagePack
/// protocol both carry it as it is.
/// </summary>
/// <param name="Sequence">The row's number in its capture's ring; the key for <see cref="LiveCapture.Detail"/>.</param>
/// <param name="TimestampMicros">Kernel timestamp, microseconds since the Unix epoch.</param>
/// <param name="Length">Length on the wire.</param>
/// <param name="CapturedLength">Bytes kept (at most the snap length).</param>
/// <param name="Info">The line tcpdump -n would print after the timestamp.</param>
/// <param name="Malformed">tcpdump finds the packet wrong (truncated, bad lengths); not when only the snap length cut it.</param>
/// <param name="Group">The same packet on the lab's other captured interfaces (the correlator's group); 0 when not linked.</param>
/// <param name="Flow">Its conversation, both directions and across NAT, as the correlator knew it then; 0 when none.</param>
public sealed record PacketRow(
    long Sequence,
    long TimestampMicros,
    int Length,
    int CapturedLength,
    string SourceMac,
    string DestinationMac,
    string Source,
    string Destination,
    string Protocol,
    string Info,
    bool Malformed,
    long Group = 0,
    long Flow = 0);

/// <summary>A packet's decoded layers and its bytes, made on demand when a person opens a row.</summary>
public sealed record PacketDetail(long Sequence, IReadOnlyList<PacketLayer> Layers, IReadOnlyList<HexLine> Hex);

/// <summary>One protocol layer (Ethernet, IPv4, …) with its fields in wire order.</summary>
public sealed record PacketLayer(string Name, IReadOnlyList<PacketField> Fields);

public sealed record PacketField(string Name, string Value);

/// <summary>One line of a hex dump: 16 bytes as hex and as printable ASCII ('.' for the rest).</summary>
public sealed record HexLine(int Offset, string Hex, string Ascii);

/// <summary>A stored packet's bytes, for pcapng, with its row's <see cref="PacketRow.Group"/> and <see cref="PacketRow.Flow"/>.</summary>
public sealed record StoredPacket(long Sequence, long TimestampMicros, int Length, byte[] Data, long Group = 0, long Flow = 0);

/// <summary>The stored packets of one capture, ordered by kernel timestamp, with what a pcapng interface block needs.</summary>
/// <param name="InterfaceName">"host/tap0".</param>
/// <param name="LinkType">A LINKTYPE_ value (1 for Ethernet).</param>
public sealed record CaptureSnapshot(string InterfaceName, int LinkType, int Snaplen, IReadOnlyList<StoredPacket> Packets);

/// <summary>
/// What a viewer of a capture receives, at most ten times a second: the rows since its last batch (at most
/// <see cref="CaptureFeed.MaxRows"/>), how many it missed because it fell behind, and the capture's counters.
/// </summary>
public sealed record CaptureBatch(string Capture, IReadOnlyList<PacketRow> Rows, long Missed, CaptureStats Stats);
