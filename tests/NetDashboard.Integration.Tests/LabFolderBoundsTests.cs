using NetDashboard.Lab.Model;
using NetDashboard.Lab.Runtime;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NetDashboard.Lab.Vms;
using NetDashboard.Services;
using Xunit.Abstractions;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// Issue 17, finding 9, with a real QEMU guest (TCG): what the guest prints on its serial console no longer grows
/// serial.log without end, and a failing command's 1 MiB of output no longer goes into the journal whole.
/// </summary>
[Collection(VmCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Requires", "root,qemu")]
public sealed class LabFolderBoundsTests(ITestOutputHelper output)
{
    private const int KiB = 1024, MiB = 1024 * 1024;

    // The guest prints 3 MB on ttyS0, as `yes` would; the dashboard's own upkeep (LabFolderUpkeep) rotates its log.
    [Fact]
    public async Task SerialConsole_GuestPrints3MB_LogRotatedAt1MiBIntoTwoFilesAndTheConsoleGoesOn()
    {
        await using var lab = new TestLab("sr");
        var created = await lab.Service.CreateLabAsync(new CreateLabRequest(Yaml: TestLab.OneVmYaml(lab.Name), Wait: true));
        Assert.True(created.Result.Succeeded, created.Result.Message);
        var vm = lab.Store.ReadDefinition(lab.Name)!.Vms.Single();
        var paths = lab.Store.PathsOf(lab.Name, "vm1");
        var upkeep = new LabFolderUpkeep(lab.Service, NullLogger<LabFolderUpkeep>.Instance);
        await upkeep.StartAsync(CancellationToken.None);
        long largestLog = 0, largestBefore = 0, largestFolder = 0;
        using var stop = new CancellationTokenSource();
        var sampling = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                largestLog = Math.Max(largestLog, SizeOf(paths.SerialLog));
                largestBefore = Math.Max(largestBefore, SizeOf(paths.SerialLogBefore));
                largestFolder = Math.Max(largestFolder, LabFolderQuota.UsedBytes(lab.Store.FolderOf(lab.Name)));
                await Task.Delay(50);
            }
        });
        GuestResult printed;
        try
        {
            printed = await lab.Vms.ExecAsync(lab.Name, vm, "head -c 3000000 /dev/zero | tr '\\0' x >/dev/ttyS0; echo; echo printed-$((6*7)) >/dev/ttyS0",
                TimeSpan.FromSeconds(180));
            // The last look after the last byte: the log is past 1 MiB by at most what one half second brought.
            await Task.Delay(1000);
        }
        finally
        {
            await stop.CancelAsync();
            await sampling;
            await upkeep.StopAsync(CancellationToken.None);
        }
        output.WriteLine($"largest serial.log {largestLog}, serial.log.1 {largestBefore}, lab folder {largestFolder}; "
                         + $"now {SizeOf(paths.SerialLog)} and {SizeOf(paths.SerialLogBefore)}");

        Assert.True(printed.Succeeded, printed.Output);
        Assert.InRange(SizeOf(paths.SerialLog), 1, MiB);
        Assert.InRange(SizeOf(paths.SerialLogBefore), MiB / 2, MiB);
        Assert.InRange(largestBefore, 1, MiB);
        // Between two looks (half a second) TCG prints about 125 KB: a 4 MB log would say the rotation did not happen.
        Assert.InRange(largestLog, 1, MiB + 512 * KiB);
        Assert.InRange(largestFolder, 1, LabFolderQuota.DefaultMaxBytes);
        Assert.Contains("printed-42", lab.Vms.LastSerialLines(lab.Name, "vm1", 3));
        // QEMU writes on at the end of the emptied log (logappend=on): no hole of zeros where the cut bytes were.
        Assert.DoesNotContain((byte)0, File.ReadAllBytes(paths.SerialLog).Take(4096));
        // READY was rotated away: the VM is still known to be running, and its console answers and is logged.
        Assert.Equal(VmState.Running, lab.Vms.StatusOf(lab.Name, vm).State);
        var typed = await TypeOnConsoleAsync(paths.Serial, "echo after-$((6*7))", "after-42", TimeSpan.FromSeconds(60));
        Assert.Contains("after-42", typed);
        Assert.Contains("after-42", File.ReadAllText(paths.SerialLog));
    }

    // The caller still gets the whole output (up to 1 MiB); the journal keeps 64 KiB and the file the whole, which the CLI prints.
    [Fact]
    public async Task GuestCommand_FailingWithAMegabyteOfOutput_JournalKeeps64KiBAndTheCliPrintsItsFile()
    {
        await using var lab = new TestLab("jb");
        var created = await lab.Service.CreateLabAsync(new CreateLabRequest(Yaml: TestLab.OneVmYaml(lab.Name), Wait: true));
        Assert.True(created.Result.Succeeded, created.Result.Message);
        var journalBefore = new FileInfo(lab.Store.JournalOf(lab.Name).Path).Length;

        var outcome = await lab.Service.ExecAsync(lab.Name, "vm1", "head -c 1000000 /dev/zero | tr '\\0' y; exit 3", TimeSpan.FromSeconds(120));
        var journalAfter = new FileInfo(lab.Store.JournalOf(lab.Name).Path).Length;
        var entry = lab.Service.JournalPageOf(lab.Name, 0, 1).Page!.Entries.Single();
        var settings = new Dictionary<string, string> { ["NetDashboard__RuntimeRoot"] = lab.RuntimeRoot };
        var listed = await DashboardCli.RunAsync(settings, "lab", "journal", lab.Name);
        var whole = await DashboardCli.RunAsync(settings, "lab", "journal", lab.Name, "--output", entry.OutputFile ?? "none");
        output.WriteLine($"journal grew by {journalAfter - journalBefore} bytes; output file {entry.OutputFile}");

        Assert.Equal(3, outcome.Guest!.ExitCode);
        Assert.Equal(1_000_000, outcome.Guest.Output.TrimEnd('\n').Length);
        Assert.InRange(journalAfter - journalBefore, Journal.MaxOutputBytes, Journal.MaxOutputBytes + KiB);
        Assert.Equal("head -c 1000000 /dev/zero | tr '\\0' y; exit 3", entry.Tutorial);
        Assert.NotNull(entry.OutputFile);
        Assert.Contains($"--output {entry.OutputFile}", listed.StandardOutput);
        Assert.True(whole.ExitCode == 0, whole.StandardError);
        Assert.Equal(1_000_000, whole.StandardOutput.TrimEnd('\n').Length);
    }

    private static long SizeOf(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
    }

    // Types a line on the guest's serial console (its socket) and reads until the awaited text comes back.
    // Typed again on a new connection should QEMU end one (EOF) before the answer came: under load the guest may still
    // be draining the flood when the line is typed; what counts is that the console answers.
    private static async Task<string> TypeOnConsoleAsync(string socketPath, string line, string awaited, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var seen = new StringBuilder();
        var buffer = new byte[4096];
        while (true)
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), deadline.Token);
            await socket.SendAsync(Encoding.ASCII.GetBytes(line + "\r"), SocketFlags.None, deadline.Token);
            while (!seen.ToString().Contains(awaited, StringComparison.Ordinal))
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
                if (read == 0) break;
                seen.Append(Encoding.UTF8.GetString(buffer, 0, read));
            }
            if (seen.ToString().Contains(awaited, StringComparison.Ordinal)) return seen.ToString();
            await Task.Delay(200, deadline.Token);
        }
    }
}
