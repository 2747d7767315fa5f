using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Capture.Correlation;

/// <summary>
/// Reads one line of `conntrack -L` or `conntrack -E` (default or extended output, optionally with -o timestamp)
/// into a <see cref="ConntrackEntry"/>. IPv4 only, like the labs. Anything else — a summary line, XML, a cut or
/// garbled line, a field out of range — is refused, never thrown.
/// </summary>
public static class ConntrackLine
{
    public const int MaxLineLength = 4096;
    private const int MaxTokens = 64;
    private const int MaxTokenLength = 256;

    public static bool TryParse(string? line, [NotNullWhen(true)] out ConntrackEntry? entry)
    {
        entry = null;
        if (line is null || line.Length > MaxLineLength || line.Any(c => c is < ' ' and not '\t' or > '~')
            || Tokenize(line) is not { } tokens)
            return false;
        entry = Read(new Queue<string>(tokens));
        return entry is not null;
    }

    private static ConntrackEntry? Read(Queue<string> tokens)
    {
        long? timestamp = null;
        if (tokens.TryPeek(out var first) && TryTimestamp(first, out var micros))
        {
            timestamp = micros;
            tokens.Dequeue();
        }
        var kind = tokens.TryPeek(out var word) ? word switch
        {
            "[NEW]" => ConntrackEvent.New,
            "[UPDATE]" => ConntrackEvent.Update,
            "[DESTROY]" => ConntrackEvent.Destroy,
            _ => ConntrackEvent.Listed,
        } : ConntrackEvent.Listed;
        if (kind != ConntrackEvent.Listed)
            tokens.Dequeue();
        if (tokens.TryPeek(out word) && word == "ipv4") // -o extended names the layer 3 protocol first
        {
            tokens.Dequeue();
            if (!tokens.TryDequeue(out var family) || family != "2")
                return null;
        }
        if (!tokens.TryDequeue(out var protocol) || !IsProtocolName(protocol)
            || !tokens.TryDequeue(out var number) || !TryNumber(number, byte.MaxValue, out var protocolNumber)
            || KnownNumber(protocol) is { } known && known != protocolNumber)
            return null;
        uint? timeout = null;
        if (tokens.TryPeek(out word) && word.All(char.IsAsciiDigit))
        {
            if (!TryNumber(tokens.Dequeue(), uint.MaxValue, out var seconds))
                return null;
            timeout = (uint)seconds;
        }
        string? state = null;
        if (tokens.TryPeek(out word) && word.Length <= 20 && word.All(c => char.IsAsciiLetterUpper(c) || c == '_'))
            state = tokens.Dequeue();
        return ReadTuples(tokens, protocol) is var (original, reply, unreplied, assured, mark)
            ? new ConntrackEntry(kind, protocol, (byte)protocolNumber, timeout, state, original, reply, unreplied, assured, mark, timestamp)
            : null;
    }

    private static (ConntrackTuple, ConntrackTuple, bool Unreplied, bool Assured, uint? Mark)? ReadTuples(Queue<string> tokens, string protocol)
    {
        TupleBuilder? original = null, reply = null;
        var trailer = false;
        bool unreplied = false, assured = false;
        uint? mark = null;
        while (tokens.TryDequeue(out var token))
        {
            if (token[0] == '[')
            {
                if (original is null)
                    return null;
                unreplied |= token == "[UNREPLIED]";
                assured |= token == "[ASSURED]";
                trailer = reply is not null; // a flag after the reply tuple ends it
                continue;
            }
            var equals = token.IndexOf('=');
            if (equals is <= 0 or > 32 || equals == token.Length - 1)
                return null;
            var (key, value) = (token[..equals], token[(equals + 1)..]);
            if (key == "src")
            {
                if (trailer || reply is not null)
                    return null; // a third tuple
                if (original is null)
                    original = new TupleBuilder(protocol);
                else
                    reply = new TupleBuilder(protocol);
            }
            var current = reply ?? original;
            if (current is null)
                return null;
            if (!trailer && current.Accepts(key))
            {
                if (!current.Set(key, value))
                    return null;
                continue;
            }
            if (reply is null)
                return null; // the original tuple repeats a key or holds something a tuple does not
            // Past the reply tuple: entry fields. Only the mark is kept; the rest (use, id, zone, helper…) is skipped.
            trailer = true;
            if (key == "mark")
            {
                if (!TryNumber(value, uint.MaxValue, out var number))
                    return null;
                mark = (uint)number;
            }
        }
        return original?.Build() is { } from && reply?.Build() is { } to ? (from, to, unreplied, assured, mark) : null;
    }

    /// <summary>The keys of one tuple as conntrack prints them, each at most once.</summary>
    private sealed class TupleBuilder(string protocol)
    {
        private readonly Dictionary<string, string> _fields = [];

        private bool HasPorts => protocol is "tcp" or "udp" or "udplite" or "sctp" or "dccp";

        public bool Accepts(string key) => !_fields.ContainsKey(key) && key switch
        {
            "src" or "dst" or "packets" or "bytes" or "zone-orig" or "zone-reply" => true,
            "sport" or "dport" => HasPorts,
            "type" or "code" or "id" => protocol == "icmp",
            "srckey" or "dstkey" => protocol == "gre",
            _ => false,
        };

        public bool Set(string key, string value)
        {
            var valid = key switch
            {
                "src" or "dst" => InputRules.CheckIpv4(value) is null,
                "sport" or "dport" or "id" => TryNumber(value, ushort.MaxValue, out _),
                "type" or "code" => TryNumber(value, byte.MaxValue, out _),
                "packets" or "bytes" => TryNumber(value, ulong.MaxValue, out _),
                _ => value.Length <= 32,
            };
            _fields[key] = value;
            return valid;
        }

        public ConntrackTuple? Build()
        {
            if (!_fields.TryGetValue("src", out var source) || !_fields.TryGetValue("dst", out var destination))
                return null;
            var sport = Number("sport");
            var dport = Number("dport");
            var (type, code, id) = (Number("type"), Number("code"), Number("id"));
            var (packets, bytes) = (Number("packets"), Number("bytes"));
            if ((HasPorts && (sport is null || dport is null)) || (protocol == "icmp" && (type is null || code is null || id is null))
                || packets.HasValue != bytes.HasValue)
                return null;
            return new ConntrackTuple(
                IPAddress.Parse(source),
                IPAddress.Parse(destination),
                (ushort?)sport,
                (ushort?)dport,
                protocol == "icmp" ? new ConntrackIcmp((byte)type!.Value, (byte)code!.Value, (ushort)id!.Value) : null,
                packets is { } p && bytes is { } b ? new ConntrackCounters(p, b) : null);
        }

        private ulong? Number(string key) => _fields.TryGetValue(key, out var text) && TryNumber(text, ulong.MaxValue, out var n) ? n : null;
    }

    private static List<string>? Tokenize(string line)
    {
        var tokens = new List<string>();
        var i = 0;
        while (true)
        {
            while (i < line.Length && line[i] is ' ' or '\t')
                i++;
            if (i == line.Length)
                return tokens;
            var start = i;
            if (line[i] == '[')
            {
                i = line.IndexOf(']', i);
                if (i < 0)
                    return null;
                i++;
            }
            else
            {
                while (i < line.Length && line[i] is not (' ' or '\t'))
                    i++;
            }
            if (i - start > MaxTokenLength || tokens.Count == MaxTokens)
                return null;
            tokens.Add(line[start..i]);
        }
    }

    // "[1700000000.123456]": conntrack -E -o timestamp's prefix.
    private static bool TryTimestamp(string token, out long micros)
    {
        micros = 0;
        var dot = token.IndexOf('.');
        if (token.Length < 10 || token[0] != '[' || token[^1] != ']' || dot < 2 || token.Length - dot - 2 != 6 || dot - 1 > 12)
            return false;
        if (!TryNumber(token[1..dot], 999_999_999_999, out var seconds) || !TryNumber(token[(dot + 1)..^1], 999_999, out var fraction))
            return false;
        micros = (long)(seconds * 1_000_000 + fraction);
        return true;
    }

    private static bool IsProtocolName(string word) =>
        word.Length is >= 1 and <= 16 && char.IsAsciiLetterLower(word[0]) && word.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    private static ulong? KnownNumber(string protocol) => protocol switch
    {
        "icmp" => 1,
        "tcp" => 6,
        "udp" => 17,
        _ => null,
    };

    // Digits only: ulong.TryParse also takes signs, spaces and trailing NULs.
    private static bool TryNumber(string text, ulong max, out ulong value)
    {
        value = 0;
        return text.Length is >= 1 and <= 20 && text.All(char.IsAsciiDigit)
            && ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value <= max;
    }
}
