using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Playwright;
using NetDashboard.Integration.Tests;

namespace NetDashboard.Browser.Tests;

/// <summary>
/// The dashboard as a user runs it: the built app on a free loopback port with its own runtime folder,
/// and Debian's Chromium driven by Playwright (never a downloaded browser). Shared by the tests of a class.
/// </summary>
public sealed class DashboardServer : IAsyncLifetime
{
    private Process? _app;
    private IPlaywright? _playwright;

    public string RuntimeRoot { get; } = Directory.CreateTempSubdirectory("netdash-ui-").FullName;
    public Uri BaseAddress { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots are kept as test artifacts.</summary>
    public static string ArtifactsFolder { get; } = Directory.CreateDirectory(Path.Combine(TestLab.RepositoryRoot, "TestResults", "screenshots")).FullName;

    public async Task InitializeAsync()
    {
        var port = FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = TestLab.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "NetDashboard.dll"));
        start.ArgumentList.Add($"--urls={BaseAddress}");
        start.Environment["NetDashboard__RuntimeRoot"] = RuntimeRoot;
        start.Environment["NetDashboard__GuestImageFolder"] = TestLab.GuestImageUnderTest.Folder;
        _app = Process.Start(start)!;
        _app.OutputDataReceived += (_, _) => { };
        _app.ErrorDataReceived += (_, _) => { };
        _app.BeginOutputReadLine();
        _app.BeginErrorReadLine();
        await WaitUntilServingAsync();

        // Under TCG guests the two cores are busy; give the first snapshot time to arrive.
        Assertions.SetDefaultExpectTimeout(20_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <summary>A lab in this server's runtime folder, made and removed by the engine directly.</summary>
    public TestLab NewLab(string prefix) => new(prefix, RuntimeRoot);

    public async Task<IPage> NewPageAsync()
    {
        var page = await Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 }, BaseURL = BaseAddress.ToString() });
        page.SetDefaultTimeout(20_000);
        return page;
    }

    public static async Task ScreenshotAsync(IPage page, string name)
    {
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await page.ScreenshotAsync(new() { Path = Path.Combine(ArtifactsFolder, $"{name}.png") });
    }

    private async Task WaitUntilServingAsync()
    {
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_app!.HasExited)
                throw new InvalidOperationException($"the dashboard exited with {_app.ExitCode} before serving");
            try
            {
                if ((await http.GetAsync(BaseAddress)).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        throw new TimeoutException("the dashboard did not answer within 60 s");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (_app is { HasExited: false })
        {
            _app.Kill(entireProcessTree: true);
            await _app.WaitForExitAsync();
        }
        _app?.Dispose();
        // A lab a failed test left behind (one made through the UI has no TestLab to remove it).
        var engine = new TestLab("cleanup", RuntimeRoot).Engine;
        foreach (var lab in engine.Store.ListLabs())
            await engine.DownAsync(lab);
        Directory.Delete(RuntimeRoot, recursive: true);
    }
}
