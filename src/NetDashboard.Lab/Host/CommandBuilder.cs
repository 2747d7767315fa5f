using System.Net;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Host;

/// <summary>
/// The one place that turns typed operations into argv. Golden-tested in NetDashboard.Lab.Tests.
/// Names stand after `name` or `dev`, where iproute2 takes the next word literally, never in a keyword position.
/// </summary>
public static class CommandBuilder
{
    public const string Ip = "ip";
    public const string Bridge = "bridge";

    public static HostCommand Build(LabOperation operation) => operation switch
    {
        CreateNamespace op => IpCmd("netns", "add", op.Namespace),
        DeleteNamespace op => IpCmd("netns", "del", op.Namespace),
        CreateVethPair op => IpIn(op.Namespace, "link", "add", "name", op.Name, "type", "veth", "peer", "name", op.PeerName, "netns", op.PeerNamespace),
        CreateBridge op => IpIn(op.Namespace, "link", "add", "name", op.Name, "type", "bridge"),
        DeleteBridge op => IpIn(op.Namespace, "link", "del", "dev", op.Name),
        AddBridgePort op => IpIn(op.Namespace, "link", "set", "dev", op.Port, "master", op.Bridge),
        RemoveBridgePort op => IpIn(op.Namespace, "link", "set", "dev", op.Port, "nomaster"),
        SetLinkState op => IpIn(op.Namespace, "link", "set", "dev", op.Link, op.Up ? "up" : "down"),
        SetLinkAddress op => IpIn(op.Namespace, "link", "set", "dev", op.Link, "address", op.Mac),
        AddAddress op => IpIn(op.Namespace, "addr", "add", op.Address.ToString(), "dev", op.Link),
        RemoveAddress op => IpIn(op.Namespace, "addr", "del", op.Address.ToString(), "dev", op.Link),
        SetForwarding op => Exec(op.Namespace, "sysctl", "-q", "-w", $"net.ipv4.ip_forward={(op.Enabled ? 1 : 0)}"),
        AddMasquerade op => Exec(op.Namespace, ["iptables", "-w", "-t", "nat", "-A", .. MasqueradeSpec(op.Source.ToString(), op.OutInterface, op.Tag)]),
        RemoveMasquerade op => Exec(op.Namespace, ["iptables", "-w", "-t", "nat", "-D", .. MasqueradeSpec(op.Source.ToString(), op.OutInterface, op.Tag)]),
        AddRoute { Device: null } op => IpIn(op.Namespace, "route", "add", op.Destination.ToString(), "via", op.Gateway.ToString()),
        AddRoute op => IpIn(op.Namespace, "route", "add", op.Destination.ToString(), "via", op.Gateway.ToString(), "dev", op.Device),
        RemoveRoute op => IpIn(op.Namespace, "route", "del", op.Destination.ToString(), "via", op.Gateway.ToString()),
        RemoveFirewallRule op => Exec(op.Namespace, ["iptables", "-w", "-t", op.Table, "-D", op.Chain, .. op.Spec]),
        RemoveBlockingRoute op => IpIn(op.Namespace, "route", "del", op.Type, op.Destination.ToString()),
        // The slash form: sysctl would read the dots of an interface name like eth0.100 as separators.
        SetRpFilter op => Exec(op.Namespace, "sysctl", "-q", "-w", $"net/ipv4/conf/{op.Link}/rp_filter={Number(op.Mode)}"),
        SetMtu op => IpIn(op.Namespace, "link", "set", "dev", op.Link, "mtu", Number(op.Mtu)),
        FlushConntrack op => Exec(op.Namespace, "conntrack", "-F"),
        StartInternetServer op => Exec(op.Namespace, "busybox", "httpd", "-p", "80", "-h", op.WebRoot),
        StopProcess op => new HostCommand("kill", op.Force ? ["-KILL", Number(op.Pid)] : ["-TERM", Number(op.Pid)]),
        StartVm op => Exec(op.Namespace, ["qemu-system-x86_64", .. QemuArguments(op)]),
        Ping op => Exec(op.Namespace, "ping", "-c", "1", "-W", "2", op.Target.ToString()),
        // -M do: the packet is sent whole with DF, as a guest's ping does, so a smaller MTU on the way shows.
        Probe { Protocol: { Kind: TraceProtocolKind.Icmp, Size: > 0 } } op =>
            Exec(op.Namespace, "ping", "-c", "1", "-W", "1", "-M", "do", "-s", op.Protocol.Size.ToString(System.Globalization.CultureInfo.InvariantCulture), op.Target.ToString()),
        Probe { Protocol.Kind: TraceProtocolKind.Icmp } op => Exec(op.Namespace, "ping", "-c", "1", "-W", "1", op.Target.ToString()),
        Probe { Protocol.Kind: TraceProtocolKind.Tcp } op =>
            Exec(op.Namespace, "busybox", "wget", "-q", "-O", "/dev/null", $"http://{op.Target}:{op.Protocol.Port}/"),
        Probe op => Exec(op.Namespace, "busybox", "nslookup", TraceProtocol.DnsName, op.Target.ToString()),
        StartPacketTrace op => Exec(op.Namespace, "nft", op.Script),
        StopPacketTrace op => Exec(op.Namespace, "nft", "delete", "table", "ip", StartPacketTrace.Table),
        _ => throw new NotSupportedException($"no command is known for {operation.GetType().Name}"),
    };



    /// <summary>QEMU's option syntax splits on commas; a literal comma is written twice.</summary>
    public static string QemuEscape(string value) => value.Replace(",", ",,", StringComparison.Ordinal);

    private static IReadOnlyList<string> QemuArguments(StartVm op)
    {
        var vm = op.Vm;
        var paths = op.Paths;
        var args = new List<string>
        {
            "-name", QemuEscape(vm.Name),
            "-machine", $"pc,accel={(op.Kvm ? "kvm" : "tcg")}",
            "-m", vm.MemoryMb.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-nodefaults", "-no-user-config",
            "-vga", "std",
            "-vnc", $"unix:{QemuEscape(paths.Vnc)}",
            "-qmp", $"unix:{QemuEscape(paths.Qmp)},server=on,wait=off",
            // logappend=on: QEMU writes at the log's end, so when the app empties a full log (Vms/SerialLog) it goes on from there.
            "-chardev", $"socket,id=console,path={QemuEscape(paths.Serial)},server=on,wait=off,logfile={QemuEscape(paths.SerialLog)},logappend=on",
            "-serial", "chardev:console",
            "-chardev", $"socket,id=agent,path={QemuEscape(paths.Agent)},server=on,wait=off",
            "-serial", "chardev:agent",
            "-netdev", $"tap,id=mynet0,ifname={vm.Tap},script=no,downscript=no",
            // e1000 would otherwise emulate ~2 s of link autonegotiation after every link up.
            "-device", $"{QemuNic.Device(vm.Nic)},netdev=mynet0,mac={vm.Mac}{(vm.Nic == NicModel.E1000 ? ",autonegotiation=off" : "")}",
        };
        if (vm.IsBuiltin)
        {
            // eth0 starts unconfigured: the lab configures it as the tutorial does, by commands in the guest.
            args.AddRange(["-kernel", QemuEscape(op.Guest.Kernel), "-initrd", QemuEscape(op.Guest.Initrd),
                // no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer check can fail and panic the boot.
                "-append", $"console=ttyS0 quiet no_timer_check netdash.name={vm.Name} netdash.ipv6=0"]);
        }
        else if (op.Disk is { } disk)
        {
            // snapshot=on: the image file is never written, so two VMs may boot the same one.
            args.AddRange(["-drive", $"file={QemuEscape(disk.Path)},format={disk.Format},if=virtio,snapshot=on"]);
        }
        else
        {
            throw new ArgumentException($"VM {vm.Name} boots a disk image, but none was resolved", nameof(op));
        }
        args.AddRange(["-daemonize", "-pidfile", paths.PidFile]);
        return args;
    }

    private static IReadOnlyList<string> MasqueradeSpec(string source, string? outInterface, string tag) =>
    [
        "POSTROUTING", "-s", source, "!", "-d", source,
        .. outInterface is null ? Array.Empty<string>() : ["-o", outInterface],
        "-m", "comment", "--comment", tag, "-j", "MASQUERADE",
    ];

    private static string Number(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static HostCommand IpCmd(params string[] args) => new(Ip, args);

    private static HostCommand IpIn(string ns, params string[] args) => new(Ip, ["-n", ns, .. args]);

    private static HostCommand Exec(string ns, params string[] argv) => KernelReads.Exec(ns, argv);
}
