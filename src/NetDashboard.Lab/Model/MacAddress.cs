using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace NetDashboard.Lab.Model;

/// <summary>An Ethernet MAC address, kept in lowercase colon form.</summary>
public sealed record MacAddress
{
    private MacAddress(byte[] bytes) => Bytes = bytes;

    public IReadOnlyList<byte> Bytes { get; }

    public bool IsMulticast => (Bytes[0] & 0x01) != 0;
    public bool IsZero => Bytes.All(b => b == 0);
    public bool IsLocallyAdministered => (Bytes[0] & 0x02) != 0;

    /// <summary>Why this MAC cannot be a NIC's address, or null when it can.</summary>
    public string? Problem =>
        IsZero ? "a MAC address cannot be all zeros"
        : IsMulticast ? "a NIC's MAC address must be unicast (the lowest bit of the first byte clear)"
        : null;

    public static bool TryParse(string? text, [NotNullWhen(true)] out MacAddress? result)
    {
        result = null;
        var parts = text?.Split(':');
        if (parts is not { Length: 6 }) return false;
        var bytes = new byte[6];
        for (var i = 0; i < 6; i++)
        {
            // Two hex digits: byte.TryParse also takes a trailing NUL ("3\0").
            if (parts[i].Length != 2 || !parts[i].All(char.IsAsciiHexDigit) || !byte.TryParse(parts[i], NumberStyles.AllowHexSpecifier, null, out bytes[i]))
                return false;
        }
        result = new MacAddress(bytes);
        return true;
    }

    public static MacAddress Parse(string text) =>
        TryParse(text, out var result) ? result : throw new FormatException($"'{text}' is not a MAC address");

    public static MacAddress FromBytes(ReadOnlySpan<byte> bytes) =>
        bytes.Length == 6 ? new MacAddress(bytes.ToArray()) : throw new ArgumentException("a MAC address has six bytes", nameof(bytes));

    public bool Equals(MacAddress? other) => other is not null && Bytes.SequenceEqual(other.Bytes);

    public override int GetHashCode() => HashCode.Combine(Bytes[0], Bytes[3], Bytes[4], Bytes[5]);

    public override string ToString() => string.Join(':', Bytes.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
}
