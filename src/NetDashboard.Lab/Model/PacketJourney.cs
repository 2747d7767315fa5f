namespace NetDashboard.Lab.Model;

/// <summary>
/// What <see cref="PacketCorrelator.Observe"/> says of a packet: its group (the same packet on every interface it
/// crossed) and its flow (the conversation, both directions, across NAT). Zero when it was not correlated.
/// The flow id is the one known then: when a later hop shows two ids are one conversation, the older id stays,
/// and <see cref="PacketCorrelator.Journey"/> reports it.
/// </summary>
public readonly record struct PacketCorrelation(long GroupId, long FlowId)
{
    public static PacketCorrelation None => default;
}

/// <summary>A header field that may change from hop to hop.</summary>
public enum HeaderField
{
    SourceMac,
    DestinationMac,
    Source,
    Destination,
    Ttl,
    IcmpId,
    SourcePort,
    DestinationPort,
    /// <summary>In the packet an ICMP error quotes.</summary>
    QuotedSource,
    QuotedDestination,
    QuotedSourcePort,
    QuotedDestinationPort,
    QuotedIcmpId,
}

/// <summary>A field that differs from the previous hop, as the panes show it: "192.168.1.10 → 10.180.13.232".</summary>
public sealed record FieldChange(HeaderField Field, string Before, string After)
{
    /// <summary>How a person names the field: "source", "TTL", "ICMP id".</summary>
    public string FieldName => NameOf(Field);

    public static string NameOf(HeaderField field) => field switch
    {
        HeaderField.Source => "source",
        HeaderField.Destination => "destination",
        HeaderField.SourceMac => "source MAC",
        HeaderField.DestinationMac => "destination MAC",
        HeaderField.Ttl => "TTL",
        HeaderField.IcmpId => "ICMP id",
        HeaderField.SourcePort => "source port",
        HeaderField.DestinationPort => "destination port",
        HeaderField.QuotedSource => "quoted source",
        HeaderField.QuotedDestination => "quoted destination",
        HeaderField.QuotedSourcePort => "quoted source port",
        HeaderField.QuotedDestinationPort => "quoted destination port",
        HeaderField.QuotedIcmpId => "quoted ICMP id",
        _ => field.ToString(),
    };

    /// <summary>
    /// A rewrite NAT makes (addresses, ports, ICMP id, and the same in the packet an ICMP error quotes), as opposed
    /// to what every router or bridge changes.
    /// </summary>
    public bool IsRewrite => IsNatField(Field);

    /// <summary>Whether NAT, not any router or bridge, changes <paramref name="field"/>: all but the MACs and the TTL.</summary>
    public static bool IsNatField(HeaderField field) => field is not (HeaderField.SourceMac or HeaderField.DestinationMac or HeaderField.Ttl);

    /// <summary>"source 192.168.1.10 → 10.180.13.232".</summary>
    public string Describe() => $"{FieldName} {Before} → {After}";

    public override string ToString() => $"{Before} → {After}";
}

/// <summary>One interface where the packet was seen.</summary>
/// <param name="Interface">Where the packet was seen, such as host/tap0.</param>
/// <param name="Sequence">The row's number in that capture.</param>
/// <param name="OffsetMicros">Kernel time since the journey's first hop.</param>
/// <param name="Changes">What differs from the previous hop; empty for the first.</param>
public sealed record JourneyHop(InterfaceRef Interface, long Sequence, long TimestampMicros, long OffsetMicros, IReadOnlyList<FieldChange> Changes);

/// <summary>One packet's hops in kernel time order, its flow, and the groups that answered it (echo reply, ACK, UDP reply).</summary>
public sealed record PacketJourney(long GroupId, long FlowId, IReadOnlyList<JourneyHop> Hops, IReadOnlyList<long> ReplyGroupIds);
