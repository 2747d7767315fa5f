using CliWrap;
using NetDashboard.Lab.Trace;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// The kernel's drop reasons on a real kernel: a ping between two namespaces of its own, dropped by iptables in the
/// second, is read back as NETFILTER_DROP at nft_do_chain on eth0; and only our own instances are taken as leftovers.
/// The root namespace's interfaces and firewall are never touched.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Requires", "root")]
public sealed class KernelDropWatchTests
{
    private const string Instances = "/sys/kernel/tracing/instances";

    private static string RandomHex() => Guid.NewGuid().ToString("N")[..6];

    private static Task Run(params string[] argv) => Cli.Wrap(argv[0]).WithArguments(argv[1..]).ExecuteAsync();

    [Fact]
    public async Task Stop_PingDroppedByIptablesInAnotherNamespace_CertainNetfilterDropOnEth0AndTheInstanceGone()
    {
        var (a, b) = ($"netdash-dropw-{RandomHex()}-a", $"netdash-dropw-{RandomHex()}-b");
        var instance = $"netdash-trace-test-{RandomHex()}";
        try
        {
            await Run("ip", "netns", "add", a);
            await Run("ip", "netns", "add", b);
            await Run("ip", "-n", a, "link", "add", "name", "ens160", "type", "veth", "peer", "name", "eth0", "netns", b);
            await Run("ip", "-n", a, "addr", "add", "10.99.0.1/24", "dev", "ens160");
            await Run("ip", "-n", b, "addr", "add", "10.99.0.2/24", "dev", "eth0");
            await Run("ip", "-n", a, "link", "set", "ens160", "up");
            await Run("ip", "-n", b, "link", "set", "eth0", "up");
            await Run("ip", "netns", "exec", b, "iptables", "-I", "INPUT", "-p", "icmp", "-j", "DROP");

            IReadOnlyList<KernelSkbEvent> events;
            long sent;
            using (var watch = KernelDropWatch.TryStart(instance, out var unavailable) ?? throw new Xunit.Sdk.XunitException(unavailable))
            {
                sent = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
                var ping = await Cli.Wrap("ip").WithArguments(["netns", "exec", a, "ping", "-c1", "-W1", "10.99.0.2"])
                    .WithValidation(CommandResultValidation.None).ExecuteAsync();
                Assert.NotEqual(0, ping.ExitCode);
                events = watch.Stop();
                Assert.False(watch.Truncated);
            }

            var drops = KernelDropMatch.Match(events, [("eth0", sent)], TimeSpan.FromSeconds(1));
            Assert.Contains(drops, d => d is { Reason: "NETFILTER_DROP", LastDevice: "eth0", Certain: true } && d.Location.StartsWith("nft_do_chain", StringComparison.Ordinal));
            Assert.False(Directory.Exists(Path.Combine(Instances, instance)));
        }
        finally
        {
            foreach (var ns in new[] { a, b })
                await Cli.Wrap("ip").WithArguments(["netns", "del", ns]).WithValidation(CommandResultValidation.None).ExecuteAsync();
        }
    }

    [Fact]
    public void RemoveLeftovers_OurAndAnotherInstance_OursRemovedTheOtherKept()
    {
        // Starting a watch mounts tracefs when it is not there; its own instance goes at once.
        KernelDropWatch.TryStart($"netdash-trace-test-{RandomHex()}", out var unavailable)?.Dispose();
        Assert.Null(unavailable);
        var ours = Path.Combine(Instances, "netdash-trace-test-xyz");
        var other = Path.Combine(Instances, $"keep-{RandomHex()}");
        Directory.CreateDirectory(ours);
        Directory.CreateDirectory(other);
        try
        {
            // Every other instance counts as in use: traces of tests running beside this one keep theirs.
            var removed = KernelDropWatch.RemoveLeftovers(name => name != "netdash-trace-test-xyz");

            Assert.Contains("netdash-trace-test-xyz", removed);
            Assert.False(Directory.Exists(ours));
            Assert.True(Directory.Exists(other));
        }
        finally
        {
            Directory.Delete(other);
            if (Directory.Exists(ours))
                Directory.Delete(ours);
        }
    }
}
