using System.Diagnostics;
using NetDashboard.Lab.Host;

namespace NetDashboard.Lab.Tests;

/// <summary>A process that passes for a VM's QEMU without being one, so VM states can be tested without QEMU.</summary>
internal static class QemuStandIn
{
    /// <summary>A process named qemu-system-x86_64 whose command line holds "-pidfile PATH", as a QEMU's does; it only sleeps.</summary>
    public static async Task<Process> StartAsync(string pidFile)
    {
        var start = new ProcessStartInfo("bash");
        // "; :" keeps the inner bash alive as the named process instead of letting it exec sleep.
        foreach (var argument in new[] { "-c", "exec -a qemu-system-x86_64 bash -c 'sleep 60; :' stand-in -pidfile \"$1\"", "outer", pidFile })
            start.ArgumentList.Add(argument);
        var process = Process.Start(start)!;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!ProcessTable.IsRunningAs(process.Id, "qemu-system-x86_64", pidFile))
        {
            if (DateTime.UtcNow >= deadline)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail("the stand-in did not take its QEMU-like command line");
            }
            await Task.Delay(20);
        }
        return process;
    }
}
