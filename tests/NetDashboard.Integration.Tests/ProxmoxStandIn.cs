using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CliWrap;
using CliWrap.Buffered;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// A Proxmox-style host built in namespaces of its own, never the machine's root namespace: vmbr0, the firewall bridge
/// fwbr100i0 joined to it by fwpr100p0/fwln100i0, tap100i0 held by a real QEMU named web100, a "container" namespace
/// joined by a veth pair (ct0 ↔ eth0), and a policy rule with its own table. Removed by name when disposed.
/// </summary>
public sealed class ProxmoxStandIn : IAsyncDisposable
{
    private readonly string _pidFile = Path.Combine(Path.GetTempPath(), $"netdash-obs-{Guid.NewGuid():N}.pid");

    private ProxmoxStandIn()
    {
    }

    /// <summary>The observed namespace (netdash-obsXXXXXX-host).</summary>
    public string Host { get; } = $"netdash-obs{Guid.NewGuid().ToString("N")[..6]}-host";

    /// <summary>The container's namespace, reached from Host by ct0's peer.</summary>
    public string Container { get; } = $"netdash-obs{Guid.NewGuid().ToString("N")[..6]}-pc";

    /// <summary>The QEMU that holds tap100i0.</summary>
    public int? QemuPid { get; private set; }

    public static async Task<ProxmoxStandIn> StartAsync()
    {
        var standIn = new ProxmoxStandIn();
        try
        {
            await standIn.BuildAsync();
            return standIn;
        }
        catch
        {
            await standIn.DisposeAsync();
            throw;
        }
    }

    private static async Task InAsync(string ns, params string[] argv)
    {
        var result = await Cli.Wrap("ip").WithArguments(["netns", "exec", ns, .. argv]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Assert.True(result.ExitCode == 0, $"({ns})$ {string.Join(' ', argv)}: {result.StandardError}");
    }

    private async Task BuildAsync()
    {
        foreach (var ns in new[] { Host, Container })
        {
            await Cli.Wrap("ip").WithArguments(["netns", "add", ns]).ExecuteAsync();
            // IPv6's duplicate address detection would change the link-local addresses' flags by itself while a test
            // runs ("tentative" goes away): not what the tests watch for, so the stand-in has no IPv6.
            await InAsync(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
        }
        await InAsync(Host, "ip", "link", "add", "name", "vmbr0", "type", "bridge");
        await InAsync(Host, "ip", "addr", "add", "10.99.1.1/24", "dev", "vmbr0");
        await InAsync(Host, "ip", "link", "add", "name", "fwbr100i0", "type", "bridge");
        await InAsync(Host, "ip", "link", "add", "name", "fwpr100p0", "type", "veth", "peer", "name", "fwln100i0");
        await InAsync(Host, "ip", "link", "set", "fwpr100p0", "master", "vmbr0");
        await InAsync(Host, "ip", "link", "set", "fwln100i0", "master", "fwbr100i0");
        // A real QEMU holds the tap, as Proxmox's does (no machine: it only needs to hold the tap open).
        await InAsync(Host, "qemu-system-x86_64", "-M", "none", "-nodefaults", "-display", "none", "-name", "guest=web100,debug-threads=on",
            "-netdev", "tap,id=n0,ifname=tap100i0,script=no,downscript=no", "-daemonize", "-pidfile", _pidFile);
        QemuPid = int.Parse(await File.ReadAllTextAsync(_pidFile), CultureInfo.InvariantCulture);
        await InAsync(Host, "ip", "link", "set", "tap100i0", "master", "fwbr100i0");
        await InAsync(Host, "ip", "link", "add", "name", "ct0", "type", "veth", "peer", "name", "eth0", "netns", Container);
        await InAsync(Host, "ip", "link", "set", "ct0", "master", "vmbr0");
        foreach (var link in new[] { "vmbr0", "fwbr100i0", "fwpr100p0", "fwln100i0", "tap100i0", "ct0" })
            await InAsync(Host, "ip", "link", "set", link, "up");
        await InAsync(Container, "ip", "addr", "add", "10.99.1.2/24", "dev", "eth0");
        await InAsync(Container, "ip", "link", "set", "eth0", "up");
        await InAsync(Host, "ip", "rule", "add", "from", "10.99.1.0/24", "lookup", "100", "pref", "100");
        await InAsync(Host, "ip", "route", "add", "default", "via", "10.99.1.2", "table", "100");
    }

    /// <summary>Everything observe mode must not change in both namespaces, as text.</summary>
    public Task<string> SnapshotAsync() => NamespaceSnapshot.TakeAsync(Host, Container);

    public async ValueTask DisposeAsync()
    {
        if (QemuPid is { } pid && NetDashboard.Lab.Host.ProcessTable.IsRunning(pid))
            await StandInProcess.StopAsync(pid, TimeSpan.FromSeconds(10));
        File.Delete(_pidFile);
        foreach (var ns in new[] { Host, Container })
            await Cli.Wrap("ip").WithArguments(["netns", "del", ns]).WithValidation(CommandResultValidation.None).ExecuteAsync();
    }
}

/// <summary>What observe mode must never change in a namespace, as text to compare byte for byte; counters and ages left out.</summary>
public static class NamespaceSnapshot
{
    /// <summary>
    /// The snapshot without the observer's own readers: processes whose parent is <paramref name="observer"/> (the
    /// dashboard's `ip` readings, and the ip monitor an open page keeps until the server ends its circuit) are its
    /// eyes in the namespace, not the host's processes, and end with it.
    /// </summary>
    public static Task<string> TakeAsync(int observer, params string[] namespaces) => TakeAsync(namespaces, observer);

    /// <summary>
    /// As <see cref="TakeAsync(int, string[])"/>, taken again for up to ten seconds until it equals
    /// <paramref name="before"/>: a process that only passes through (a reading under way, of this observer or of
    /// another test's) is not a change; one that stays is, and the caller's assertion names it.
    /// </summary>
    public static async Task<string> SettledAsync(string before, int observer, params string[] namespaces)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        var after = await TakeAsync(namespaces, observer);
        while (after != before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            after = await TakeAsync(namespaces, observer);
        }
        return after;
    }

    public static Task<string> TakeAsync(params string[] namespaces) => TakeAsync(namespaces, observer: null);

    /// <summary>The lines that differ, and for a process that came or went, who it is and who started it.</summary>
    public static string Difference(string before, string after)
    {
        var (was, now) = (before.Split('\n'), after.Split('\n'));
        var text = new StringBuilder("the observed namespaces changed:\n");
        foreach (var line in now.Except(was)) text.AppendLine($"+ {line}");
        foreach (var line in was.Except(now)) text.AppendLine($"- {line}");
        var pids = now.Concat(was).Where(l => l.Length > 0 && l.All(c => char.IsAsciiDigit(c) || c == ' ')).SelectMany(l => l.Split(' ')).Distinct();
        foreach (var pid in pids.Where(p => p.Length > 0))
        {
            var cmdline = File.Exists($"/proc/{pid}/cmdline") ? File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ') : "(gone)";
            var parent = NetDashboard.Lab.Observe.ProcNamespaces.ParentPid(int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture));
            text.AppendLine($"  pid {pid}, parent {parent}: {cmdline}");
        }
        return text.ToString();
    }

    private static async Task<string> TakeAsync(string[] namespaces, int? observer)
    {
        var text = new StringBuilder();
        foreach (var ns in namespaces)
        {
            foreach (var argv in new[]
                     {
                         new[] { "ip", "-d", "link", "show" }, ["ip", "addr", "show"], ["ip", "route", "show", "table", "all"], ["ip", "rule", "show"],
                         ["nft", "list", "ruleset"], ["iptables-save"], ["bridge", "fdb", "show", "static"], ["sysctl", "-a", "--pattern", "^net\\.(ipv4|ipv6|core)\\."],
                     })
            {
                var read = await Cli.Wrap("ip").WithArguments(["netns", "exec", ns, .. argv]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
                // iptables-save stamps its own run's date in comments; sysctl's few live counters are not state.
                var lines = read.StandardOutput.Split('\n').Where(l => !l.StartsWith('#') && !l.Contains("_count", StringComparison.Ordinal)
                    && !l.StartsWith("net.ipv4.tcp_mem", StringComparison.Ordinal) && !l.Contains("random", StringComparison.Ordinal))
                    // A bridge's timers run down by themselves (hello_timer 1.23): time, not state.
                    .Select(l => Regex.Replace(l, @"\b\w+_timer\s+[\d.]+", ""))
                    // A rule's counters (nft's "counter packets N bytes M", iptables-save's [N:M]) count traffic: not state.
                    .Select(l => Regex.Replace(Regex.Replace(l, @"counter packets \d+ bytes \d+", "counter"), @"\[\d+:\d+\]", "[counted]"))
                    // The bridges' learned entries come and go with traffic; the static and permanent ones are state.
                    .Where(l => argv[0] != "bridge" || l.Contains(" permanent", StringComparison.Ordinal) || l.Contains(" static", StringComparison.Ordinal))
                    .Order(StringComparer.Ordinal);
                text.AppendLine($"== {ns}: {string.Join(' ', argv)}").AppendJoin('\n', lines).AppendLine();
            }
            var pids = await Cli.Wrap("ip").WithArguments(["netns", "pids", ns]).ExecuteBufferedAsync();
            var hosts = pids.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(pid => observer is null || NetDashboard.Lab.Observe.ProcNamespaces.ParentPid(int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture)) != observer);
            text.AppendLine($"== {ns}: pids").AppendLine(string.Join(' ', hosts.Order()));
        }
        return text.ToString();
    }
}
