using System.Diagnostics;
using System.Globalization;
using CliWrap;
using CliWrap.Buffered;
using NetDashboard.Lab.Host;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// A real Docker host, all of it inside a namespace of its own (`netdash-dkXXXXXX-host`): Debian's dockerd (20.10, with
/// the containerd and runc it starts) runs in that network namespace and in a private mount namespace, makes docker0
/// (172.17.0.1/16) and its DOCKER chains there, and runs two containers (<see cref="Containers"/>, `sleep 3600`) on the
/// default bridge network, so docker0 gets a veth per container. No registry: the image is `docker import`ed from a
/// root file system of busybox-static and its symlinks.
/// The machine's own /run, /etc/docker and /var/lib/docker are never written: the daemon gets a tmpfs on /run, a bind
/// mount of this stand-in's folder on /etc/docker (20.10 writes its key.json there) and --data-root in the folder. The
/// containers' cgroups live under a sub-tree of the daemon's own cgroup named after the stand-in (a relative
/// --cgroup-parent, cgroupfs driver), which disposing removes.
/// Disposing removes the containers through the CLI, stops dockerd by its pid, then whatever else still lives in the
/// namespace or the cgroup sub-tree (only what this stand-in started can be there), deletes the namespace and the folder.
/// </summary>
public sealed class DockerStandIn : IAsyncLifetime
{
    public static readonly string[] Containers = ["web", "db"];
    public const string Image = "netdash/busybox:1";
    public const string BridgeAddress = "172.17.0.1/16";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    // The private mounts, then dockerd in the foreground ($1 is this stand-in's folder, $2 the cgroup parent).
    // `ip netns exec` would mount a sysfs of the namespace over /sys and hide the cgroup hierarchies below it, so the
    // namespace is entered with nsenter and the same is done by hand: the cgroup tree is moved onto the new sysfs.
    // mount -n: no /run/mount/utab written in the machine's /run. --debug: the log names every API call it served.
    private const string StartDaemon = """
        mount -n -t tmpfs -o mode=755 tmpfs /run
        mount -n --bind "$1/etc" /etc/docker
        mount -n --rbind /sys/fs/cgroup "$1/cgroup"
        mount -n -t sysfs sysfs /sys
        mount -n --move "$1/cgroup" /sys/fs/cgroup
        exec dockerd --debug --data-root "$1/lib" --exec-root /run/docker --pidfile /run/docker.pid -H unix:///run/docker.sock \
          --storage-driver vfs --iptables=true --ip6tables=false --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "$2" \
          </dev/null >>"$1/dockerd.out" 2>&1
        """;

    public string Lab { get; } = $"dk{Guid.NewGuid().ToString("N")[..6]}";
    public string Namespace => $"netdash-{Lab}-host";
    private string CgroupParent => $"netdash-{Lab}";
    public string Folder { get; } = Directory.CreateTempSubdirectory("netdash-docker-").FullName;
    public string DaemonLog => Path.Combine(Folder, "dockerd.out");

    private Process? _daemon;

    /// <summary>dockerd's pid; 0 before it started.</summary>
    public int DaemonPid { get; private set; }

    /// <summary>The daemon's socket as any process of the machine reaches it: through its root as /proc shows it.</summary>
    public string Socket => $"/proc/{DaemonPid}/root/run/docker.sock";

    /// <summary>Each container's first process (its State.Pid), by name.</summary>
    public Dictionary<string, int> ContainerPids { get; } = [];

    /// <summary>Each container's address on the default bridge network, by name.</summary>
    public Dictionary<string, string> ContainerAddresses { get; } = [];

    public async Task InitializeAsync()
    {
        try
        {
            await StartAsync();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync()
    {
        Assert.True(File.Exists("/usr/sbin/dockerd") && File.Exists("/usr/bin/docker"), "dockerd is missing: install docker.io (./setup.sh test does)");
        Assert.True(File.Exists("/bin/busybox"), "busybox is missing: install busybox-static");
        foreach (var dir in new[] { "etc", "lib", "cgroup", "cli", "rootfs/bin" })
            Directory.CreateDirectory(Path.Combine(Folder, dir));
        File.Copy("/bin/busybox", Path.Combine(Folder, "rootfs/bin/busybox"));
        foreach (var applet in new[] { "sh", "sleep", "ip", "ping", "cat", "ls", "ifconfig" })
            File.CreateSymbolicLink(Path.Combine(Folder, "rootfs/bin", applet), "busybox");
        await Run("tar", "-C", Path.Combine(Folder, "rootfs"), "-cf", Path.Combine(Folder, "rootfs.tar"), ".");

        await Run("ip", "netns", "add", Namespace);
        // No IPv6: duplicate address detection and router solicitations would change the namespace by themselves.
        await Run("ip", "netns", "exec", Namespace, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
        // nsenter and unshare (no --fork) and sh's exec keep one pid: the process started is dockerd.
        var start = new ProcessStartInfo("nsenter") { UseShellExecute = false };
        foreach (var arg in new[] { $"--net=/run/netns/{Namespace}", "unshare", "--mount", "--propagation", "private", "sh", "-ec", StartDaemon, "sh", Folder, CgroupParent })
            start.ArgumentList.Add(arg);
        // Kept until disposing: this process is dockerd's parent, and .NET reaps the children it holds a Process of.
        _daemon = Process.Start(start)!;
        DaemonPid = _daemon.Id;

        var deadline = DateTime.UtcNow + StartTimeout;
        while (!(await DockerAsync(check: false, "version", "--format", "{{.Server.Version}}")).Contains('.', StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline || !ProcessTable.IsRunning(DaemonPid))
                throw new TimeoutException($"dockerd did not answer within {StartTimeout.TotalSeconds:0} s{Diagnostics()}");
            await Task.Delay(200);
        }
        Assert.True(ProcessTable.IsRunningAs(DaemonPid, "dockerd"), $"pid {DaemonPid} is not dockerd{Diagnostics()}");

        await DockerAsync(check: true, "import", Path.Combine(Folder, "rootfs.tar"), Image);
        foreach (var name in Containers)
        {
            await DockerAsync(check: true, "run", "-d", "--name", name, Image, "sleep", "3600");
            var facts = (await DockerAsync(check: true, "inspect", "--format", "{{.State.Pid}} {{.NetworkSettings.IPAddress}}", name)).Trim().Split(' ');
            ContainerPids[name] = int.Parse(facts[0], CultureInfo.InvariantCulture);
            ContainerAddresses[name] = facts[1];
        }
    }

    /// <summary>Debian's docker CLI against this stand-in's daemon; its own config folder, so nothing lands in ~/.docker.</summary>
    public async Task<string> DockerAsync(bool check, params string[] args)
    {
        var result = await Cli.Wrap("/usr/bin/docker").WithArguments(args)
            .WithEnvironmentVariables(e => e.Set("DOCKER_HOST", $"unix://{Socket}").Set("DOCKER_CONFIG", Path.Combine(Folder, "cli")))
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        if (check)
            Assert.True(result.ExitCode == 0, $"docker {string.Join(' ', args)}: {result.StandardError}{Diagnostics()}");
        return result.StandardOutput;
    }

    /// <summary>A command in a container's network namespace (entered from here, the container's files are not used).</summary>
    public async Task<string> InContainerAsync(string name, params string[] argv)
    {
        var result = await Cli.Wrap("nsenter").WithArguments([$"--net=/proc/{ContainerPids[name]}/ns/net", .. argv])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Assert.True(result.ExitCode == 0, $"({name})$ {string.Join(' ', argv)}: {result.StandardOutput}{result.StandardError}");
        return result.StandardOutput;
    }

    /// <summary>The daemon's log from <paramref name="offset"/> on (its length is the offset of what comes next).</summary>
    public string DaemonLogFrom(long offset)
    {
        using var stream = new FileStream(DaemonLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(offset, SeekOrigin.Begin);
        return new StreamReader(stream).ReadToEnd();
    }

    private string Diagnostics() =>
        File.Exists(DaemonLog) ? $"\n--- dockerd.out:\n{string.Join('\n', File.ReadLines(DaemonLog).Where(l => !l.Contains("level=debug", StringComparison.Ordinal)).TakeLast(20))}" : "";

    private static Task Run(params string[] argv) => Cli.Wrap(argv[0]).WithArguments(argv[1..]).ExecuteAsync();

    public async Task DisposeAsync()
    {
        if (DaemonPid > 0 && ProcessTable.IsRunningAs(DaemonPid, "dockerd"))
        {
            await DockerAsync(check: false, ["rm", "-f", .. Containers]);
            await StandInProcess.StopAsync(DaemonPid, TimeSpan.FromSeconds(20));
        }
        // Whatever is left in the namespace was started by this stand-in (the namespace is its own): containerd and
        // its shims when dockerd died before it could stop them.
        if (File.Exists(Path.Combine("/run/netns", Namespace)))
        {
            var left = await Cli.Wrap("ip").WithArguments(["netns", "pids", Namespace]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
            foreach (var pid in left.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                await StandInProcess.StopAsync(int.Parse(pid, CultureInfo.InvariantCulture), TimeSpan.FromSeconds(20));
        }
        // The containers' cgroups: the sub-tree named after this stand-in in each hierarchy; a process still in it is a
        // container's (only this stand-in's daemon put processes there), then the empty folders go, deepest first.
        foreach (var tree in CgroupTrees().Distinct())
        {
            if (!Directory.Exists(tree)) continue;
            foreach (var procs in Directory.EnumerateFiles(tree, "cgroup.procs", SearchOption.AllDirectories))
            {
                foreach (var pid in File.ReadAllLines(procs).Where(l => l.Length > 0))
                    await StandInProcess.StopAsync(int.Parse(pid, CultureInfo.InvariantCulture), TimeSpan.FromSeconds(20));
            }
            foreach (var dir in Directory.EnumerateDirectories(tree, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length).Append(tree))
                Directory.Delete(dir);
        }
        if (File.Exists(Path.Combine("/run/netns", Namespace)))
            await Cli.Wrap("ip").WithArguments(["netns", "del", Namespace]).WithValidation(CommandResultValidation.None).ExecuteAsync();
        if (Directory.Exists(Folder))
            Directory.Delete(Folder, recursive: true);
        _daemon?.Dispose();
    }

    /// <summary>
    /// This stand-in's cgroup sub-tree in each hierarchy: under this process's own cgroup there (the daemon's, which a
    /// relative --cgroup-parent is taken from), as /proc/self/cgroup names it.
    /// </summary>
    private IEnumerable<string> CgroupTrees()
    {
        foreach (var line in File.ReadAllLines("/proc/self/cgroup"))
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3) continue;
            var hierarchy = parts[1] switch { "" => "unified", var c when c.StartsWith("name=", StringComparison.Ordinal) => c["name=".Length..], var c => c };
            foreach (var name in hierarchy.Split(','))
            {
                var tree = Path.Combine($"/sys/fs/cgroup/{name}{parts[2].TrimEnd('/')}", CgroupParent);
                if (Directory.Exists(tree)) yield return tree;
            }
        }
    }
}
