using System.Net;

namespace NetDashboard.Integration.Tests;

/// <summary>A startup lab that fails for any reason is reported, and the dashboard keeps serving.</summary>
[Trait("Category", "Integration")]
[Trait("Needs", "QEMU")]
public sealed class StartupLabTests
{
    [Fact]
    public async Task StartupLab_GuestNeverReady_DashboardKeepsServing()
    {
        var runtime = Directory.CreateTempSubdirectory("netdash-start-").FullName;
        // A real kernel with an initrd that is not one: QEMU runs, the guest panics and never says READY.
        var brokenGuest = Directory.CreateTempSubdirectory("netdash-badguest-").FullName;
        var name = $"st-{Guid.NewGuid().ToString("N")[..8]}";
        var labFile = Path.Combine(runtime, "startup.yaml");
        try
        {
            File.Copy(Path.Combine(TestLab.GuestImageUnderTest.Folder, "vmlinuz"), Path.Combine(brokenGuest, "vmlinuz"));
            await File.WriteAllBytesAsync(Path.Combine(brokenGuest, "initrd.gz"), new byte[4096]);
            await File.WriteAllTextAsync(labFile, $"""
                name: {name}
                vms:
                  - name: vm1
                    mac: 52:54:98:76:54:30
                    tap: tap0
                    address: 192.168.1.10/24
                """);
            await using var app = await AppProcess.StartAsync(runtime, new Dictionary<string, string>
            {
                ["NetDashboard__StartupLab"] = labFile,
                ["NetDashboard__GuestImageFolder"] = brokenGuest,
                ["NetDashboard__GuestReadyTimeoutSeconds"] = "3",
            });
            using var http = app.CreateClient();

            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!app.Output.Contains("could not be brought up", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
                await Task.Delay(200);

            Assert.Contains($"did not become ready", app.Output);
            using var response = await http.GetAsync("api/labs");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains(name, await response.Content.ReadAsStringAsync());
        }
        finally
        {
            Directory.Delete(brokenGuest, recursive: true);
            Directory.Delete(runtime, recursive: true);
        }
    }
}
