using System.Net;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Vms;

/// <summary>The tutorial's guest commands that give eth0 its address and the guest its default route.</summary>
public static class GuestSetup
{
    /// <summary>
    /// What still has to run, judged from the guest's `ip addr show dev eth0; ip route show` output,
    /// so configuring a configured guest runs nothing.
    /// </summary>
    public static IReadOnlyList<string> CommandsFor(VmDefinition vm, string guestState)
    {
        var commands = new List<string>();
        if (vm.Address is { } address
            && (!guestState.Contains($"inet {address} ", StringComparison.Ordinal) || !IsUp(guestState)))
            commands.Add(IfconfigCommand(address));
        if (vm.Gateway is { } gateway && !guestState.Contains($"default via {gateway} ", StringComparison.Ordinal))
            commands.Add($"route add -net 0.0.0.0/0 gw {gateway}");
        return commands;
    }

    /// <summary>`ifconfig eth0 192.168.1.10` as the tutorial writes it; the netmask is spelled out only when it is not the classful default.</summary>
    public static string IfconfigCommand(InterfaceAddress address)
    {
        var first = address.Address.GetAddressBytes()[0];
        var classful = first < 128 ? 8 : first < 192 ? 16 : 24;
        return address.PrefixLength == classful
            ? $"ifconfig eth0 {address.Address}"
            : $"ifconfig eth0 {address.Address} netmask {MaskOf(address.PrefixLength)} up";
    }

    private static bool IsUp(string guestState)
    {
        var flags = guestState.Split('\n').FirstOrDefault(l => l.Contains("eth0:", StringComparison.Ordinal)) ?? "";
        var open = flags.IndexOf('<');
        var close = flags.IndexOf('>');
        return open >= 0 && close > open && flags[(open + 1)..close].Split(',').Contains("UP");
    }

    private static IPAddress MaskOf(int prefixLength)
    {
        var mask = prefixLength == 0 ? 0u : uint.MaxValue << (32 - prefixLength);
        return new IPAddress([(byte)(mask >> 24), (byte)(mask >> 16), (byte)(mask >> 8), (byte)mask]);
    }
}
