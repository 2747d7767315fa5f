using System.Diagnostics;
using System.Text;
using CliWrap;
using CliWrap.Buffered;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// A lab made by hand, as another tool or another runtime folder would: the three netdash-… namespaces with no record,
/// a bridge and a MASQUERADE rule in its host namespace, and a process living there. Its snapshot is the kernel's own
/// words for all of it, to compare byte for byte. On dispose its process is stopped by the pid this started and its
/// namespaces are removed by their exact names.
/// </summary>
public sealed class ForeignLab : IAsyncDisposable
{
    private readonly Process _process;

    private ForeignLab(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }
    public LabNamespaces Namespaces => new(Name);

    /// <summary>The pid of the process living in the host namespace (`ip netns exec` runs it in its own place).</summary>
    public int Pid => _process.Id;

    public static async Task<ForeignLab> CreateAsync()
    {
        var name = $"x{Guid.NewGuid().ToString("N")[..8]}";
        var namespaces = new LabNamespaces(name);
        foreach (var ns in namespaces.All)
            await Cli.Wrap("ip").WithArguments(["netns", "add", ns]).ExecuteAsync();
        await Cli.Wrap("ip").WithArguments(["-n", namespaces.Host, "link", "add", "name", "br9", "type", "bridge"]).ExecuteAsync();
        await Cli.Wrap("ip").WithArguments(["netns", "exec", namespaces.Host, "iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "10.99.0.0/24", "-j", "MASQUERADE"])
            .ExecuteAsync();
        var start = new ProcessStartInfo("ip") { ArgumentList = { "netns", "exec", namespaces.Host, "sleep", "300" } };
        var lab = new ForeignLab(name, Process.Start(start)!);
        // Until ip has exec'd sleep, the pid's program is still ip.
        for (var waited = Stopwatch.StartNew(); !ProcessTable.IsRunningAs(lab.Pid, "sleep"); await Task.Delay(20))
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(5))
                throw new InvalidOperationException($"pid {lab.Pid} never became sleep in {namespaces.Host}");
        }
        return lab;
    }

    /// <summary>
    /// Links, addresses and the whole firewall of each namespace (iptables-save without its timestamp comments), and
    /// the process: its program, start time and network namespace, so a new process on the same pid is not it.
    /// </summary>
    public async Task<string> SnapshotAsync()
    {
        var snapshot = new StringBuilder();
        foreach (var ns in Namespaces.All)
        {
            snapshot.AppendLine($"== {ns}");
            snapshot.AppendLine(await OutputAsync("ip", "-j", "-n", ns, "link", "show"));
            snapshot.AppendLine(await OutputAsync("ip", "-j", "-n", ns, "addr"));
            var rules = await OutputAsync("ip", "netns", "exec", ns, "iptables-save");
            snapshot.AppendLine(string.Join('\n', rules.Split('\n').Where(line => !line.StartsWith('#'))));
        }
        snapshot.AppendLine($"== process {Pid}");
        snapshot.AppendLine(ProcessTable.IsRunningAs(Pid, "sleep") ? "sleep" : "not sleep or not running");
        snapshot.AppendLine(ReadOrGone($"/proc/{Pid}/stat") is { } stat ? stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19] : "gone");
        snapshot.AppendLine(LinkOrGone($"/proc/{Pid}/ns/net"));
        return snapshot.ToString();
    }

    public async Task<IReadOnlyList<string>> ExistingNamespacesAsync() =>
        (await TestLab.RootNamespacesAsync()).Intersect(Namespaces.All).ToList();

    private static async Task<string> OutputAsync(string program, params string[] args)
    {
        var result = await Cli.Wrap(program).WithArguments(args).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        return $"{result.StandardOutput}{result.StandardError}(exit {result.ExitCode})";
    }

    private static string? ReadOrGone(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string LinkOrGone(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget ?? "gone";
        }
        catch (IOException)
        {
            return "gone";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        foreach (var ns in await ExistingNamespacesAsync())
            await Cli.Wrap("ip").WithArguments(["netns", "del", ns]).WithValidation(CommandResultValidation.None).ExecuteAsync();
    }
}
