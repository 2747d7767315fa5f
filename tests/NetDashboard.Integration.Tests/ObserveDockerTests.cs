using System.Text;
using System.Text.RegularExpressions;
using CliWrap;
using CliWrap.Buffered;
using NetDashboard.Lab.Observe;
using NetDashboard.Lab.Services;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// Observe mode on a real Docker host (<see cref="DockerStandIn"/>: dockerd and two containers on its default bridge
/// network, all inside a namespace of their own): the stack is labelled with the containers the engine names, each
/// container's namespace is reached through its veth and named, Docker's chains are listed, the engine was only asked
/// GET requests, and nothing changed across the observation.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Requires", "root,docker")]
public sealed partial class ObserveDockerTests(DockerStandIn standIn) : IClassFixture<DockerStandIn>
{
    [GeneratedRegex(@"Calling (?<method>[A-Z]+) (?<path>[^\s""]+)")]
    private static partial Regex ApiCall();

    [Fact]
    public async Task Containers_OnTheDefaultBridge_PingTheBridgeAndEachOther()
    {
        await standIn.InContainerAsync("web", "ping", "-c", "1", "-W", "3", "172.17.0.1");
        await standIn.InContainerAsync("web", "ping", "-c", "1", "-W", "3", standIn.ContainerAddresses["db"]);
        var engine = await DockerEngine.ContainersAsync(standIn.Socket);

        Assert.Equal(DockerStandIn.Containers.Order(), engine.Select(c => c.Name).Order());
        Assert.All(engine, c => Assert.Equal(standIn.ContainerPids[c.Name], c.Pid));
    }

    [Fact]
    public async Task Observe_RealDockerWithTwoContainers_LabelledWithTheirNamesJoinedThroughTheirVethsAndNothingChanged()
    {
        var ns = standIn.Namespace;
        var before = await SnapshotAsync();
        var logFrom = new FileInfo(standIn.DaemonLog).Length;
        await using var lab = new TestLab("obs");
        var composition = LabComposition.Build(lab.Composition.Settings with { ObserveNamespace = ns });

        var (result, host) = await composition.Observation.ObserveAsync();
        var after = await SnapshotAsync();
        var calls = ApiCall().Matches(standIn.DaemonLogFrom(logFrom)).Select(m => $"{m.Groups["method"].Value} {m.Groups["path"].Value}").ToList();

        Assert.True(result.Succeeded, result.Message);
        var observed = host!.Namespaces[0];
        Assert.Equal((ns, true), (observed.Name, observed.IsTarget));
        var stack = Assert.Single(host.Stacks);
        Assert.Equal(("docker", "Docker: docker0, 2 containers (web, db)"), (stack.Kind, stack.Label));
        var bridge = observed.Link("docker0")!;
        Assert.Equal("bridge", bridge.Kind);
        Assert.Equal([DockerStandIn.BridgeAddress], bridge.Addresses);
        var veths = stack.Links.Skip(1).Select(name => observed.Link(name)!).ToList();
        Assert.Equal(2, veths.Count);
        foreach (var (veth, name) in veths.Zip(DockerStandIn.Containers))
        {
            Assert.Equal(("veth", "docker0", "eth0"), (veth.Kind, veth.Master, veth.PeerName));
            var container = host.Find(veth.PeerNamespace!.Value)!;
            Assert.Equal((name, ProcNamespaces.InodeOfLink($"/proc/{standIn.ContainerPids[name]}/ns/net")), (container.Container, (ulong?)container.Inode));
            Assert.Equal($"container {name} (net:[{container.Inode}])", container.Label);
            Assert.Equal([$"{standIn.ContainerAddresses[name]}/16"], container.Link("eth0")!.Addresses);
            Assert.Equal((veth.Name, observed.Inode), (container.Link("eth0")!.PeerName, container.Link("eth0")!.PeerNamespace));
        }
        Assert.Equal(3, host.Namespaces.Count);
        Assert.Contains("ip nat DOCKER", observed.Chains);
        Assert.Contains("ip filter DOCKER", observed.Chains);
        Assert.Contains("ip filter DOCKER-ISOLATION-STAGE-1", observed.Chains);
        Assert.True(observed.Forwarding);
        Assert.Contains($"dockerd {standIn.DaemonPid}", observed.Processes);
        // Read-only: the engine was asked its list and each container, by GET and nothing else.
        Assert.Contains("GET /containers/json", calls);
        Assert.All(calls, c => Assert.StartsWith("GET ", c, StringComparison.Ordinal));
        Assert.Equal(1 + DockerStandIn.Containers.Length, calls.Count);
        Assert.Equal(before, after);
    }

    /// <summary>The stand-in's namespace (<see cref="NamespaceSnapshot"/>) and each container's, entered by its pid.</summary>
    private async Task<string> SnapshotAsync()
    {
        var text = new StringBuilder(await NamespaceSnapshot.TakeAsync(standIn.Namespace));
        foreach (var (name, pid) in standIn.ContainerPids.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            foreach (var argv in new[] { new[] { "ip", "-d", "link", "show" }, ["ip", "addr", "show"], ["ip", "route", "show", "table", "all"], ["ip", "rule", "show"], ["nft", "list", "ruleset"] })
            {
                var read = await Cli.Wrap("nsenter").WithArguments([$"--net=/proc/{pid}/ns/net", .. argv]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
                text.AppendLine($"== {name}: {string.Join(' ', argv)}").AppendLine(Regex.Replace(read.StandardOutput, @"\b\w+_timer\s+[\d.]+", ""));
            }
        }
        return text.ToString();
    }
}
