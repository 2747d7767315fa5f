using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.Playwright;

namespace NetDashboard.Browser.Tests;

/// <summary>
/// The lab page follows what others do: a guest command through the HTTP API, and a VM stopped by the CLI in
/// another process, show in the open page within a second, without reload.
/// </summary>
[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium,qemu")]
public sealed class LiveUpdateTests(DashboardServer server, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<DashboardServer>
{
    [Fact]
    public async Task LabPage_ApiGuestCommandAndCliVmStop_ShowWithinOneSecond()
    {
        await using var lab = server.NewLab("ul");
        await lab.UpAsync("seed-tap.yaml", wait: true);
        var page = await server.NewPageAsync();
        await page.GotoAsync($"/labs/{lab.Name}");
        var journal = page.GetByTestId("journal");
        await Assertions.Expect(journal).ToContainTextAsync("(vm1)$");
        const string vmLabel = "() => document.querySelector('[data-testid=topology-graph]')?.__graph?.cy.getElementById('vm:vm1').data('label') ?? ''";
        await page.WaitForFunctionAsync($"() => ({vmLabel})().includes('running')");

        using var http = server.App.CreateClient();
        var exec = await http.PostAsJsonAsync($"api/labs/{lab.Name}/vms/vm1/exec", new { command = "echo live-from-the-api" });
        exec.EnsureSuccessStatusCode();
        var apiDone = Stopwatch.StartNew();
        await Assertions.Expect(journal).ToContainTextAsync("(vm1)$ echo live-from-the-api", new() { Timeout = 5000 });
        var journalLag = apiDone.Elapsed;

        var stop = await Integration.Tests.DashboardCli.RunAsync(
            new Dictionary<string, string> { ["NetDashboard__RuntimeRoot"] = server.RuntimeRoot }, "vm", "stop", lab.Name, "vm1");
        Assert.True(stop.ExitCode == 0, stop.StandardError);
        var cliDone = Stopwatch.StartNew();
        await page.WaitForFunctionAsync($"() => ({vmLabel})().includes('stopped')", null, new() { Timeout = 5000 });
        var stopLag = cliDone.Elapsed;
        await DashboardServer.ScreenshotAsync(page, "live-updates");

        output.WriteLine($"API guest command → page journal: {journalLag.TotalMilliseconds:0} ms; CLI vm stop → page VM state: {stopLag.TotalMilliseconds:0} ms");
        Assert.True(journalLag <= TimeSpan.FromSeconds(1), $"the API's guest command reached the page after {journalLag.TotalMilliseconds:0} ms");
        Assert.True(stopLag <= TimeSpan.FromSeconds(1), $"the CLI's vm stop reached the page after {stopLag.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task Browser_WithoutTheLink_GetsTheLoginPage_AndTheTokenSignsIn()
    {
        var page = await server.Browser.NewPageAsync(new() { BaseURL = server.BaseAddress.ToString() });
        await page.GotoAsync("/");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login"));
        await page.GetByLabel("Access token").FillAsync(server.App.Token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Labs" })).ToBeVisibleAsync();
        await page.CloseAsync();
    }
}
