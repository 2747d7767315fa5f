using System.Buffers.Binary;
using System.Text;

namespace NetDashboard.Lab.Capture;

/// <summary>
/// DNS in tcpdump's one-line form (print-domain.c at the default verbosity; PacketDotNet has no DNS decoder):
/// a query is "1234+ A? example.com. (29)", a response "1234 2/0/0 A 93.184.216.34, MX mail.example.com. 10 (45)".
/// Reads only the captured bytes; a name that points forward or loops stops the line as tcpdump stops it.
/// </summary>
internal static class DnsLine
{
    public const int HeaderLength = 12;
    private const int MaxNameLength = 255;

    private static readonly string[] Opcodes =
    [
        "", " inv_q", " stat", " op3", " notify", " update", " op6", " op7", " op8", " updateA", " updateD", " updateDA",
        " updateM", " updateMA", " zoneInit", " zoneRef",
    ];

    private static readonly string[] Rcodes =
    [
        "", " FormErr", " ServFail", " NXDomain", " NotImp", " Refused", " YXDomain", " YXRRSet", " NXRRSet", " NotAuth",
        " NotZone", " Resp11", " Resp12", " Resp13", " Resp14", " NoChange", " BadVers", "Resp17", " Resp18", " Resp19",
        " Resp20", "Resp21", " Resp22", " BadCookie",
    ];

    /// <summary>Appends the line; false when the message ends before what the line needs (tcpdump then prints "[|domain]").</summary>
    /// <param name="message">The captured bytes after the UDP header, up to the end of the IP packet: tcpdump reads
    /// records as far as those go, even past a UDP length that says less.</param>
    /// <param name="length">The UDP payload length the headers claim, at least <see cref="HeaderLength"/>.</param>
    public static bool Describe(StringBuilder text, ReadOnlySpan<byte> message, int length, bool mdns)
    {
        if (message.Length < HeaderLength)
            return false;
        var id = BinaryPrimitives.ReadUInt16BigEndian(message);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        int questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        int answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        int authorities = BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        int additional = BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        var opcode = Opcodes[(flags >> 11) & 0xf];
        text.Append(id);
        if ((flags & 0x8000) != 0)
        {
            text.Append(opcode).Append(Rcode(Rcode(message, flags, questions, answers + authorities, additional)));
            if ((flags & 0x0400) != 0) text.Append('*');
            if ((flags & 0x0080) == 0) text.Append('-');
            if ((flags & 0x0200) != 0) text.Append('|');
            if ((flags & 0x0020) != 0) text.Append('$');
            if (questions != 1) text.Append(" [").Append(questions).Append("q]");
            var position = HeaderLength;
            // The questions are printed only with -vv; tcpdump still separates them.
            for (var i = 0; i < questions; i++)
            {
                if (i > 0) text.Append(',');
                if (Skip(message, position) is not { } end)
                    return false;
                position = end + 4;
            }
            text.Append(' ').Append(answers).Append('/').Append(authorities).Append('/').Append(additional);
            for (var i = 0; i < answers; i++)
            {
                if (i > 0)
                {
                    if (position >= message.Length) return false;
                    text.Append(',');
                }
                if (Record(text, message, position, mdns) is not { } next)
                    return false;
                position = next;
            }
        }
        else
        {
            text.Append(opcode);
            if ((flags & 0x0100) != 0) text.Append('+');
            if ((flags & 0x0010) != 0) text.Append('%');
            if ((flags & 0x6cf) != 0) text.Append(" [b2&3=0x").Append((flags & 0xffff).ToString("x")).Append(']');
            if (opcode == " inv_q")
            {
                if (questions != 0) text.Append(" [").Append(questions).Append("q]");
                if (answers != 1) text.Append(" [").Append(answers).Append("a]");
            }
            else
            {
                if (answers != 0) text.Append(" [").Append(answers).Append("a]");
                if (questions != 1) text.Append(" [").Append(questions).Append("q]");
            }
            if (authorities != 0) text.Append(" [").Append(authorities).Append("n]");
            if (additional != 0) text.Append(" [").Append(additional).Append("au]");
            var position = HeaderLength;
            for (var i = 0; i < questions; i++)
            {
                if (i > 0 && position >= message.Length) return false;
                if (Question(text, message, position, mdns) is not { } next)
                    return false;
                position = next;
            }
        }
        text.Append(" (").Append(length).Append(')');
        return true;
    }

    private static string Rcode(int rcode) => rcode < Rcodes.Length ? Rcodes[rcode] : $" Resp{rcode & 0xfff}";

    /// <summary>The response code with EDNS0's extension: the OPT record among the additional records carries its high bits.</summary>
    private static int Rcode(ReadOnlySpan<byte> message, ushort flags, int questions, int records, int additional)
    {
        var rcode = flags & 0xf;
        var position = HeaderLength;
        for (var i = 0; i < questions; i++)
        {
            if (Skip(message, position) is not { } end || end + 4 >= message.Length) return rcode;
            position = end + 4;
        }
        for (var i = 0; i < records; i++)
        {
            if (Skip(message, position) is not { } end || end + 10 > message.Length) return rcode;
            position = end + 10 + BinaryPrimitives.ReadUInt16BigEndian(message[(end + 8)..]);
            if (position >= message.Length) return rcode;
        }
        for (var i = 0; i < additional; i++)
        {
            if (Skip(message, position) is not { } end || end + 2 > message.Length) return rcode;
            var type = BinaryPrimitives.ReadUInt16BigEndian(message[end..]);
            if (end + 5 > message.Length) return rcode;
            if (type == 41) return rcode | message[end + 4] << 4;
            if (end + 10 > message.Length) return rcode;
            position = end + 10 + BinaryPrimitives.ReadUInt16BigEndian(message[(end + 8)..]);
            if (position >= message.Length) return rcode;
        }
        return rcode;
    }

    /// <summary>" A? example.com.": the position after the question, or null when it is cut.</summary>
    private static int? Question(StringBuilder text, ReadOnlySpan<byte> message, int position, bool mdns)
    {
        if (Skip(message, position) is not { } end || end + 4 > message.Length)
            return null;
        text.Append(' ').Append(TypeName(BinaryPrimitives.ReadUInt16BigEndian(message[end..])));
        var type = BinaryPrimitives.ReadUInt16BigEndian(message[(end + 2)..]);
        var @class = mdns ? type & 0x7fff : type;
        if (@class != 1) text.Append(' ').Append(ClassName(@class));
        if (mdns) text.Append((type & 0x8000) != 0 ? " (QU)" : " (QM)");
        text.Append("? ");
        return Name(text, message, position) ? end + 4 : null;
    }

    /// <summary>" A 93.184.216.34": the position after the record, or null when it is cut.</summary>
    private static int? Record(StringBuilder text, ReadOnlySpan<byte> message, int position, bool mdns)
    {
        if (Skip(message, position) is not { } at || at + 10 > message.Length)
            return message.Length;
        var type = BinaryPrimitives.ReadUInt16BigEndian(message[at..]);
        var classField = BinaryPrimitives.ReadUInt16BigEndian(message[(at + 2)..]);
        var @class = mdns ? classField & 0x7fff : classField;
        if (@class != 1 && type != 41) text.Append(' ').Append(ClassName(@class));
        if (mdns && (classField & 0x8000) != 0) text.Append(" (Cache flush)");
        var dataLength = BinaryPrimitives.ReadUInt16BigEndian(message[(at + 8)..]);
        var data = at + 10;
        var end = data + dataLength;
        text.Append(' ').Append(TypeName(type));
        if (end > message.Length)
            return null;
        var rdata = message[data..end];
        switch (type)
        {
            case 1:
                if (rdata.Length < 4) return null;
                text.Append(' ').Append(PacketSummarizer.Ipv4String(rdata));
                break;
            case 28:
                if (rdata.Length < 16) return null;
                text.Append(' ').Append(PacketSummarizer.Ipv6String(rdata[..16]));
                break;
            case 2 or 5 or 12 or 39:
                text.Append(' ');
                if (!Name(text, message, data)) return null;
                break;
            case 15:
                text.Append(' ');
                if (rdata.Length < 2 || !Name(text, message, data + 2)) return null;
                text.Append(' ').Append(BinaryPrimitives.ReadUInt16BigEndian(rdata));
                break;
            case 16:
                for (var i = 0; i < rdata.Length;)
                {
                    var size = rdata[i];
                    text.Append(" \"");
                    Printable(text, rdata.Slice(i + 1, Math.Min(size, rdata.Length - i - 1)));
                    if (i + 1 + size > rdata.Length) return null;
                    text.Append('"');
                    i += 1 + size;
                }
                break;
            case 33:
                text.Append(' ');
                if (rdata.Length < 6 || !Name(text, message, data + 6)) return null;
                text.Append(':').Append(BinaryPrimitives.ReadUInt16BigEndian(rdata[4..])).Append(' ')
                    .Append(BinaryPrimitives.ReadUInt16BigEndian(rdata)).Append(' ').Append(BinaryPrimitives.ReadUInt16BigEndian(rdata[2..]));
                break;
            case 41:
                text.Append(" UDPsize=").Append(classField);
                if ((BinaryPrimitives.ReadUInt16BigEndian(message[(at + 6)..]) & 0x8000) != 0) text.Append(" DO");
                break;
        }
        return end;
    }

    /// <summary>Where a name ends (after its last label or its pointer), as tcpdump's ns_nskip; null when cut or unknown.</summary>
    private static int? Skip(ReadOnlySpan<byte> message, int position)
    {
        while (true)
        {
            if (position >= message.Length) return null;
            var label = message[position++];
            if (label == 0) return position;
            switch (label & 0xc0)
            {
                case 0xc0: return position + 1;
                case 0x00: position += label; break;
                default: return null;
            }
        }
    }

    /// <summary>
    /// Appends a name as tcpdump's fqdn_print writes it ("example.com."): pointers must point backwards, so a loop
    /// ends with "&lt;BAD PTR&gt;". Returns false when cut.
    /// </summary>
    private static bool Name(StringBuilder text, ReadOnlySpan<byte> message, int position)
    {
        if (position >= message.Length) return false;
        var maxOffset = position;
        var label = message[position];
        if ((label & 0xc0) is 0x40 or 0x80)
        {
            text.Append((label & 0xc0) == 0x40 ? $"<ELT {label & 0x3f}>" : "<BAD LABEL TYPE>");
            return false;
        }
        if (label == 0)
        {
            text.Append('.');
            return true;
        }
        var characters = 0;
        position++;
        while (label != 0 && position < message.Length)
        {
            if ((label & 0xc0) == 0xc0)
            {
                var offset = ((label << 8) | message[position]) & 0x3fff;
                if (offset >= maxOffset)
                {
                    text.Append("<BAD PTR>");
                    return false;
                }
                maxOffset = offset;
                position = offset;
                label = message[position];
                if ((label & 0xc0) is 0x40 or 0x80)
                {
                    text.Append((label & 0xc0) == 0x40 ? $"<ELT {label & 0x3f}>" : "<BAD LABEL TYPE>");
                    return false;
                }
                position++;
                continue;
            }
            if ((label & 0xc0) != 0)
            {
                text.Append("<BAD LABEL TYPE>");
                return false;
            }
            var available = message[position..];
            if (characters + label <= MaxNameLength)
                Printable(text, available[..Math.Min(label, available.Length)]);
            else if (characters < MaxNameLength)
                Printable(text, available[..Math.Min(MaxNameLength - characters, available.Length)]);
            if (available.Length < label) return false;
            characters += label;
            position += label;
            if (characters <= MaxNameLength) text.Append('.');
            characters++;
            if (position >= message.Length) return false;
            label = message[position];
            if ((label & 0xc0) is 0x40 or 0x80)
            {
                text.Append((label & 0xc0) == 0x40 ? $"<ELT {label & 0x3f}>" : "<BAD LABEL TYPE>");
                return false;
            }
            position++;
        }
        if (characters > MaxNameLength) text.Append("<DOMAIN NAME TOO LONG>");
        return true;
    }

    /// <summary>tcpdump's fn_print_char: "M-" for bytes past ASCII, "^" and a letter for control characters.</summary>
    private static void Printable(StringBuilder text, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            var c = b;
            if (c > 0x7f)
            {
                c &= 0x7f;
                text.Append("M-");
            }
            if (c is < 0x20 or 0x7f)
                text.Append('^').Append((char)(c ^ 0x40));
            else
                text.Append((char)c);
        }
    }

    private static string ClassName(int @class) => @class switch
    {
        1 => "IN", 3 => "CHAOS", 4 => "HS", 254 => "NONE", 255 => "ANY", _ => $"(Class {@class})",
    };

    private static string TypeName(int type) => type switch
    {
        1 => "A", 2 => "NS", 5 => "CNAME", 6 => "SOA", 12 => "PTR", 13 => "HINFO", 15 => "MX", 16 => "TXT", 28 => "AAAA",
        33 => "SRV", 35 => "NAPTR", 39 => "DNAME", 41 => "OPT", 43 => "DS", 46 => "RRSIG", 47 => "NSEC", 48 => "DNSKEY",
        64 => "SVCB", 65 => "HTTPS", 99 => "SPF", 251 => "IXFR", 252 => "AXFR", 255 => "ANY", 256 => "URI", 257 => "CAA",
        _ => $"Type{type}",
    };
}
