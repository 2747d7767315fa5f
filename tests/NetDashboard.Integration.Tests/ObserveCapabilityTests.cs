using System.Text.Json;
using CliWrap;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// Which capabilities observe mode needs, measured rather than guessed: `netdash observe --json` of a Proxmox-style
/// stand-in is run as root with the whole capability set, then once with each capability taken out of the bounding
/// set (so neither the CLI nor the ip, nsenter and nft it starts hold it); those whose absence changes what is read
/// are the ones it needs, and they must be the ones README names. With only those, it reads what full root reads.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Requires", "root,qemu")]
public sealed class ObserveCapabilityTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>What README's "What it needs" names; the test fails when the measurement says otherwise.</summary>
    private static readonly string[] Documented = ["net_admin", "sys_admin", "sys_ptrace"];

    private ProxmoxStandIn _standIn = null!;

    public async Task InitializeAsync()
    {
        _standIn = await ProxmoxStandIn.StartAsync();
        // A ruleset to read (the stand-in has none of its own): nft lists nothing without its capability either way.
        await Cli.Wrap("ip").WithArguments(["netns", "exec", _standIn.Host, "nft", "add table inet netdash_caps; add chain inet netdash_caps forward { type filter hook forward priority 0; }"])
            .ExecuteAsync();
    }

    [Fact]
    public async Task Observe_EachCapabilityTakenAway_OnlyTheDocumentedOnesChangeWhatIsReadAndTheyAloneReadItAll()
    {
        var all = (await File.ReadAllTextAsync("/proc/sys/kernel/cap_last_cap")).Trim();
        var capabilities = Enumerable.Range(0, int.Parse(all, System.Globalization.CultureInfo.InvariantCulture) + 1)
            .Select(CapabilityName).ToList();
        var full = await ObserveAsync([]);
        Assert.True(full.Exit == 0, full.Text);

        var needed = new List<string>();
        var said = new Dictionary<string, string>();
        foreach (var capability in capabilities)
        {
            var without = await ObserveAsync(["--bounding-set", $"-{capability}", "--inh-caps", "-all"]);
            if (without.Exit != 0 || without.Text != full.Text)
            {
                needed.Add(capability);
                said[capability] = without.Text;
                output.WriteLine($"without {capability}: exit {without.Exit}, {FirstDifference(full.Text, without.Text)}");
            }
        }
        var only = await ObserveAsync(["--bounding-set", $"-all,{string.Join(',', Documented.Select(c => $"+{c}"))}", "--inh-caps", "-all"]);

        Assert.Equal(Documented, needed.Order());
        // What could not be read is said, not shown as empty.
        Assert.Contains("nft rules: ", said["net_admin"], StringComparison.Ordinal);
        Assert.Contains("links, routes and rules: ", said["sys_admin"], StringComparison.Ordinal);
        Assert.True(only.Exit == 0 && only.Text == full.Text, $"with only {string.Join(", ", Documented)}: exit {only.Exit}, {FirstDifference(full.Text, only.Text)}");
    }

    // The observation without the moment it was taken and how long it took: the same host read twice is the same text.
    private async Task<(int Exit, string Text)> ObserveAsync(string[] setprivOptions)
    {
        var settings = new Dictionary<string, string>(DashboardCli.SettingsFor(Directory.CreateTempSubdirectory("netdash-caps-").FullName))
        {
            ["NetDashboard__Observe__Namespace"] = _standIn.Host,
        };
        var run = setprivOptions.Length == 0
            ? await DashboardCli.RunAsync(settings, "observe", "--json")
            : await DashboardCli.RunUnderAsync(["setpriv", .. setprivOptions, "--"], settings, "observe", "--json");
        Directory.Delete(settings["NetDashboard__RuntimeRoot"], recursive: true);
        if (run.ExitCode != 0) return (run.ExitCode, run.StandardError + run.StandardOutput);
        var json = JsonNode.Parse(run.StandardOutput)!.AsObject();
        json.Remove("takenAt");
        json.Remove("elapsedMs");
        return (0, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private static string FirstDifference(string expected, string actual)
    {
        var (a, b) = (expected.Split('\n'), actual.Split('\n'));
        for (var i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            var (x, y) = (i < a.Length ? a[i] : "(end)", i < b.Length ? b[i] : "(end)");
            if (x != y) return $"line {i + 1}: {x.Trim()} became {y.Trim()}";
        }
        return "the same";
    }

    // setpriv's names for the capabilities, by number (linux/capability.h).
    private static string CapabilityName(int number) => number switch
    {
        0 => "chown", 1 => "dac_override", 2 => "dac_read_search", 3 => "fowner", 4 => "fsetid", 5 => "kill", 6 => "setgid", 7 => "setuid",
        8 => "setpcap", 9 => "linux_immutable", 10 => "net_bind_service", 11 => "net_broadcast", 12 => "net_admin", 13 => "net_raw",
        14 => "ipc_lock", 15 => "ipc_owner", 16 => "sys_module", 17 => "sys_rawio", 18 => "sys_chroot", 19 => "sys_ptrace", 20 => "sys_pacct",
        21 => "sys_admin", 22 => "sys_boot", 23 => "sys_nice", 24 => "sys_resource", 25 => "sys_time", 26 => "sys_tty_config", 27 => "mknod",
        28 => "lease", 29 => "audit_write", 30 => "audit_control", 31 => "setfcap", 32 => "mac_override", 33 => "mac_admin", 34 => "syslog",
        35 => "wake_alarm", 36 => "block_suspend", 37 => "audit_read", 38 => "perfmon", 39 => "bpf", 40 => "checkpoint_restore",
        _ => throw new InvalidOperationException($"capability {number} has no name here; add it"),
    };

    public async Task DisposeAsync() => await _standIn.DisposeAsync();
}
