using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace NetDashboard.Lab.Model;

/// <summary>An IPv4 address on an interface with its prefix length, e.g. 192.168.1.1/24 (host bits allowed).</summary>
public sealed record InterfaceAddress(IPAddress Address, int PrefixLength)
{
    public static bool TryParse(string? text, [NotNullWhen(true)] out InterfaceAddress? result)
    {
        result = null;
        var parts = text?.Split('/');
        // Digits only: int.TryParse also takes trailing NULs ("24\0"), and the value must be refused, not cleaned.
        if (parts is not [var ip, { Length: 1 or 2 } prefix] || InputRules.CheckIpv4(ip) is not null || !prefix.All(char.IsAsciiDigit))
            return false;
        var length = int.Parse(prefix, System.Globalization.CultureInfo.InvariantCulture);
        if (length > 32)
            return false;
        result = new InterfaceAddress(IPAddress.Parse(ip), length);
        return true;
    }

    public static InterfaceAddress Parse(string text) =>
        TryParse(text, out var result) ? result : throw new FormatException($"'{text}' is not an IPv4 address with prefix length");

    /// <summary>The subnet this address lives in (host bits cleared).</summary>
    public Subnet Network => new(new IPNetwork(Mask(Address, PrefixLength), PrefixLength));

    internal static IPAddress Mask(IPAddress address, int prefixLength)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var bitsInByte = Math.Clamp(prefixLength - i * 8, 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - bitsInByte));
        }
        return new IPAddress(bytes);
    }

    public override string ToString() => $"{Address}/{PrefixLength}";
}

/// <summary>An IPv4 network with host bits zero, e.g. 192.168.1.0/24 or 0.0.0.0/0.</summary>
public sealed record Subnet(IPNetwork Network)
{
    public static bool TryParse(string? text, [NotNullWhen(true)] out Subnet? result)
    {
        result = null;
        if (!InterfaceAddress.TryParse(text, out var address)) return false;
        if (!address.Address.Equals(InterfaceAddress.Mask(address.Address, address.PrefixLength))) return false;
        result = new Subnet(new IPNetwork(address.Address, address.PrefixLength));
        return true;
    }

    public static Subnet Parse(string text) =>
        TryParse(text, out var result) ? result : throw new FormatException($"'{text}' is not an IPv4 subnet");

    public bool IsDefault => Network.PrefixLength == 0;

    public bool Contains(IPAddress address) => address.AddressFamily == AddressFamily.InterNetwork && Network.Contains(address);

    public override string ToString() => $"{Network.BaseAddress}/{Network.PrefixLength}";
}
