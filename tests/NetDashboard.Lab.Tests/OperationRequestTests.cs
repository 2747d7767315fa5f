using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Tests;

/// <summary>The operations a trace's fixes offer: each request becomes its typed operation, or is refused naming its field.</summary>
public sealed class OperationRequestTests
{
    private const string HostNs = "netdash-t1-host";

    private static LabOperation Valid(OperationRequest request)
    {
        var (operation, problems) = request.ToOperation("t1");

        Assert.Empty(problems);
        return Assert.IsAssignableFrom<LabOperation>(operation);
    }

    private static void RefusedOn(OperationRequest request, params string[] fields)
    {
        var (operation, problems) = request.ToOperation("t1");

        Assert.Null(operation);
        Assert.Equal(fields.Order(StringComparer.Ordinal), problems.Select(p => p.Field).Order(StringComparer.Ordinal));
    }

    private static OperationRequest FirewallRule(string? table, string? rule) => new() { Kind = "removeFirewallRule", Table = table, Rule = rule };

    [Fact]
    public void Kinds_TheFiveForTraceFixes_Listed() =>
        Assert.Subset(OperationRequest.Kinds.ToHashSet(), new HashSet<string> { "removeFirewallRule", "removeBlockingRoute", "setRpFilter", "setMtu", "flushConntrack" });

    [Fact]
    public void RemoveFirewallRule_RuleAsIptablesPrintsIt_ChainAndSpecSplit()
    {
        var operation = Assert.IsType<RemoveFirewallRule>(Valid(FirewallRule("filter", "-A FORWARD -j DROP")));

        Assert.Equal((HostNs, "filter", "FORWARD"), (operation.Namespace, operation.Table, operation.Chain));
        Assert.Equal(["-j", "DROP"], operation.Spec);
        Assert.Equal("iptables -t filter -D FORWARD -j DROP", operation.Tutorial);
    }

    [Fact]
    public void RemoveFirewallRule_QuotedComment_OneWordQuotedAgainInTheTutorial()
    {
        var operation = Assert.IsType<RemoveFirewallRule>(Valid(
            FirewallRule("mangle", "-A INPUT -s 203.0.113.0/24 -p icmp -m comment --comment \"x y\" -j DROP")));

        Assert.Equal(["-s", "203.0.113.0/24", "-p", "icmp", "-m", "comment", "--comment", "x y", "-j", "DROP"], operation.Spec);
        Assert.Equal("iptables -t mangle -D INPUT -s 203.0.113.0/24 -p icmp -m comment --comment \"x y\" -j DROP", operation.Tutorial);
        Assert.Equal(
            ["ip", "netns", "exec", HostNs, "iptables", "-w", "-t", "mangle", "-D", "INPUT",
                "-s", "203.0.113.0/24", "-p", "icmp", "-m", "comment", "--comment", "x y", "-j", "DROP"],
            CommandBuilder.Build(operation).Argv);
    }

    [Fact]
    public void RemoveFirewallRule_EscapedQuoteInComment_KeptAndEscapedInTheTutorial()
    {
        var operation = Assert.IsType<RemoveFirewallRule>(Valid(FirewallRule("filter", "-A INPUT -m comment --comment \"say \\\"hi\\\" $HOME\" -j ACCEPT")));

        Assert.Equal("say \"hi\" $HOME", operation.Spec[3]);
        Assert.Equal("iptables -t filter -D INPUT -m comment --comment \"say \\\"hi\\\" \\$HOME\" -j ACCEPT", operation.Tutorial);
    }

    [Theory]
    [InlineData("-A INPUT ! -s 10.0.0.0/8 -j DROP")]
    [InlineData("-A FORWARD")]
    [InlineData("-A my_chain.v2-x -m conntrack --ctstate INVALID -j DROP")]
    [InlineData("-A POSTROUTING -m statistic --mode random --probability 0.5 -j MASQUERADE")]
    public void RemoveFirewallRule_OrdinaryRule_Accepted(string rule) => Valid(FirewallRule("nat", rule));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("NAT")]
    [InlineData("broute")]
    [InlineData("filter ")]
    public void RemoveFirewallRule_TableNotOneOfTheFive_RefusedOnTable(string? table) => RefusedOn(FirewallRule(table, "-A FORWARD -j DROP"), "table");

    [Theory]
    [InlineData(null, "is required")]
    [InlineData("", "as `iptables -S` prints it")]
    [InlineData("-I FORWARD -j DROP", "-A, then a chain")]
    [InlineData("FORWARD -j DROP", "-A, then a chain")]
    [InlineData("-A", "-A, then a chain")]
    [InlineData("-A -j DROP", "-A, then a chain")]
    [InlineData("-A ABCDEFGHIJKLMNOPQRSTUVWXYZ123 -j DROP", "-A, then a chain")]
    [InlineData("-A FOR/WARD -j DROP", "-A, then a chain")]
    [InlineData("-A FORWARD 3", "rule number")]
    [InlineData("-A FORWARD -j DROP --modprobe /tmp/x", "--modprobe")]
    [InlineData("-A FORWARD -j DROP --modprobe=/tmp/x", "--modprobe")]
    [InlineData("-A FORWARD -j DROP --modp=/tmp/x", "--modprobe")]
    [InlineData("-A FORWARD -M /tmp/x -j DROP", "--modprobe")]
    [InlineData("-A FORWARD -vM /tmp/x -j DROP", "--modprobe")]
    [InlineData("-A FORWARD -t nat -j DROP", "table")]
    [InlineData("-A FORWARD --table nat -j DROP", "table")]
    [InlineData("-A FORWARD --table=nat -j DROP", "table")]
    [InlineData("-A FORWARD -vtnat -j DROP", "table")]
    [InlineData("-A FORWARD -m comment --comment \"x y -j DROP", "never closed")]
    [InlineData("-A FORWARD -j DROP\n-A INPUT -j DROP", "printable ASCII")]
    [InlineData("-A FORWARD\t-j DROP", "printable ASCII")]
    [InlineData("-A FORWARD -m comment --comment caf\u00e9 -j DROP", "printable ASCII")]
    public void RemoveFirewallRule_RuleIptablesWouldMisreadOrAct_RefusedOnRule(string? rule, string reason)
    {
        var (operation, problems) = FirewallRule("filter", rule).ToOperation("t1");

        Assert.Null(operation);
        var problem = Assert.Single(problems);
        Assert.Equal("rule", problem.Field);
        Assert.Contains(reason, problem.Message);
    }

    [Fact]
    public void RemoveFirewallRule_OverFiveHundredTwelveCharacters_RefusedOnRule() =>
        RefusedOn(FirewallRule("filter", "-A FORWARD -m comment --comment " + new string('x', 490) + " -j DROP"), "rule");

    [Fact]
    public void RemoveFirewallRule_SixtyFourWords_AcceptedAndOneMoreRefused()
    {
        string Rule(int words) => "-A FORWARD -j DROP" + string.Concat(Enumerable.Repeat(" !", words - 4));

        Valid(FirewallRule("filter", Rule(64)));
        RefusedOn(FirewallRule("filter", Rule(65)), "rule");
    }

    [Fact]
    public void RemoveFirewallRule_BadTableAndRule_BothNamed() => RefusedOn(FirewallRule("nat2", "-D FORWARD"), "table", "rule");

    [Theory]
    [InlineData("default", "blackhole", "ip route del blackhole 0.0.0.0/0")]
    [InlineData("10.0.0.0/8", "unreachable", "ip route del unreachable 10.0.0.0/8")]
    [InlineData("203.0.113.0/24", "prohibit", "ip route del prohibit 203.0.113.0/24")]
    [InlineData("192.168.1.0/24", "throw", "ip route del throw 192.168.1.0/24")]
    public void RemoveBlockingRoute_DestinationAndType_TutorialIpRouteDel(string to, string type, string tutorial)
    {
        var operation = Assert.IsType<RemoveBlockingRoute>(Valid(new() { Kind = "removeBlockingRoute", To = to, RouteType = type }));

        Assert.Equal(type, operation.Type);
        Assert.Equal(tutorial, operation.Tutorial);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("unicast")]
    [InlineData("local")]
    [InlineData("Blackhole")]
    [InlineData("via")]
    public void RemoveBlockingRoute_TypeNotBlocking_RefusedOnRouteType(string? type) =>
        RefusedOn(new() { Kind = "removeBlockingRoute", To = "10.0.0.0/8", RouteType = type }, "routeType");

    [Theory]
    [InlineData(null)]
    [InlineData("10.0.0.1/8")]
    [InlineData("10.0.0.0")]
    [InlineData("dev")]
    public void RemoveBlockingRoute_ToNoSubnet_RefusedOnTo(string? to) =>
        RefusedOn(new() { Kind = "removeBlockingRoute", To = to, RouteType = "blackhole" }, "to");

    [Fact]
    public void RemoveBlockingRoute_BadToAndType_BothNamed() =>
        RefusedOn(new() { Kind = "removeBlockingRoute", To = "x", RouteType = "x" }, "to", "routeType");

    [Theory]
    [InlineData("all", 2, "echo 2 > /proc/sys/net/ipv4/conf/all/rp_filter")]
    [InlineData("eth0.100", 0, "echo 0 > /proc/sys/net/ipv4/conf/eth0.100/rp_filter")]
    [InlineData("br0", 1, "echo 1 > /proc/sys/net/ipv4/conf/br0/rp_filter")]
    public void SetRpFilter_LinkOrAllAndMode_TutorialEchoToProc(string link, int mode, string tutorial)
    {
        var operation = Assert.IsType<SetRpFilter>(Valid(new() { Kind = "setRpFilter", Link = link, Mode = mode }));

        Assert.Equal((link, mode), (operation.Link, operation.Mode));
        Assert.Equal(tutorial, operation.Tutorial);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(3)]
    [InlineData(-1)]
    public void SetRpFilter_ModeNotZeroOneOrTwo_RefusedOnMode(int? mode) =>
        RefusedOn(new() { Kind = "setRpFilter", Link = "br0", Mode = mode }, "mode");

    [Theory]
    [InlineData(null)]
    [InlineData("up")]
    [InlineData("-x")]
    [InlineData("a/b")]
    [InlineData("..")]
    public void SetRpFilter_LinkNoNameNorAll_RefusedOnLink(string? link) =>
        RefusedOn(new() { Kind = "setRpFilter", Link = link, Mode = 1 }, "link");

    [Theory]
    [InlineData(68)]
    [InlineData(1400)]
    [InlineData(65535)]
    public void SetMtu_MtuInRange_TutorialIfconfigMtu(int mtu) =>
        Assert.Equal($"ifconfig br0 mtu {mtu}", Valid(new() { Kind = "setMtu", Link = "br0", Mtu = mtu }).Tutorial);

    [Theory]
    [InlineData(null)]
    [InlineData(67)]
    [InlineData(65536)]
    [InlineData(0)]
    public void SetMtu_MtuOutOfRange_RefusedOnMtu(int? mtu) =>
        RefusedOn(new() { Kind = "setMtu", Link = "br0", Mtu = mtu }, "mtu");

    [Theory]
    [InlineData(null)]
    [InlineData("all")]
    [InlineData("mtu")]
    public void SetMtu_LinkNoName_RefusedOnLink(string? link) =>
        RefusedOn(new() { Kind = "setMtu", Link = link, Mtu = 1400 }, "link");

    [Fact]
    public void SetMtu_BadLinkAndMtu_BothNamed() => RefusedOn(new() { Kind = "setMtu", Link = "-x", Mtu = 1 }, "link", "mtu");

    [Theory]
    [InlineData(null, "netdash-t1-host")]
    [InlineData("wan", "netdash-t1-wan")]
    [InlineData("pc", "netdash-t1-pc")]
    public void FlushConntrack_Namespace_RunsThere(string? ns, string expected)
    {
        var operation = Valid(new() { Kind = "flushConntrack", Namespace = ns });

        Assert.Equal(new FlushConntrack(expected), operation);
        Assert.Equal("conntrack -F", operation.Tutorial);
    }

    [Theory]
    [InlineData("removeFirewallRule")]
    [InlineData("removeBlockingRoute")]
    [InlineData("setRpFilter")]
    [InlineData("setMtu")]
    [InlineData("flushConntrack")]
    public void NewKind_NamespaceNotHostWanOrPc_RefusedOnNamespace(string kind)
    {
        var request = new OperationRequest
        {
            Kind = kind, Namespace = "7", Table = "filter", Rule = "-A FORWARD -j DROP", To = "default", RouteType = "blackhole",
            Link = "br0", Mode = 1, Mtu = 1400,
        };

        RefusedOn(request, "namespace");
    }
}
