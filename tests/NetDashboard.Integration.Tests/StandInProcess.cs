using System.Globalization;
using CliWrap;
using NetDashboard.Lab.Host;

namespace NetDashboard.Integration.Tests;

/// <summary>Stops a process a stand-in host started (libvirtd, dockerd, a QEMU), by its pid only.</summary>
public static class StandInProcess
{
    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>, and waits until the pid is gone (a zombie counts as gone).</summary>
    public static async Task StopAsync(int pid, TimeSpan grace)
    {
        var id = pid.ToString(CultureInfo.InvariantCulture);
        await Cli.Wrap("kill").WithArguments(["-TERM", id]).WithValidation(CommandResultValidation.None).ExecuteAsync();
        var deadline = DateTime.UtcNow + grace;
        while (ProcessTable.IsRunning(pid) && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        if (ProcessTable.IsRunning(pid))
            await Cli.Wrap("kill").WithArguments(["-KILL", id]).WithValidation(CommandResultValidation.None).ExecuteAsync();
        await Poll.UntilAsync(() => !ProcessTable.IsRunning(pid), TimeSpan.FromSeconds(10), $"pid {pid} gone");
    }
}
