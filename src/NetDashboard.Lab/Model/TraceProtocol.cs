using System.Globalization;
using System.Net;

namespace NetDashboard.Lab.Model;

public enum TraceProtocolKind { Icmp, Tcp, Udp }

/// <summary>
/// What a trace sends: one ICMP echo (`icmp`, or `icmp:1400` with 1400 bytes of data, as `ping -s 1400`), one TCP
/// connection attempt to a port (`tcp:80`), or one DNS query (`udp:53`, the only UDP probe the guests' busybox can make).
/// </summary>
/// <param name="Size">An echo's data bytes (ping -s), 0 for ping's default of 56; the IP packet is 28 bytes more.</param>
public sealed record TraceProtocol(TraceProtocolKind Kind, int Port, int Size = 0)
{
    /// <summary>The largest echo data that fits an IPv4 packet (65535 − 20 − 8).</summary>
    public const int MaxSize = 65507;

    /// <summary>The name a DNS probe asks for (a reserved top-level domain: never a real name).</summary>
    public const string DnsName = "netdash-trace.test";

    public static TraceProtocol Icmp { get; } = new(TraceProtocolKind.Icmp, 0);

    /// <summary>The protocol, or the reason <paramref name="text"/> is not one.</summary>
    public static (TraceProtocol? Protocol, string? Problem) Parse(string? text)
    {
        const string Forms = "use icmp, icmp:SIZE (1-65507 data bytes), tcp:PORT (1-65535) or udp:53";
        if (string.IsNullOrEmpty(text) || text == "icmp") return (Icmp, null);
        if (text.Length > 16) return (null, $"is too long; {Forms}");
        var colon = text.IndexOf(':');
        var name = colon < 0 ? text : text[..colon];
        var portText = colon < 0 ? "" : text[(colon + 1)..];
        // Digits only: .NET's parser would take a sign, spaces or a trailing NUL.
        var port = portText.Length is > 0 and <= 5 && portText.All(char.IsAsciiDigit)
            ? int.Parse(portText, CultureInfo.InvariantCulture) : -1;
        return name switch
        {
            "icmp" when port is >= 1 and <= MaxSize => (new TraceProtocol(TraceProtocolKind.Icmp, 0, port), null),
            "icmp" => (null, $"the size after icmp: is the echo's data bytes, 1-{MaxSize}"),
            "tcp" when port is >= 1 and <= 65535 => (new TraceProtocol(TraceProtocolKind.Tcp, port), null),
            "udp" when port == 53 => (new TraceProtocol(TraceProtocolKind.Udp, 53), null),
            "udp" when port is >= 1 and <= 65535 => (null, "only udp:53 can be sent: the guests' busybox has no UDP client but nslookup"),
            _ => (null, $"'{Model.Printable.Quote(text)}' is not a protocol; {Forms}"),
        };
    }

    /// <summary>The IPv4 packet's length on the wire when its size is known (an echo), for the MTU check.</summary>
    public int? PacketLength => Kind == TraceProtocolKind.Icmp ? 28 + (Size > 0 ? Size : 56) : null;

    /// <summary>The kernel filter of the trace's captures: both directions, before and after NAT (the far end stays the same).</summary>
    public string Filter(IPAddress target) => Kind switch
    {
        TraceProtocolKind.Icmp => $"icmp and host {target}",
        TraceProtocolKind.Tcp => $"tcp port {Port} and host {target}",
        _ => $"udp port {Port} and host {target}",
    };

    /// <summary>
    /// The probe as a command in a built-in guest (busybox sh), as a person would type it. A reply inside a lab takes
    /// milliseconds, so ping waits one second, not the usual ten; wget gets no -T (busybox 1.35's static wget crashes
    /// with it): the trace stops waiting for any probe after <c>TraceService.ProbeLimit</c>.
    /// </summary>
    public string GuestCommand(IPAddress target) => Kind switch
    {
        TraceProtocolKind.Icmp when Size > 0 => $"ping -c 1 -W 1 -s {Size} {target}",
        TraceProtocolKind.Icmp => $"ping -c 1 -W 1 {target}",
        TraceProtocolKind.Tcp => $"wget -q -O /dev/null http://{target}:{Port}/",
        _ => $"nslookup {DnsName} {target}",
    };

    public override string ToString() => Kind switch
    {
        TraceProtocolKind.Icmp when Size > 0 => $"icmp:{Size}",
        TraceProtocolKind.Icmp => "icmp",
        TraceProtocolKind.Tcp => $"tcp:{Port}",
        _ => $"udp:{Port}",
    };
}
