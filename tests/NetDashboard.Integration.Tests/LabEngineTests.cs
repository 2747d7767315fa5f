using NetDashboard.Lab.Runtime;
using System.Diagnostics;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Integration.Tests;

[Trait("Category", "Integration")]
[Trait("Requires", "root")]
public sealed class LabEngineTests
{
    [Fact]
    public async Task NatPcLab_Up_PcPingsInternetServerWithSourceRewrittenOnUplink()
    {
        await using var lab = new TestLab();
        await lab.UpAsync("nat-pc.yaml");

        await using var capture = await Tcpdump.StartAsync(lab.Namespaces.Host, "ens160", 1, "icmp[icmptype] = icmp-echo");
        var ping = await lab.ExecAsync(NamespaceRole.Pc, "ping", "-c", "1", "-W", "3", "203.0.113.5");
        var seen = await capture.LinesAsync(TimeSpan.FromSeconds(5));

        Assert.True(ping.ExitCode == 0, $"ping failed: {ping.StandardOutput}{ping.StandardError}");
        Assert.Contains("10.180.13.232 > 203.0.113.5", seen);
        Assert.DoesNotContain("192.168.1.3 >", seen);
    }

    [Fact]
    public async Task NatPcLab_Up_InternetServerAnswersHttp()
    {
        await using var lab = new TestLab();
        await lab.UpAsync("nat-pc.yaml");

        // busybox wget's own -T option crashes in busybox-static 1.35; coreutils timeout bounds it instead.
        var page = await lab.ExecAsync(NamespaceRole.Pc, "timeout", "5", "busybox", "wget", "-q", "-O", "-", "http://203.0.113.5/");

        Assert.Equal(0, page.ExitCode);
        Assert.Contains("internet server 203.0.113.5", page.StandardOutput);
    }

    [Fact]
    public async Task NatPcLab_SecondApply_RunsNothing()
    {
        await using var lab = new TestLab();
        var first = await lab.UpAsync("nat-pc.yaml");
        var journalLength = lab.Store.JournalOf(lab.Name).ReadAll().Count;

        var second = await lab.UpAsync("nat-pc.yaml");

        Assert.NotEmpty(first.Ran);
        Assert.Empty(second.Ran);
        Assert.Equal(journalLength, lab.Store.JournalOf(lab.Name).ReadAll().Count);
    }

    [Fact]
    public async Task NatPcLab_Up_KernelHoldsWhatTheFileWants()
    {
        await using var lab = new TestLab();
        await lab.UpAsync("nat-pc.yaml");

        var host = (await lab.Reader.ReadAsync(lab.Name)).Host;

        var br0 = Assert.IsType<LinkState>(host.Link("br0"));
        Assert.Equal("bridge", br0.Kind);
        Assert.True(br0.AdminUp);
        Assert.Contains(InterfaceAddress.Parse("192.168.1.1/24"), br0.Addresses);
        Assert.Equal("br0", host.Link("ens192")?.Master);
        Assert.True(host.Forwarding);
        var rule = Assert.Single(host.NatRules, r => r.IsMasquerade);
        Assert.Equal($"netdash:{lab.Name}", rule.Comment);
        Assert.Contains(host.Routes, r => r.Destination == "default" && r.Gateway == "10.180.13.1");
    }

    [Fact]
    public async Task Journal_AfterUp_RecordsArgvAndTutorialAndExportsScript()
    {
        await using var lab = new TestLab();
        await lab.UpAsync("nat-pc.yaml");

        var entries = lab.Store.JournalOf(lab.Name).ReadAll();
        var addif = Assert.Single(entries, e => e.Tutorial == "brctl addif br0 ens192");
        var script = JournalScript.Export(lab.Name, entries, lab.Store.Root, System.Net.IPAddress.Parse("203.0.113.5"));

        Assert.Equal(["ip", "-n", lab.Namespaces.Host, "link", "set", "dev", "ens192", "master", "br0"], addif.Argv);
        Assert.Equal("(host)$ brctl addif br0 ens192", addif.TutorialLine);
        Assert.All(entries, e => Assert.True(e.Succeeded));
        Assert.Contains("ip netns add \"netdash-${LAB}-host\"", script);
        Assert.Contains("iptables -w -t nat -A POSTROUTING -s 192.168.1.0/24 '!' -d 192.168.1.0/24", script);
    }

    [Fact]
    public async Task JournalScript_RunOnEmptyMachine_RebuildsWorkingLab()
    {
        string script;
        string root;
        await using (var lab = new TestLab("is"))
        {
            await lab.UpAsync("nat-pc.yaml");
            script = JournalScript.Export(lab.Name, lab.Store.JournalOf(lab.Name).ReadAll(), lab.Store.Root, System.Net.IPAddress.Parse("203.0.113.5"));
            root = lab.Store.Root;
        }
        // Another name than the original's: the script takes the new lab's name as its first argument.
        var name = $"is{Guid.NewGuid():N}"[..12];
        var path = Path.Combine(Path.GetTempPath(), $"{name}.sh");
        await File.WriteAllTextAsync(path, script);
        var names = new LabNamespaces(name);
        try
        {
            var run = await CliWrap.Buffered.BufferedCommandExtensions.ExecuteBufferedAsync(
                CliWrap.Cli.Wrap("bash").WithArguments([path, name]).WithValidation(CliWrap.CommandResultValidation.None));
            var ping = await CliWrap.Cli.Wrap("ip").WithArguments(["netns", "exec", names.Pc, "ping", "-c", "1", "-W", "3", "203.0.113.5"])
                .WithValidation(CliWrap.CommandResultValidation.None).ExecuteAsync();
            var page = await CliWrap.Buffered.BufferedCommandExtensions.ExecuteBufferedAsync(
                CliWrap.Cli.Wrap("ip").WithArguments(["netns", "exec", names.Pc, "busybox", "wget", "-q", "-O", "-", "http://203.0.113.5/"])
                    .WithValidation(CliWrap.CommandResultValidation.None));

            Assert.True(run.ExitCode == 0, run.StandardError);
            Assert.Equal(0, ping.ExitCode);
            Assert.Contains($"of lab {name}.", page.StandardOutput);
        }
        finally
        {
            var reader = new TopologyReader(new HostRunner());
            foreach (var ns in names.All.Intersect(await reader.ListNamespacesAsync()))
            {
                foreach (var pid in await reader.ReadPidsAsync(ns))
                    Process.GetProcessById(pid).Kill();
                await CliWrap.Cli.Wrap("ip").WithArguments(["netns", "del", ns]).ExecuteAsync();
            }
            File.Delete(path);
            // The first lab's runtime folder went with it; the script made it again for the rebuilt lab.
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task RunAsync_AddressOnMissingLink_ThrowsWithToolStderrAndJournalsFailure()
    {
        await using var lab = new TestLab();
        await lab.UpAsync("nat-pc.yaml");

        var error = await Assert.ThrowsAsync<HostCommandException>(() =>
            lab.Engine.RunAsync(lab.Name, new AddAddress(lab.Namespaces.Host, "nosuch0", InterfaceAddress.Parse("10.9.9.9/24"))));

        Assert.Contains("nosuch0", error.StandardError);
        Assert.NotEqual(0, error.ExitCode);
        Assert.False(lab.Store.JournalOf(lab.Name).ReadAll()[^1].Succeeded);
    }

    [Fact]
    public async Task Down_AfterUp_RemovesNamespacesProcessesAndRuntimeFolder()
    {
        await using var lab = new TestLab();
        await lab.UpAsync("nat-pc.yaml");
        var serverPid = lab.Store.Read(lab.Name)?.InternetServerPid;

        var removed = await lab.Engine.DownAsync(lab.Name);

        Assert.Equal(DownOutcome.Removed, removed);
        Assert.NotNull(serverPid);
        Assert.False(ProcessTable.IsRunning(serverPid.Value), $"internet server pid {serverPid} still runs");
        Assert.Empty(lab.Namespaces.All.Intersect(await TestLab.RootNamespacesAsync()));
        Assert.False(Directory.Exists(lab.Store.FolderOf(lab.Name)));
    }

    [Fact]
    public async Task UpDown_TwentyCycles_LeaveNoNamespaceProcessOrFile()
    {
        await using var lab = new TestLab("cy");
        var pids = new List<int>();
        for (var i = 0; i < 20; i++)
        {
            await lab.UpAsync("nat-pc.yaml");
            pids.Add(lab.Store.Read(lab.Name)!.InternetServerPid!.Value);
            Assert.Equal(DownOutcome.Removed, await lab.Engine.DownAsync(lab.Name));
        }

        Assert.Empty(lab.Namespaces.All.Intersect(await TestLab.RootNamespacesAsync()));
        Assert.All(pids, pid => Assert.False(ProcessTable.IsRunning(pid), $"pid {pid} still runs"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(lab.RuntimeRoot));
    }

    [Fact]
    public async Task TestLab_BodyThrows_LabIsStillTornDown()
    {
        LabNamespaces? names = null;
        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await using var lab = new TestLab("fl");
            names = lab.Namespaces;
            await lab.UpAsync("nat-pc.yaml");
            throw new InvalidOperationException("the test body failed");
        });

        Assert.Equal("the test body failed", thrown.Message);
        Assert.NotNull(names);
        Assert.Empty(names.All.Intersect(await TestLab.RootNamespacesAsync()));
    }

    [Fact]
    public async Task Up_NewLab_ItsRuntimeFolderIsOwnerOnly()
    {
        await using var lab = new TestLab("mode");
        await lab.UpAsync("nat-pc.yaml");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(lab.Store.FolderOf(lab.Name)));
    }
}
