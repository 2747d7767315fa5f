using System.Globalization;
using System.Net;

namespace NetDashboard.Lab.Model;

public enum TraceProtocolKind { Icmp, Tcp, Udp }

/// <summary>
/// What a trace sends: one ICMP echo (`icmp`), one TCP connection attempt to a port (`tcp:80`), or one DNS query
/// (`udp:53`, the only UDP probe the guests' busybox can make).
/// </summary>
public sealed record TraceProtocol(TraceProtocolKind Kind, int Port)
{
    /// <summary>The name a DNS probe asks for (a reserved top-level domain: never a real name).</summary>
    public const string DnsName = "netdash-trace.test";

    public static TraceProtocol Icmp { get; } = new(TraceProtocolKind.Icmp, 0);

    /// <summary>The protocol, or the reason <paramref name="text"/> is not one.</summary>
    public static (TraceProtocol? Protocol, string? Problem) Parse(string? text)
    {
        const string Forms = "use icmp, tcp:PORT (1-65535) or udp:53";
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
            "tcp" when port is >= 1 and <= 65535 => (new TraceProtocol(TraceProtocolKind.Tcp, port), null),
            "udp" when port == 53 => (new TraceProtocol(TraceProtocolKind.Udp, 53), null),
            "udp" when port is >= 1 and <= 65535 => (null, "only udp:53 can be sent: the guests' busybox has no UDP client but nslookup"),
            _ => (null, $"'{Model.Printable.Quote(text)}' is not a protocol; {Forms}"),
        };
    }

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
        TraceProtocolKind.Icmp => $"ping -c 1 -W 1 {target}",
        TraceProtocolKind.Tcp => $"wget -q -O /dev/null http://{target}:{Port}/",
        _ => $"nslookup {DnsName} {target}",
    };

    public override string ToString() => Kind switch
    {
        TraceProtocolKind.Icmp => "icmp",
        TraceProtocolKind.Tcp => $"tcp:{Port}",
        _ => $"udp:{Port}",
    };
}
