using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace NetDashboard.Lab.Capture;

/// <summary>
/// Just enough DNS for tcpdump's one-line form (PacketDotNet has no DNS decoder):
/// a query is "1234+ A? example.com. (29)", a response "1234 1/0/0 A 93.184.216.34 (45)".
/// </summary>
internal static class DnsLine
{
    private const int HeaderLength = 12;

    /// <summary>The line, or null when the payload is not a DNS message we can read (then the row stays plain UDP).</summary>
    public static string? Describe(ReadOnlySpan<byte> message, int length)
    {
        if (message.Length < HeaderLength)
            return null;
        var id = BinaryPrimitives.ReadUInt16BigEndian(message);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        var questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        var answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        var authorities = BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        var additional = BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        var isResponse = (flags & 0x8000) != 0;
        var text = new StringBuilder();
        text.Append(id);

        var position = HeaderLength;
        string? question = null;
        if (questions > 0 && ReadName(message, ref position) is { } name && position + 4 <= message.Length)
        {
            question = $"{TypeName(BinaryPrimitives.ReadUInt16BigEndian(message[position..]))}? {name}";
            position += 4;
            for (var i = 1; i < questions && position < message.Length; i++)
            {
                if (ReadName(message, ref position) is null) break;
                position += 4;
            }
        }

        if (isResponse)
        {
            if ((flags & 0x0400) != 0) text.Append('*');
            if ((flags & 0x0080) == 0) text.Append('-');
            if (RcodeName(flags & 0x000f) is { } rcode) text.Append(' ').Append(rcode);
            text.Append($" {answers}/{authorities}/{additional}");
            for (var i = 0; i < answers && ReadAnswer(message, ref position) is { } answer; i++)
                text.Append(i == 0 ? " " : ", ").Append(answer);
        }
        else
        {
            if ((flags & 0x0100) != 0) text.Append('+');
            if (questions != 1) text.Append($" [{questions}q]");
            if (question is not null) text.Append(' ').Append(question);
        }
        text.Append($" ({length})");
        return text.ToString();
    }

    private static string? ReadAnswer(ReadOnlySpan<byte> message, ref int position)
    {
        if (ReadName(message, ref position) is null || position + 10 > message.Length)
            return null;
        var type = BinaryPrimitives.ReadUInt16BigEndian(message[position..]);
        var dataLength = BinaryPrimitives.ReadUInt16BigEndian(message[(position + 8)..]);
        var data = position + 10;
        position = data + dataLength;
        if (position > message.Length)
            return null;
        return type switch
        {
            1 when dataLength == 4 => $"A {new IPAddress(message.Slice(data, 4))}",
            28 when dataLength == 16 => $"AAAA {new IPAddress(message.Slice(data, 16))}",
            5 when ReadName(message, ref data) is { } target => $"CNAME {target}",
            _ => TypeName(type),
        };
    }

    /// <summary>A name as tcpdump writes it ("example.com."), following compression pointers; null when broken.</summary>
    internal static string? ReadName(ReadOnlySpan<byte> message, ref int position)
    {
        var name = new StringBuilder();
        var at = position;
        var jumped = false;
        for (var hops = 0; hops < 64; hops++)
        {
            if (at >= message.Length)
                return null;
            var label = message[at];
            if (label == 0)
            {
                if (!jumped) position = at + 1;
                return name.Length == 0 ? "." : name.ToString();
            }
            if ((label & 0xc0) == 0xc0)
            {
                if (at + 1 >= message.Length)
                    return null;
                if (!jumped) position = at + 2;
                jumped = true;
                at = ((label & 0x3f) << 8) | message[at + 1];
                continue;
            }
            if (at + 1 + label > message.Length)
                return null;
            foreach (var c in message.Slice(at + 1, label))
                name.Append(c is > 0x20 and < 0x7f ? (char)c : '?');
            name.Append('.');
            at += 1 + label;
        }
        return null;
    }

    private static string TypeName(int type) => type switch
    {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        12 => "PTR",
        15 => "MX",
        16 => "TXT",
        28 => "AAAA",
        33 => "SRV",
        65 => "HTTPS",
        255 => "ANY",
        _ => $"Type{type}",
    };

    private static string? RcodeName(int rcode) => rcode switch
    {
        0 => null,
        1 => "FormErr",
        2 => "ServFail",
        3 => "NXDomain",
        4 => "NotImp",
        5 => "Refused",
        _ => $"Resp{rcode}",
    };
}
