using System.Diagnostics;
using System.Net.WebSockets;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace NetDashboard.Browser.Tests;

[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium,qemu")]
[Collection(NetDashboard.Integration.Tests.VmCollection.Name)]
public sealed class ConsoleTests(DashboardServer server, ITestOutputHelper output) : IClassFixture<DashboardServer>
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
    public async Task SessionsRevokedFromTheCli_ConsolePageGoesToSignedOutAndAnOpenSerialRelayClosesWithinASecond()
    {
        await using var lab = server.NewLab("cr");
        await lab.UpAsync("seed-tap.yaml", wait: true);
        var page = await server.NewPageAsync();
        await page.GotoAsync($"/labs/{lab.Name}/vms/vm1/console");
        await Assertions.Expect(page.GetByTestId("console-serial")).ToHaveAttributeAsync("data-state", "connected");
        using var relay = new ClientWebSocket();
        relay.Options.Cookies = await server.SignedInCookiesAsync();
        relay.Options.SetRequestHeader("Origin", server.BaseAddress.GetLeftPart(UriPartial.Authority));
        await relay.ConnectAsync(new Uri($"ws://{server.BaseAddress.Authority}/labs/{lab.Name}/vms/vm1/serial"), CancellationToken.None);
        var relayClosed = NetDashboard.Integration.Tests.WebSocketEnd.ReceiveUntilClosedAsync(relay);

        var revoke = await NetDashboard.Integration.Tests.DashboardCli.RunAsync(
            new Dictionary<string, string> { ["NetDashboard__StateFolder"] = server.App.StateFolder }, "sessions", "--revoke-all");
        var revoked = Stopwatch.StartNew();

        Assert.Equal(0, revoke.ExitCode);
        await relayClosed.WaitAsync(TimeSpan.FromSeconds(1.5));
        output.WriteLine($"serial relay closed {revoked.ElapsedMilliseconds} ms after the revocation");
        await page.WaitForURLAsync("**/login?signedOut=1**", new() { Timeout = 10_000 });
        await Assertions.Expect(page.GetByTestId("signed-out")).ToContainTextAsync("You were signed out");
        await DashboardServer.ScreenshotAsync(page, "signed-out");
    }

    [Fact]
    public async Task ConsolePage_FreshSerialConsole_ShowsThePromptWithoutEnter()
    {
        await using var lab = server.NewLab("cp");
        await lab.UpAsync("seed-tap.yaml", wait: true);
        var page = await server.NewPageAsync();

        await page.GotoAsync($"/labs/{lab.Name}/vms/vm1/console");
        await Assertions.Expect(page.GetByTestId("console-serial")).ToHaveAttributeAsync("data-state", "connected");

        // Nothing typed: the guest's shell has been waiting at its prompt since it booted.
        await Assertions.Expect(page.GetByTestId("console-serial").Locator(".xterm-rows")).ToContainTextAsync("vm1:~#", new() { Timeout = 5_000 });
    }

    [Fact]
    public async Task ConsolePage_VmStoppedThenStarted_BothPanesSayVmStoppedAndReconnectWithin2sOfReady()
    {
        await using var lab = server.NewLab("cs");
        await lab.UpAsync("seed-tap.yaml", wait: true);
        var page = await server.NewPageAsync();
        await page.GotoAsync($"/labs/{lab.Name}/vms/vm1/console");
        var screen = page.GetByTestId("console-screen");
        var serial = page.GetByTestId("console-serial");
        await Assertions.Expect(screen).ToHaveAttributeAsync("data-state", "connected");
        await Assertions.Expect(serial.Locator(".xterm-rows")).ToContainTextAsync("vm1:~#");
        Assert.True(await LitPixelsAsync(screen) > 0, "the VNC screen drew nothing before the stop");

        await lab.Vms.StopAsync(lab.Name, lab.Vm("vm1"));

        await Assertions.Expect(screen).ToHaveAttributeAsync("data-state", "stopped");
        await Assertions.Expect(serial).ToHaveAttributeAsync("data-state", "stopped");
        await Assertions.Expect(page.GetByTestId("console-screen-status")).ToContainTextAsync("VM stopped");
        await Assertions.Expect(page.GetByTestId("console-serial-status")).ToContainTextAsync("VM stopped");
        await Assertions.Expect(serial.Locator(".xterm-rows")).ToContainTextAsync("[VM stopped]");
        // A few tries against the stopped VM later, both still say so.
        await page.WaitForTimeoutAsync(2_500);
        await Assertions.Expect(screen).ToHaveAttributeAsync("data-state", "stopped", new() { Timeout = 1 });
        await Assertions.Expect(serial).ToHaveAttributeAsync("data-state", "stopped", new() { Timeout = 1 });
        await Assertions.Expect(page.GetByTestId("console-screen-status")).ToContainTextAsync("VM stopped", new() { Timeout = 1 });
        await DashboardServer.ScreenshotAsync(page, "console-vm-stopped");

        await lab.Vms.StartAsync(lab.Name, lab.Vm("vm1"));
        await lab.Vms.WaitReadyAsync(lab.Name, lab.Vm("vm1"), TimeSpan.FromSeconds(90));
        var sinceReady = Stopwatch.StartNew();

        // Within 2 s of ready: both panes connected again, the serial port shows a prompt after the "[VM stopped]"
        // line, and the VNC screen's new canvas holds the guest's picture.
        var within = new LocatorAssertionsToHaveAttributeOptions { Timeout = 2_000 };
        await Assertions.Expect(screen).ToHaveAttributeAsync("data-state", "connected", within);
        await Assertions.Expect(serial).ToHaveAttributeAsync("data-state", "connected", within);
        await page.WaitForFunctionAsync(
            "el => { const text = el.innerText; return text.slice(text.lastIndexOf('[VM stopped]')).includes('vm1:~#'); }",
            await serial.Locator(".xterm-rows").ElementHandleAsync(), new() { Timeout = Math.Max(1, 2_000 - (float)sinceReady.ElapsedMilliseconds) });
        await Assertions.Expect(page.GetByTestId("console-screen-status")).ToBeHiddenAsync(new() { Timeout = 1 });
        var promptAfter = sinceReady.Elapsed;
        while (await LitPixelsAsync(screen) == 0 && sinceReady.Elapsed < TimeSpan.FromSeconds(2))
            await Task.Delay(100);
        var drawnAfter = sinceReady.Elapsed;
        await DashboardServer.ScreenshotAsync(page, "console-vm-back");
        Assert.True(drawnAfter < TimeSpan.FromSeconds(2), $"the VNC screen drew nothing within 2 s of ready (prompt after {promptAfter.TotalMilliseconds:0} ms)");
        output.WriteLine($"after ready: serial prompt {promptAfter.TotalMilliseconds:0} ms, VNC drawn {drawnAfter.TotalMilliseconds:0} ms");

        // Retrying while the VM was down said so once, not once per try.
        var marks = await serial.Locator(".xterm-rows").EvaluateAsync<int>("el => el.innerText.split('[VM stopped]').length - 1");
        Assert.Equal(1, marks);

        // The serial console is live again, not a picture of it.
        await serial.ClickAsync();
        await page.Keyboard.TypeAsync("echo back-$((40+2))\r");
        await Assertions.Expect(serial.Locator(".xterm-rows")).ToContainTextAsync("back-42");
    }

    [Fact]
    public async Task ConsolePage_LabDoesNotExist_SaysThereIsNoLab()
    {
        var name = $"nolab-{Guid.NewGuid().ToString("N")[..6]}";
        var page = await server.NewPageAsync();

        await page.GotoAsync($"/labs/{name}/vms/vm1/console");

        await Assertions.Expect(page.GetByTestId("console-problem")).ToContainTextAsync($"There is no lab named '{name}'");
        await Assertions.Expect(page.GetByTestId("console-problem")).Not.ToContainTextAsync("has no VM");
    }

    // Pixels of the VNC canvas brighter than the console's black: the guest's text, drawn by noVNC.
    private static Task<int> LitPixelsAsync(ILocator screen) => screen.EvaluateAsync<int>("""
        el => {
          const canvas = el.querySelector('canvas');
          if (!canvas || !canvas.width || !canvas.height) return 0;
          const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          let lit = 0;
          for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] > 150) lit++;
          return lit;
        }
        """);

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
