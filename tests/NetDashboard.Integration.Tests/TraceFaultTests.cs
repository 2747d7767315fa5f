using NetDashboard.Lab.Model;

namespace NetDashboard.Integration.Tests;

// The fault corpus beyond the tutorial's own faults: each made in a shell as a person makes it, on seed-nat booted once.
// Every verdict must name its cause, where the packet stopped and the kernel's own words, and its fix must make the
// next trace get the reply.
public sealed partial class SeedNatTraceTests
{
    private Task WanAsync(params string[] argv) => ShellAsync(NamespaceRole.Wan, argv);

    private async Task ShellAsync(NamespaceRole role, params string[] argv)
    {
        var result = await Lab.ExecAsync(role, argv);
        Assert.True(result.ExitCode == 0, $"({role.Word()})$ {string.Join(' ', argv)}: {result.StandardError}");
    }

    /// <summary>Runs a command that undoes a fault; it may fail when the fix already undid it.</summary>
    private async Task TryAsync(NamespaceRole role, params string[] argv) => await Lab.ExecAsync(role, argv);

    [Fact]
    public Task Trace_Ens160Down_StoppedAfterBr0UplinkDownNetworkUnreachableAndUpPlusTheDefaultRouteFixes() =>
        seedNat.FaultFixedAsync(
            make: () => HostShell.RunAsync(Lab, "ip", "link", "set", "ens160", "down"),
            undo: async () =>
            {
                await HostShell.RunAsync(Lab, "ip", "link", "set", "ens160", "up");
                await HostShell.RunAsync(Lab, "ip", "route", "replace", "default", "via", "10.180.13.1");
            },
            reason: "uplink-down", stoppedAfter: "host/br0", fix: "(host)$ ifconfig ens160 up ; route add default gw 10.180.13.1",
            evidence: "ip route get 203.0.113.5 from 192.168.1.10 iif br0 → RTNETLINK answers: Network is unreachable");

    [Fact]
    public Task Trace_ForwardDropRule_StoppedAfterBr0TheRuleNamedWithItsCountersAndRemovingItFixes() =>
        seedNat.FaultFixedAsync(
            make: () => HostShell.RunAsync(Lab, "iptables", "-w", "-I", "FORWARD", "-j", "DROP"),
            undo: () => TryAsync(NamespaceRole.Host, "iptables", "-w", "-D", "FORWARD", "-j", "DROP"),
            reason: "firewall-drop", stoppedAfter: "host/br0", fix: "(host)$ iptables -t filter -D FORWARD -j DROP",
            evidence: "filter:FORWARD:DROP -A FORWARD -j DROP");

    [Fact]
    public Task Trace_WanDropsItsReplies_ArrivedTheWansOutputRuleNamedAndRemovingItFixes() =>
        seedNat.FaultFixedAsync(
            make: () => WanAsync("iptables", "-w", "-I", "OUTPUT", "-p", "icmp", "--icmp-type", "echo-reply", "-j", "DROP"),
            undo: () => TryAsync(NamespaceRole.Wan, "iptables", "-w", "-D", "OUTPUT", "-p", "icmp", "--icmp-type", "echo-reply", "-j", "DROP"),
            reason: "firewall-drop", stoppedAfter: "wan/eth0", fix: "(wan)$ iptables -t filter -D OUTPUT -p icmp -m icmp --icmp-type 0 -j DROP",
            evidence: "filter:OUTPUT:DROP -A OUTPUT -p icmp -m icmp --icmp-type 0 -j DROP");

    [Fact]
    public Task Trace_BlackholeRoute_StoppedAfterBr0TheKernelsInvalidArgumentAndDeletingTheRouteFixes() =>
        seedNat.FaultFixedAsync(
            make: () => HostShell.RunAsync(Lab, "ip", "route", "add", "blackhole", "203.0.113.0/24"),
            undo: () => TryAsync(NamespaceRole.Host, "ip", "route", "del", "blackhole", "203.0.113.0/24"),
            reason: "blocking-route", stoppedAfter: "host/br0", fix: "(host)$ ip route del blackhole 203.0.113.0/24",
            evidence: "RTNETLINK answers: Invalid argument");

    [Fact]
    public Task Trace_ProhibitRoute_StoppedAfterBr0PermissionDeniedAndDeletingTheRouteFixes() =>
        seedNat.FaultFixedAsync(
            make: () => HostShell.RunAsync(Lab, "ip", "route", "add", "prohibit", "203.0.113.0/25"),
            undo: () => TryAsync(NamespaceRole.Host, "ip", "route", "del", "prohibit", "203.0.113.0/25"),
            reason: "blocking-route", stoppedAfter: "host/br0", fix: "(host)$ ip route del prohibit 203.0.113.0/25",
            evidence: "RTNETLINK answers: Permission denied");

    [Fact]
    public Task Trace_UnreachableRouteToTheServer_StoppedAfterBr0NoRouteToHostAndDeletingTheRouteFixes() =>
        seedNat.FaultFixedAsync(
            make: () => HostShell.RunAsync(Lab, "ip", "route", "add", "unreachable", "203.0.113.5"),
            undo: () => TryAsync(NamespaceRole.Host, "ip", "route", "del", "unreachable", "203.0.113.5"),
            reason: "blocking-route", stoppedAfter: "host/br0", fix: "(host)$ ip route del unreachable 203.0.113.5/32",
            evidence: "RTNETLINK answers: No route to host");

    // Strict reverse-path filtering with an asymmetric route: policy routing sends what comes in on br0 (marked) out of
    // ens160, but the main table, which the filter asks for the reply's source, says 203.0.113.5 is behind br0.
    [Fact]
    public async Task Trace_StrictRpFilterWithAnAsymmetricRoute_ReplyDiesOnEns160TheKernelsRpFilterDropAndLooseModeFixes()
    {
        var before = (await Lab.ExecAsync(NamespaceRole.Host, "sysctl", "-n", "net.ipv4.conf.all.rp_filter", "net.ipv4.conf.ens160.rp_filter")).StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        await seedNat.FaultFixedAsync(
            make: async () =>
            {
                await HostShell.RunAsync(Lab, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=1", "net.ipv4.conf.ens160.rp_filter=1");
                await HostShell.RunAsync(Lab, "iptables", "-w", "-t", "mangle", "-A", "PREROUTING", "-i", "br0", "-j", "MARK", "--set-mark", "1");
                await HostShell.RunAsync(Lab, "ip", "rule", "add", "fwmark", "1", "lookup", "100", "pref", "100");
                await HostShell.RunAsync(Lab, "ip", "route", "add", "default", "via", "10.180.13.1", "dev", "ens160", "table", "100");
                await HostShell.RunAsync(Lab, "ip", "route", "add", "203.0.113.5/32", "dev", "br0");
            },
            undo: async () =>
            {
                await TryAsync(NamespaceRole.Host, "ip", "route", "del", "203.0.113.5/32", "dev", "br0");
                await TryAsync(NamespaceRole.Host, "ip", "route", "flush", "table", "100");
                await TryAsync(NamespaceRole.Host, "ip", "rule", "del", "pref", "100");
                await TryAsync(NamespaceRole.Host, "iptables", "-w", "-t", "mangle", "-D", "PREROUTING", "-i", "br0", "-j", "MARK", "--set-mark", "1");
                await TryAsync(NamespaceRole.Host, "sysctl", "-qw", $"net.ipv4.conf.all.rp_filter={before[0]}", $"net.ipv4.conf.ens160.rp_filter={before[1]}");
            },
            reason: "reverse-path", stoppedAfter: "wan/eth0", fix: "(host)$ echo 2 > /proc/sys/net/ipv4/conf/ens160/rp_filter",
            evidence: "IP_RPFILTER in ip_rcv_finish_core");
    }

    // vm1 holds a static ARP entry for its gateway with a MAC nobody has: br0 (promiscuous while captured) takes the
    // frame in and IP drops it as another host's.
    [Fact]
    public Task Trace_WrongStaticArpEntryInTheGuest_StoppedAfterBr0TheGuestsEntryQuotedAndDeletingItFixes() =>
        seedNat.FaultFixedAsync(
            make: () => seedNat.GuestAsync("arp -s 192.168.1.1 02:00:00:00:00:01"),
            undo: () => seedNat.GuestOutputAsync("arp -d 192.168.1.1 || true"),
            reason: "wrong-neighbour", stoppedAfter: "host/br0", fix: "(vm1)$ arp -d 192.168.1.1",
            evidence: "(vm1)$ ip neigh → 192.168.1.1 lladdr 02:00:00:00:00:01 PERMANENT");

    [Fact]
    public Task Trace_Mtu576OnEns160WithA1400ByteProbe_StoppedAfterBr0PacketTooBigAndTheMtuFixes() =>
        seedNat.FaultFixedAsync(
            make: () => HostShell.RunAsync(Lab, "ip", "link", "set", "ens160", "mtu", "576"),
            undo: () => HostShell.RunAsync(Lab, "ip", "link", "set", "ens160", "mtu", "1500"),
            reason: "too-big", stoppedAfter: "host/br0", fix: "(host)$ ifconfig ens160 mtu 1500",
            evidence: "PKT_TOO_BIG in ip_forward", protocol: "icmp:1400");

    [Fact]
    public Task Trace_InternetServersAddressRemoved_ReachedTheWanButNotArrivedNoSuchAddressAndAddingItBackFixes() =>
        seedNat.FaultFixedAsync(
            make: () => WanAsync("ip", "addr", "del", "203.0.113.5/32", "dev", "lo"),
            undo: () => TryAsync(NamespaceRole.Wan, "ip", "addr", "add", "203.0.113.5/32", "dev", "lo"),
            reason: "no-such-address", stoppedAfter: "wan/eth0", fix: "(wan)$ ip addr add 203.0.113.5/32 dev lo",
            evidence: "IP_INADDRERRORS");

    [Fact]
    public Task Trace_Tap0Down_NotSeenAnywhereTapDownAndUpFixes() =>
        seedNat.FaultFixedAsync(
            make: () => HostShell.RunAsync(Lab, "ip", "link", "set", "tap0", "down"),
            undo: () => HostShell.RunAsync(Lab, "ip", "link", "set", "tap0", "up"),
            reason: "tap-down", stoppedAfter: null, fix: "(host)$ ifconfig tap0 up", evidence: "tap0 state DOWN");
}
