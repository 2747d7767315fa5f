using System.Net;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Model;

/// <summary>
/// One change to a lab, as a typed value. The host driver turns it into argv (Host/CommandBuilder);
/// <see cref="Tutorial"/> is what a person following the tutorial would type for it.
/// </summary>
public abstract record LabOperation(string Namespace)
{
    /// <summary>The tutorial-style equivalent, without the "(host)$" prompt; a remark ("# …") for what the tutorial has no command for.</summary>
    public abstract string Tutorial { get; }

    public bool IsRemark => Tutorial.StartsWith('#');

    /// <summary>False for steps that only make sense once (stopping a pid), which a rebuild script leaves out.</summary>
    public virtual bool Replayable => true;
}

public sealed record CreateNamespace(string Namespace) : LabOperation(Namespace)
{
    public override string Tutorial => $"# a machine of its own: network namespace {Namespace}";
}

public sealed record DeleteNamespace(string Namespace) : LabOperation(Namespace)
{
    public override string Tutorial => $"# remove the machine {Namespace}";
}

/// <summary>A cable between two namespaces: both ends are placed by one command, so no half pair is ever left in the root namespace.</summary>
public sealed record CreateVethPair(string Namespace, string Name, string PeerNamespace, string PeerName) : LabOperation(Namespace)
{
    public override string Tutorial => $"# cable {Name} to {PeerName} of {PeerNamespace}";
}

public sealed record CreateBridge(string Namespace, string Name) : LabOperation(Namespace)
{
    public override string Tutorial => $"brctl addbr {Name}";
}

public sealed record DeleteBridge(string Namespace, string Name) : LabOperation(Namespace)
{
    public override string Tutorial => $"brctl delbr {Name}";
}

public sealed record AddBridgePort(string Namespace, string Bridge, string Port) : LabOperation(Namespace)
{
    public override string Tutorial => $"brctl addif {Bridge} {Port}";
}

public sealed record RemoveBridgePort(string Namespace, string Bridge, string Port) : LabOperation(Namespace)
{
    public override string Tutorial => $"brctl delif {Bridge} {Port}";
}

/// <summary>Gives a link a fixed MAC address (a bridge keeps it then, whichever ports come and go).</summary>
public sealed record SetLinkAddress(string Namespace, string Link, string Mac) : LabOperation(Namespace)
{
    public override string Tutorial => $"ip link set {Link} address {Mac}";
}

public sealed record SetLinkState(string Namespace, string Link, bool Up) : LabOperation(Namespace)
{
    public override string Tutorial => $"ifconfig {Link} {(Up ? "up" : "down")}";
}

public sealed record AddAddress(string Namespace, string Link, InterfaceAddress Address) : LabOperation(Namespace)
{
    public override string Tutorial => $"ifconfig {Link} {Address}";
}

public sealed record RemoveAddress(string Namespace, string Link, InterfaceAddress Address) : LabOperation(Namespace)
{
    public override string Tutorial => $"ip addr del {Address} dev {Link}";
}

public sealed record SetForwarding(string Namespace, bool Enabled) : LabOperation(Namespace)
{
    public override string Tutorial => $"echo {(Enabled ? 1 : 0)} > /proc/sys/net/ipv4/ip_forward";
}

/// <summary>MASQUERADE for traffic from Source leaving its own subnet, tagged with an iptables comment so the app finds its own rules.</summary>
public sealed record AddMasquerade(string Namespace, Subnet Source, string? OutInterface, string Tag) : LabOperation(Namespace)
{
    public override string Tutorial =>
        $"iptables -t nat -A POSTROUTING -s {Source} ! -d {Source}{(OutInterface is null ? "" : $" -o {OutInterface}")} -j MASQUERADE";
}

public sealed record RemoveMasquerade(string Namespace, Subnet Source, string? OutInterface, string Tag) : LabOperation(Namespace)
{
    public override string Tutorial =>
        $"iptables -t nat -D POSTROUTING -s {Source} ! -d {Source}{(OutInterface is null ? "" : $" -o {OutInterface}")} -j MASQUERADE";
}

public sealed record AddRoute(string Namespace, Subnet Destination, IPAddress Gateway, string? Device = null) : LabOperation(Namespace)
{
    public override string Tutorial => Destination.IsDefault
        ? $"route add -net 0.0.0.0/0 gw {Gateway}"
        : $"route add -net {Destination} gw {Gateway}";
}

public sealed record RemoveRoute(string Namespace, Subnet Destination, IPAddress Gateway) : LabOperation(Namespace)
{
    public override string Tutorial => $"route del -net {Destination} gw {Gateway}";
}

/// <summary>Deletes the iptables rule whose words (after its chain) are Spec, as `iptables -S` printed it.</summary>
public sealed record RemoveFirewallRule(string Namespace, string Table, string Chain, IReadOnlyList<string> Spec) : LabOperation(Namespace)
{
    public override string Tutorial => $"iptables -t {Table} -D {Chain}{string.Concat(Spec.Select(word => " " + IptablesWords.Quote(word)))}";
}

/// <summary>Deletes a route that drops traffic instead of forwarding it (blackhole, unreachable, prohibit or throw).</summary>
public sealed record RemoveBlockingRoute(string Namespace, Subnet Destination, string Type) : LabOperation(Namespace)
{
    public override string Tutorial => $"ip route del {Type} {Destination}";
}

/// <summary>
/// Reverse-path filtering on a link, or on "all": the kernel applies the larger of all's and the link's value,
/// so loosening one link may need all too.
/// </summary>
public sealed record SetRpFilter(string Namespace, string Link, int Mode) : LabOperation(Namespace)
{
    public override string Tutorial => $"echo {Mode} > /proc/sys/net/ipv4/conf/{Link}/rp_filter";
}

public sealed record SetMtu(string Namespace, string Link, int Mtu) : LabOperation(Namespace)
{
    public override string Tutorial => $"ifconfig {Link} mtu {Mtu}";
}

/// <summary>Forgets every tracked connection, so the next packet of each is judged (and NATed) afresh.</summary>
public sealed record FlushConntrack(string Namespace) : LabOperation(Namespace)
{
    public override string Tutorial => "conntrack -F";
}

/// <summary>The wan's internet server: busybox httpd on port 80, serving WebRoot (ping is answered by the kernel).</summary>
public sealed record StartInternetServer(string Namespace, string WebRoot) : LabOperation(Namespace)
{
    public override string Tutorial => $"busybox httpd -p 80 -h {WebRoot}   # the internet server";
}

/// <summary>Stops one process the lab started, by pid.</summary>
public sealed record StopProcess(string Namespace, int Pid, bool Force) : LabOperation(Namespace)
{
    public override string Tutorial => $"kill {(Force ? "-KILL " : "")}{Pid}";
    public override bool Replayable => false;
}

/// <summary>
/// Starts a VM's QEMU inside the host namespace, so QEMU creates its tap there as in the tutorial.
/// Disk is the resolved disk image, null for the built-in guest.
/// </summary>
public sealed record StartVm(string Namespace, VmDefinition Vm, VmPaths Paths, GuestImage Guest, DiskImageFile? Disk, bool Kvm)
    : LabOperation(Namespace)
{
    public override string Tutorial =>
        $"qemu-system-x86_64 -m {Vm.MemoryMb} {(Vm.IsBuiltin ? "-kernel vmlinuz -initrd initrd.gz" : Vm.Image)} "
        + $"-netdev tap,id=mynet0,ifname={Vm.Tap},script=no,downscript=no -device {QemuNic.Device(Vm.Nic)},netdev=mynet0,mac={Vm.Mac}";
}

/// <summary>
/// A trace's probe from a namespace: one ping, one HTTP request (a TCP connection to the port), or one DNS query;
/// journaled, never part of a rebuild.
/// </summary>
public sealed record Probe(string Namespace, System.Net.IPAddress Target, TraceProtocol Protocol) : LabOperation(Namespace)
{
    public override string Tutorial => Protocol.GuestCommand(Target);
    public override bool Replayable => false;
}

/// <summary>One ping from a namespace (the external PC, the host) to an address; a probe, journaled but not part of a rebuild.</summary>
public sealed record Ping(string Namespace, System.Net.IPAddress Target) : LabOperation(Namespace)
{
    public override string Tutorial => $"ping -c 1 {Target}";
    public override bool Replayable => false;
}

/// <summary>QEMU's name for a NIC model.</summary>
public static class QemuNic
{
    public static string Device(NicModel nic) => nic == NicModel.VirtioNet ? "virtio-net-pci" : "e1000";
}

/// <summary>The comment on every iptables rule a lab adds, so its rules are found again and only its own are removed.</summary>
public static class RuleTags
{
    public static string Of(string lab) => $"netdash:{lab}";
}
