using System.Buffers.Binary;

namespace NetDashboard.Lab.Capture;

// TCP (flags, relative sequence numbers, options, HTTP's first line) and UDP (DNS, DHCP), as tcpdump's print-tcp.c,
// print-udp.c and print-http.c write them at the default verbosity.
public static partial class PacketSummarizer
{
    private static readonly string[] HttpMethods =
    [
        "GET", "PUT", "COPY", "HEAD", "LOCK", "MOVE", "POLL", "POST", "BCOPY", "BMOVE", "MKCOL", "TRACE", "LABEL", "MERGE",
        "DELETE", "SEARCH", "UNLOCK", "REPORT", "UPDATE", "NOTIFY", "BDELETE", "CONNECT", "OPTIONS", "CHECKIN", "PROPFIND",
        "CHECKOUT", "CHECKOUT", "UNCHECKOUT", "MKACTIVITY", "MKWORKSPACE", "VERSION-CONTROL", "BASELINE-CONTROL",
    ];

    /// <summary>"192.168.1.10.40000 > 203.0.113.5.80: ", or the ports alone when the transport follows extension headers.</summary>
    private static void Ports(Line line, ReadOnlySpan<byte> ip, byte protocol, int sourcePort, int destinationPort)
    {
        var text = line.Text;
        var direct = ip[0] >> 4 == 4 ? ip[9] == protocol : ip[6] == protocol;
        if (direct)
            text.Append(line.Source).Append('.').Append(sourcePort).Append(" > ").Append(line.Destination).Append('.').Append(destinationPort).Append(": ");
        else
            text.Append(sourcePort).Append(" > ").Append(destinationPort).Append(": ");
    }

    private static void Tcp(Line line, ReadOnlySpan<byte> ip, ReadOnlySpan<byte> tcp, int length)
    {
        var text = line.Text;
        if (tcp.Length < 4)
        {
            text.Append(line.Source).Append(" > ").Append(line.Destination).Append(':');
            line.Trunc("tcp");
            return;
        }
        var sourcePort = BinaryPrimitives.ReadUInt16BigEndian(tcp);
        var destinationPort = BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]);
        Ports(line, ip, ProtocolTcp, sourcePort, destinationPort);
        if (tcp.Length < 20)
        {
            line.Trunc("tcp");
            return;
        }
        var headerLength = (tcp[12] >> 4) * 4;
        if (headerLength < 20)
        {
            line.Complain($" tcp {(uint)(length - headerLength)} [bad hdr length {headerLength} - too short, < 20]");
            return;
        }
        var seq = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]);
        var ack = BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]);
        var flags = tcp[13];
        var window = BinaryPrimitives.ReadUInt16BigEndian(tcp[14..]);
        var urgent = BinaryPrimitives.ReadUInt16BigEndian(tcp[18..]);
        text.Append("Flags [").Append(TcpFlags(flags)).Append(']');
        uint baseSeq = 0, baseAck = 0;
        var reversed = false;
        if ((flags & 0x10) != 0 && line.Tcp is { } sequences)
        {
            var v6 = ip[0] >> 4 == 6;
            (seq, ack, baseSeq, baseAck, reversed) = sequences.Relative(v6 ? ip.Slice(8, 16) : ip.Slice(12, 4), v6 ? ip.Slice(24, 16) : ip.Slice(16, 4),
                sourcePort, destinationPort, seq, ack, (flags & 0x02) != 0);
        }
        if (headerLength > length)
        {
            line.Complain($" [bad hdr length {headerLength} - too long, > {length}]");
            return;
        }
        var dataLength = length - headerLength;
        if (dataLength > 0 || (flags & 0x07) != 0)
        {
            text.Append(", seq ").Append(seq);
            if (dataLength > 0) text.Append(':').Append(seq + (uint)dataLength);
        }
        if ((flags & 0x10) != 0) text.Append(", ack ").Append(ack);
        text.Append(", win ").Append(window);
        if ((flags & 0x20) != 0) text.Append(", urg ").Append(urgent);
        if (headerLength > 20 && !TcpOptions(line, tcp, headerLength, reversed ? baseSeq : baseAck))
            return;
        text.Append(", length ").Append(dataLength);
        if (dataLength == 0)
            return;
        if (tcp.Length < headerLength)
        {
            text.Append(" [remaining caplen(").Append(tcp.Length).Append(") < header length(").Append(headerLength).Append(")]");
            line.Trunc("tcp");
            return;
        }
        if (sourcePort is 80 or 8080 || destinationPort is 80 or 8080)
        {
            text.Append(": ");
            Http(line, tcp[headerLength..], dataLength);
        }
    }

    /// <summary>", options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7]"; false when tcpdump stopped in them.</summary>
    /// <param name="sackBase">What tcpdump subtracts from SACK edges: the conversation's first number in their direction.</param>
    private static bool TcpOptions(Line line, ReadOnlySpan<byte> tcp, int headerLength, uint sackBase)
    {
        var text = line.Text;
        text.Append(", options [");
        var at = 20;
        var left = headerLength - 20;
        var first = true;
        while (left > 0)
        {
            if (!first) text.Append(',');
            if (tcp.Length <= at) return OptionsTruncated(line, first);
            var kind = tcp[at++];
            int size;
            if (kind is 0 or 1)
                size = 1;
            else
            {
                if (tcp.Length <= at) return OptionsTruncated(line, first);
                size = tcp[at++];
                if (size < 2 || size > left) return BadOption(line, first);
                left--;
            }
            left--;
            var data = size - 2;
            text.Append(kind switch
            {
                0 => "eol", 1 => "nop", 2 => "mss", 3 => "wscale", 4 => "sackOK", 5 => "sack", 6 => "echo", 7 => "echoreply",
                8 => "TS", 11 => "cc", 12 => "ccnew", 13 => "", 19 => "md5", 20 => "scps", 28 => "uto", 29 => "tcp-ao",
                30 => "mptcp", 34 => "tfo", 254 => "exp", _ => $"unknown-{kind}",
            });
            var needed = kind switch { 0 or 1 or 4 => 0, 2 or 28 => 2, 3 => 1, 6 or 7 or 11 or 12 or 13 => 4, 8 => 8, _ => data };
            if (needed > left) return BadOption(line, first);
            if (tcp.Length < at + needed) return OptionsTruncated(line, first);
            var value = tcp.Slice(at, needed);
            switch (kind)
            {
                case 0 or 1 or 4:
                    break;
                case 2:
                    text.Append(' ').Append(BinaryPrimitives.ReadUInt16BigEndian(value));
                    break;
                case 3:
                    text.Append(' ').Append(value[0]);
                    break;
                case 5:
                    if (data % 8 != 0)
                        text.Append(" invalid sack");
                    else
                    {
                        text.Append(' ').Append(data / 8).Append(' ');
                        for (var i = 0; i < data; i += 8)
                            text.Append('{').Append(BinaryPrimitives.ReadUInt32BigEndian(value[i..]) - sackBase).Append(':')
                                .Append(BinaryPrimitives.ReadUInt32BigEndian(value[(i + 4)..]) - sackBase).Append('}');
                    }
                    break;
                case 6 or 7 or 11 or 12 or 13:
                    text.Append(' ').Append(BinaryPrimitives.ReadUInt32BigEndian(value));
                    break;
                case 8:
                    text.Append(" val ").Append(BinaryPrimitives.ReadUInt32BigEndian(value)).Append(" ecr ").Append(BinaryPrimitives.ReadUInt32BigEndian(value[4..]));
                    break;
                default:
                    if (value.Length > 0) text.Append(" 0x").Append(Convert.ToHexStringLower(value));
                    break;
            }
            at += needed;
            left -= needed;
            if (needed + (kind is 0 or 1 ? 1 : 2) != size)
                text.Append("[len ").Append(size).Append(']');
            first = false;
            if (kind == 0)
                break;
        }
        text.Append(']');
        return true;
    }

    // tcpdump closes the bracket (or adds '>') only after a first option was printed.
    private static bool BadOption(Line line, bool first)
    {
        line.Complain(first ? "[bad opt]" : "[bad opt]]");
        return false;
    }

    private static bool OptionsTruncated(Line line, bool first)
    {
        line.Trunc("tcp");
        if (!first) line.Text.Append('>');
        return false;
    }

    /// <summary>"HTTP: GET / HTTP/1.1": the protocol, and the request or status line when the data starts with one.</summary>
    private static void Http(Line line, ReadOnlySpan<byte> data, int length)
    {
        var text = line.Text;
        data = data[..Math.Min(data.Length, length)];
        var print = false;
        var token = Token(data, 0, length, out var next);
        if (token.Length > 0)
        {
            foreach (var method in HttpMethods)
                if (token.Length == method.Length && System.Text.Ascii.EqualsIgnoreCase(token, method))
                {
                    print = true;
                    break;
                }
            token = Token(data, next, length, out _);
            if (token.Length == 3 && char.IsAsciiDigit((char)token[0]) && char.IsAsciiDigit((char)token[1]) && char.IsAsciiDigit((char)token[2]))
                print = true;
        }
        text.Append("HTTP");
        if (!print)
            return;
        // The first line, up to CR LF or LF; binary data or a line without its end prints as tcpdump does.
        for (var i = 0; i < length; i++)
        {
            // tcpdump prints the line only once it has read to its end: cut before, it prints none of it.
            if (i >= data.Length)
            {
                line.Trunc("http");
                return;
            }
            var c = data[i];
            if (c == '\n' || (c == '\r' && i + 1 < length && i + 1 < data.Length && data[i + 1] == '\n'))
            {
                text.Append(": ").Append(System.Text.Encoding.ASCII.GetString(data[..i]));
                return;
            }
            if (c == '\r' && i + 1 >= length)
                return;
            if (c == '\r' && i + 1 >= data.Length)
            {
                line.Trunc("http");
                return;
            }
            if (c == '\r' || (c is < 0x20 or > 0x7e && c != '\t'))
                return;
        }
        text.Append(": ").Append(System.Text.Encoding.ASCII.GetString(data[..length]));
        line.Trunc("http");
    }

    /// <summary>tcpdump's fetch_token: up to 127 printable ASCII characters before white space; empty when there are none or the capture ends first.</summary>
    private static ReadOnlySpan<byte> Token(ReadOnlySpan<byte> data, int start, int length, out int next)
    {
        var i = start;
        while (i < length && (i >= data.Length || data[i] is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')))
        {
            if (i >= data.Length || data[i] is < 0x21 or > 0x7e || i - start >= 127)
            {
                next = 0;
                return [];
            }
            i++;
        }
        var token = data[start..i];
        while (i < data.Length && data[i] is (byte)' ' or (byte)'\t')
            i++;
        next = i;
        return token;
    }

    private static void Udp(Line line, ReadOnlySpan<byte> ip, ReadOnlySpan<byte> udp, int length, bool fragmented)
    {
        var text = line.Text;
        if (udp.Length < 4)
        {
            if ((ip[0] >> 4 == 4 ? ip[9] : ip[6]) == ProtocolUdp)
                text.Append(line.Source).Append(" > ").Append(line.Destination).Append(": ");
            line.Trunc("udp");
            return;
        }
        var sourcePort = BinaryPrimitives.ReadUInt16BigEndian(udp);
        var destinationPort = BinaryPrimitives.ReadUInt16BigEndian(udp[2..]);
        Ports(line, ip, ProtocolUdp, sourcePort, destinationPort);
        if (length < 8)
        {
            line.Complain($"truncated-udp {length}");
            return;
        }
        if (udp.Length < 6)
        {
            line.Trunc("udp");
            return;
        }
        int udpLength = BinaryPrimitives.ReadUInt16BigEndian(udp[4..]);
        if (udpLength < 8)
        {
            line.Complain($"truncated-udplength {udpLength}");
            return;
        }
        var claimed = udpLength - 8;
        length = Math.Min(length - 8, claimed);
        if (udp.Length < 8)
        {
            line.Trunc("udp");
            return;
        }
        var payload = udp[8..];
        if (sourcePort == 53 || destinationPort == 53 || sourcePort == 5353 || destinationPort == 5353)
        {
            line.Protocol = "DNS";
            if (length < DnsLine.HeaderLength)
                line.Complain($"domain [length {length} < {DnsLine.HeaderLength}] (invalid)");
            else if (!DnsLine.Describe(text, payload, length, mdns: sourcePort == 5353 || destinationPort == 5353))
                line.Trunc("domain");
        }
        else if (sourcePort is 67 or 68 || destinationPort is 67 or 68)
        {
            line.Protocol = "DHCP";
            Bootp(line, payload, length);
        }
        else if (claimed > length && !fragmented)
            line.Complain($"UDP, bad length {claimed} > {length}");
        else
            text.Append("UDP, length ").Append(claimed);
    }

    private static void Bootp(Line line, ReadOnlySpan<byte> bootp, int length)
    {
        var text = line.Text;
        text.Append("BOOTP/DHCP, ");
        if (bootp.Length < 1)
        {
            line.Trunc("bootp");
            return;
        }
        text.Append(bootp[0] switch { 1 => "Request", 2 => "Reply", var op => $"unknown (0x{op:x2})" });
        if (bootp[0] == 1 && bootp.Length >= 3 && bootp[1] == 1 && bootp[2] == 6)
        {
            if (bootp.Length < 34)
            {
                line.Trunc("bootp");
                return;
            }
            text.Append(" from ").Append(Mac(bootp.Slice(28, 6)));
        }
        text.Append(", length ").Append(length);
    }
}
