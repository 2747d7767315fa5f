using System.Net.WebSockets;
using Microsoft.Playwright;

namespace NetDashboard.Browser.Tests;

[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium,qemu")]
[Collection(NetDashboard.Integration.Tests.VmCollection.Name)]
public sealed class ConsoleTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    [Fact]
    public async Task ConsolePage_BuiltinGuest_ScreenConnectsAndSerialRunsACommand()
    {
        await using var lab = server.NewLab("co");
        await lab.UpAsync("seed-tap.yaml", wait: true);
        var page = await server.NewPageAsync();

        await page.GotoAsync($"/labs/{lab.Name}/vms/vm1/console");
        await Assertions.Expect(page.GetByTestId("console-screen")).ToHaveAttributeAsync("data-state", "connected");
        await Assertions.Expect(page.GetByTestId("console-serial")).ToHaveAttributeAsync("data-state", "connected");
        await page.GetByTestId("console-serial").ClickAsync();
        await page.Keyboard.TypeAsync("echo serial-$((40+2))\r");
        await Assertions.Expect(page.GetByTestId("console-serial").Locator(".xterm-rows")).ToContainTextAsync("serial-42");

        // Keys typed on the VNC screen reach the shell on the guest's VGA console (tty1). Unshifted keys
        // only: synthetic key events carry no Shift press, which a person's keyboard sends.
        await page.GetByTestId("console-screen").ClickAsync();
        await page.Keyboard.TypeAsync("touch /root/typed-on-vnc\n", new() { Delay = 30 });
        var typed = false;
        for (var i = 0; i < 50 && !typed; i++)
        {
            await Task.Delay(200);
            typed = (await lab.Vms.ExecAsync(lab.Name, lab.Vm("vm1"), "test -f /root/typed-on-vnc", TimeSpan.FromSeconds(10))).Succeeded;
        }
        await DashboardServer.ScreenshotAsync(page, "console");

        Assert.True(typed, "what was typed on the VNC screen did not reach the guest's shell");
    }

    [Fact]
    public async Task ConsoleRelay_ForeignOrigin_Refused403()
    {
        await using var lab = server.NewLab("cf");
        await lab.UpAsync("seed-tap.yaml");
        using var socket = new ClientWebSocket();
        socket.Options.Cookies = await server.SignedInCookiesAsync();
        socket.Options.SetRequestHeader("Origin", "http://evil.example");
        var uri = new Uri($"ws://{server.BaseAddress.Authority}/labs/{lab.Name}/vms/vm1/vnc");

        var error = await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, CancellationToken.None));

        Assert.Contains("403", error.Message);
    }

    [Fact]
    public async Task ConsoleRelay_UnknownVm_Refused404()
    {
        await using var lab = server.NewLab("cu");
        await lab.UpAsync("nat-pc.yaml");
        using var socket = new ClientWebSocket();
        socket.Options.Cookies = await server.SignedInCookiesAsync();
        socket.Options.SetRequestHeader("Origin", server.BaseAddress.GetLeftPart(UriPartial.Authority));
        var uri = new Uri($"ws://{server.BaseAddress.Authority}/labs/{lab.Name}/vms/nosuch/vnc");

        var error = await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, CancellationToken.None));

        Assert.Contains("404", error.Message);
    }
}
