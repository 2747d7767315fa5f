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
    private AppProcess? _app;
    private IPlaywright? _playwright;

    public string RuntimeRoot { get; } = Directory.CreateTempSubdirectory("netdash-ui-").FullName;
    public Uri BaseAddress { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots are kept as test artifacts.</summary>
    public static string ArtifactsFolder { get; } = Directory.CreateDirectory(Path.Combine(TestLab.RepositoryRoot, "TestResults", "screenshots")).FullName;

    public async Task InitializeAsync()
    {
        _app = await AppProcess.StartAsync(RuntimeRoot);
        BaseAddress = _app.BaseAddress;
        // Under TCG guests the two cores are busy; give the first snapshot time to arrive.
        Assertions.SetDefaultExpectTimeout(20_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await LaunchChromiumAsync(_playwright);
    }

    /// <summary>Debian's Chromium (never a downloaded one), headless, without the sandbox and the GPU, quiet on the network.</summary>
    public static Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new()
    {
        ExecutablePath = "/usr/bin/chromium",
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });

    /// <summary>A lab in this server's runtime folder, made and removed by the engine directly.</summary>
    public TestLab NewLab(string prefix) => new(prefix, RuntimeRoot);

    /// <summary>A page of a new browser context, signed in as a person is: by opening the login link the app printed.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var page = await Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 }, BaseURL = BaseAddress.ToString() });
        page.SetDefaultTimeout(20_000);
        await page.GotoAsync(App.LoginLink);
        return page;
    }

    public AppProcess App => _app ?? throw new InvalidOperationException("not started");

    /// <summary>The session cookie a browser gets from the login link, for a raw WebSocket client.</summary>
    public async Task<CookieContainer> SignedInCookiesAsync()
    {
        var cookies = new CookieContainer();
        using var http = App.CreateClient(withToken: false, new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false });
        using var login = await http.GetAsync(App.LoginLink);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return cookies;
    }

    /// <param name="fullPage">The whole page, below the fold too (captures and their details under a graph).</param>
    public static async Task ScreenshotAsync(IPage page, string name, bool fullPage = false)
    {
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await page.ScreenshotAsync(new() { Path = Path.Combine(ArtifactsFolder, $"{name}.png"), FullPage = fullPage });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (_app is not null)
        {
            // The app's log beside the screenshots: what a failed browser test saw from the server's side.
            await File.WriteAllTextAsync(Path.Combine(ArtifactsFolder, $"app-{Path.GetFileName(RuntimeRoot)}.log"), _app.Output);
            await _app.DisposeAsync();
        }
        Directory.Delete(RuntimeRoot, recursive: true);
    }
}
