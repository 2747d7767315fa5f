using NetDashboard.Lab.Model;

namespace NetDashboard.Component.Tests;

/// <summary>Hand-built kernel snapshots shaped like the nat-pc lab.</summary>
internal static class LabFixtures
{
    public const string LabName = "natpc";

    /// <summary>Settings for the real lab services over a runtime folder of the test's own, with no guest to boot.</summary>
    public static LabSettings NoGuestSettings(string runtime) => new()
    {
        RuntimeRoot = runtime,
        Lab = new LabServiceOptions { LabsFolder = runtime },
        GuestImageFolder = "/nonexistent",
        ImageFolders = [],
        Accelerator = QemuAccelerator.Tcg,
    };

    public static LinkState Link(string name, string kind, bool up = true, string? master = null, bool noCarrier = false, params string[] addresses) => new()
    {
        Name = name,
        Kind = kind,
        AdminUp = up,
        NoCarrier = noCarrier,
        OperState = up && !noCarrier ? "UP" : "DOWN",
        Master = master,
        Addresses = addresses.Select(InterfaceAddress.Parse).ToList(),
    };

    public static NatRule Masquerade(string source) =>
        new("POSTROUTING", source, source, null, "MASQUERADE", "netdash-natpc",
            $"-A POSTROUTING -s {source} ! -d {source} -m comment --comment netdash-natpc -j MASQUERADE");

    public static NamespaceState Host(bool forwarding = true, params LinkState[] extra) => new(
        new LabNamespaces(LabName).Host, NamespaceRole.Host, true,
        [
            Link("lo", "loopback", addresses: "127.0.0.1/8"),
            Link("ens160", "veth", addresses: "10.180.13.232/24"),
            Link("ens192", "veth", master: "br0"),
            Link("br0", "bridge", addresses: "192.168.1.1/24"),
            .. extra,
        ],
        [new RouteState("default", "10.180.13.1", "ens160", null, null)],
        forwarding,
        [Masquerade("192.168.1.0/24")]);

    public static NamespaceState Wan() => new(
        new LabNamespaces(LabName).Wan, NamespaceRole.Wan, true,
        [Link("lo", "loopback", addresses: ["127.0.0.1/8", "203.0.113.5/32"]), Link("eth0", "veth", addresses: "10.180.13.1/24")],
        [], false, []);

    public static NamespaceState Pc() => new(
        new LabNamespaces(LabName).Pc, NamespaceRole.Pc, true,
        [Link("lo", "loopback", addresses: "127.0.0.1/8"), Link("eth0", "veth", addresses: "192.168.1.3/24")],
        [], false, []);

    public static Topology NatPc(NamespaceState? host = null) =>
        new(LabName, DateTimeOffset.UnixEpoch, [host ?? Host(), Wan(), Pc()]);
}
