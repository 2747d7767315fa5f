using System.Globalization;
using CliWrap;
using CliWrap.Buffered;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// A real libvirt host, all of it inside a namespace of its own (`netdash-lvXXXXXX-host`): Debian's libvirtd runs in
/// that network namespace and in a private mount namespace, starts its default network there (virbr0
/// 192.168.122.1/24, dnsmasq, the LIBVIRT_* chains) and a domain that boots the built-in guest by direct kernel boot
/// under TCG, so libvirt itself makes vnet0, opens it and hands it to QEMU. The machine's own /run, /etc/libvirt,
/// /var/lib/libvirt, /var/cache/libvirt, /var/log/libvirt and cgroups are never written: the daemon gets a tmpfs on
/// /run and bind mounts of this stand-in's temporary folder on the others. Disposing destroys the domain and the
/// network through virsh, stops libvirtd by its pid, then whatever else still lives in the namespace (only what this
/// stand-in started can be there), deletes the namespace and the folder.
/// </summary>
public sealed class LibvirtStandIn : IAsyncLifetime
{
    public const string Domain = "web1";
    public const string GuestMac = "52:54:00:6e:64:01";
    public const string GuestAddress = "192.168.122.10";
    public const string BridgeAddress = "192.168.122.1";
    private static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(90);

    // Debian's /usr/share/libvirt/networks/default.xml, the network a fresh install defines.
    private const string DefaultNetwork = """
        <network>
          <name>default</name>
          <bridge name='virbr0'/>
          <forward/>
          <ip address='192.168.122.1' netmask='255.255.255.0'>
            <dhcp>
              <range start='192.168.122.2' end='192.168.122.254'/>
            </dhcp>
          </ip>
        </network>
        """;

    // What this private daemon must not do to the machine, each said in libvirt's own configuration:
    // cgroup_controllers = [ ]: no machine cgroup made for the guest in the machine's cgroup tree (there is no
    //   systemd here; libvirt would mkdir under /sys/fs/cgroup/*/machine);
    // security_driver = "none": no AppArmor profile loaded into the kernel for the guest;
    // dynamic_ownership/remember_owner = 0: the shared guest image is neither chowned nor given libvirt's xattrs;
    // user/group root: QEMU may use the sockets in this folder without a chown;
    // stdio_handler = "file": QEMU's log is a file libvirtd writes itself, no virtlogd to start and stop.
    private const string QemuConf = """
        user = "root"
        group = "root"
        security_driver = "none"
        dynamic_ownership = 0
        remember_owner = 0
        cgroup_controllers = [ ]
        stdio_handler = "file"
        """;

    // The private mounts, then libvirtd: --daemon returns once its sockets are up (or says why it could not start).
    // $1 is this stand-in's folder. mount -n: no /run/mount/utab written in the machine's /run.
    private const string StartDaemon = """
        mount -n -t tmpfs -o mode=755 tmpfs /run
        mount -n --bind "$1/etc" /etc/libvirt
        mount -n --bind "$1/lib" /var/lib/libvirt
        mount -n --bind "$1/cache" /var/cache/libvirt
        mount -n --bind "$1/log" /var/log/libvirt
        exec libvirtd --daemon --pid-file "$1/libvirtd.pid" </dev/null >>"$1/libvirtd.out" 2>&1
        """;

    public string Namespace { get; } = $"netdash-lv{Guid.NewGuid().ToString("N")[..6]}-host";

    /// <summary>The far end of <see cref="AddUplinkAsync"/>'s cable: a namespace of the stand-in's own, standing for the world.</summary>
    public string Outside => Namespace[..^"host".Length] + "out";

    public const string Uplink = "uplink0";
    public const string UplinkAddress = "198.51.100.2";
    public const string OutsideAddress = "198.51.100.1";
    public string Folder { get; } = Directory.CreateTempSubdirectory("netdash-libvirt-").FullName;
    public string AgentSocket => Path.Combine(Folder, "agent.sock");
    private string ConsoleLog => Path.Combine(Folder, "console.log");

    /// <summary>libvirtd's pid; 0 before it started.</summary>
    public int DaemonPid { get; private set; }

    /// <summary>QEMU's pid, as libvirt recorded it in its own /run.</summary>
    public int QemuPid => ReadLibvirtPid($"qemu/{Domain}.pid");

    /// <summary>The default network's dnsmasq, as libvirt recorded it (not the helper that dnsmasq forks).</summary>
    public int DnsmasqPid => ReadLibvirtPid("network/default.pid");

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
        var guest = TestLab.GuestImageUnderTest;
        Assert.True(guest.Problem is null, guest.Problem);
        Assert.True(File.Exists("/usr/sbin/libvirtd"), "libvirtd is missing: install libvirt-daemon-system and dnsmasq-base (./setup.sh test does)");
        // dnsmasq drops to an unprivileged user and still reads its files under the bound /var/lib/libvirt.
        File.SetUnixFileMode(Folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
            | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        foreach (var dir in new[] { "etc/qemu/networks", "lib", "cache", "log" })
            Directory.CreateDirectory(Path.Combine(Folder, dir));
        await File.WriteAllTextAsync(Path.Combine(Folder, "etc/libvirtd.conf"), $"log_outputs = \"3:file:{Folder}/libvirtd.log\"\n");
        await File.WriteAllTextAsync(Path.Combine(Folder, "etc/qemu.conf"), QemuConf + "\n");
        await File.WriteAllTextAsync(Path.Combine(Folder, "etc/qemu/networks/default.xml"), DefaultNetwork + "\n");

        await Run("ip", "netns", "add", Namespace);
        // No IPv6: duplicate address detection and router solicitations would change the namespace by themselves.
        await Run("ip", "netns", "exec", Namespace, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
        var started = await Cli.Wrap("ip").WithArguments(["netns", "exec", Namespace, "unshare", "--mount", "--propagation", "private", "sh", "-ec", StartDaemon, "sh", Folder])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        if (File.Exists(Path.Combine(Folder, "libvirtd.pid")))
            DaemonPid = int.Parse((await File.ReadAllTextAsync(Path.Combine(Folder, "libvirtd.pid"))).Trim(), CultureInfo.InvariantCulture);
        Assert.True(started.ExitCode == 0 && DaemonPid > 0, $"libvirtd did not start ({started.ExitCode}): {started.StandardError}{Diagnostics()}");

        // The network driver knows the network once it has read its configuration.
        await Poll.UntilAsync(async () => (await VirshAsync(check: false, "net-list", "--all", "--name")).Contains("default", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60), "libvirt's default network defined");
        await VirshAsync(check: true, "net-start", "default");
        var domainXml = Path.Combine(Folder, "domain.xml");
        await File.WriteAllTextAsync(domainXml, DomainXml(guest.Kernel, guest.Initrd));
        await VirshAsync(check: true, "create", domainXml);

        var deadline = DateTime.UtcNow + BootTimeout;
        while (!await GuestAgentClient.PingAsync(AgentSocket, TimeSpan.FromSeconds(2), CancellationToken.None))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{Domain} did not boot within {BootTimeout.TotalSeconds:0} s{Diagnostics()}");
            await Task.Delay(200);
        }
    }

    /// <summary>
    /// The built-in guest by direct kernel boot, TCG, on the default network: its address and gateway from the kernel
    /// command line (guest/init), ttyS0 to a log, ttyS1 (the guest's command agent) on a unix socket in this folder.
    /// </summary>
    private string DomainXml(string kernel, string initrd) => $"""
        <domain type='qemu'>
          <name>{Domain}</name>
          <memory unit='MiB'>256</memory>
          <vcpu>1</vcpu>
          <os>
            <type arch='x86_64' machine='pc'>hvm</type>
            <kernel>{kernel}</kernel>
            <initrd>{initrd}</initrd>
            <cmdline>console=ttyS0 quiet no_timer_check netdash.name={Domain} netdash.ipv6=0 netdash.ip={GuestAddress}/24 netdash.gw={BridgeAddress}</cmdline>
          </os>
          <on_poweroff>destroy</on_poweroff>
          <on_reboot>destroy</on_reboot>
          <on_crash>destroy</on_crash>
          <devices>
            <emulator>/usr/bin/qemu-system-x86_64</emulator>
            <controller type='usb' model='none'/>
            <memballoon model='none'/>
            <interface type='network'>
              <source network='default'/>
              <mac address='{GuestMac}'/>
              <model type='virtio'/>
            </interface>
            <serial type='file'>
              <source path='{ConsoleLog}'/>
              <target port='0'/>
            </serial>
            <serial type='unix'>
              <source mode='bind' path='{AgentSocket}'/>
              <target port='1'/>
            </serial>
          </devices>
        </domain>
        """;

    /// <summary>virsh against this stand-in's daemon: in its mount namespace (its private /run holds the socket) and network namespace.</summary>
    public async Task<string> VirshAsync(bool check, params string[] args)
    {
        var result = await Cli.Wrap("nsenter")
            .WithArguments(["--target", DaemonPid.ToString(CultureInfo.InvariantCulture), "--mount", "--net", "virsh", "-c", "qemu:///system", .. args])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        if (check)
            Assert.True(result.ExitCode == 0, $"virsh {string.Join(' ', args)}: {result.StandardError}{Diagnostics()}");
        return result.StandardOutput;
    }

    /// <summary>
    /// An uplink, as a host has one: veth uplink0 to <see cref="Outside"/>, the namespace's default route through it,
    /// so a guest's packet to <see cref="OutsideAddress"/> is forwarded and leaves masqueraded by libvirt's own
    /// LIBVIRT_PRT rule (its source becomes <see cref="UplinkAddress"/>).
    /// </summary>
    public async Task AddUplinkAsync()
    {
        await Run("ip", "netns", "add", Outside);
        await Run("ip", "netns", "exec", Outside, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
        await Run("ip", "-n", Namespace, "link", "add", Uplink, "type", "veth", "peer", "name", "eth0", "netns", Outside);
        await Run("ip", "-n", Namespace, "addr", "add", $"{UplinkAddress}/24", "dev", Uplink);
        await Run("ip", "-n", Namespace, "link", "set", Uplink, "up");
        await Run("ip", "-n", Outside, "addr", "add", $"{OutsideAddress}/24", "dev", "eth0");
        await Run("ip", "-n", Outside, "link", "set", "eth0", "up");
        await Run("ip", "-n", Outside, "link", "set", "lo", "up");
        await Run("ip", "-n", Namespace, "route", "add", "default", "via", OutsideAddress);
    }

    /// <summary>A command in the stand-in's network namespace; its output, or a failed assertion with its stderr.</summary>
    public async Task<string> InAsync(params string[] argv)
    {
        var result = await Cli.Wrap("ip").WithArguments(["netns", "exec", Namespace, .. argv]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Assert.True(result.ExitCode == 0, $"({Namespace})$ {string.Join(' ', argv)}: {result.StandardOutput}{result.StandardError}");
        return result.StandardOutput;
    }

    /// <summary>A pid file under libvirtd's private /run, read through its root as /proc shows it.</summary>
    private int ReadLibvirtPid(string relative) =>
        int.Parse(File.ReadAllText($"/proc/{DaemonPid}/root/run/libvirt/{relative}").Trim(), CultureInfo.InvariantCulture);

    private string Diagnostics()
    {
        var text = new System.Text.StringBuilder();
        foreach (var file in new[] { "libvirtd.out", "libvirtd.log", $"log/qemu/{Domain}.log", "console.log" })
        {
            var path = Path.Combine(Folder, file);
            if (File.Exists(path))
                text.Append($"\n--- {file}:\n").AppendJoin('\n', File.ReadLines(path).TakeLast(15));
        }
        return text.ToString();
    }

    private static Task Run(params string[] argv) => Cli.Wrap(argv[0]).WithArguments(argv[1..]).ExecuteAsync();

    public async Task DisposeAsync()
    {
        if (DaemonPid > 0 && ProcessTable.IsRunningAs(DaemonPid, "libvirtd"))
        {
            await VirshAsync(check: false, "destroy", Domain);
            await VirshAsync(check: false, "net-destroy", "default");
            await StandInProcess.StopAsync(DaemonPid, TimeSpan.FromSeconds(10));
        }
        // Whatever is left in the namespace was started by this stand-in (the namespace is its own): QEMU or dnsmasq
        // when libvirtd died before it could stop them.
        if (File.Exists(Path.Combine("/run/netns", Namespace)))
        {
            var left = await Cli.Wrap("ip").WithArguments(["netns", "pids", Namespace]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
            foreach (var pid in left.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                await StandInProcess.StopAsync(int.Parse(pid, CultureInfo.InvariantCulture), TimeSpan.FromSeconds(10));
            await Cli.Wrap("ip").WithArguments(["netns", "del", Namespace]).WithValidation(CommandResultValidation.None).ExecuteAsync();
        }
        if (File.Exists(Path.Combine("/run/netns", Outside)))
            await Cli.Wrap("ip").WithArguments(["netns", "del", Outside]).WithValidation(CommandResultValidation.None).ExecuteAsync();
        if (Directory.Exists(Folder))
            Directory.Delete(Folder, recursive: true);
    }
}
