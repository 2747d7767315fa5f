using System.Net;
using System.Net.WebSockets;
using CliWrap;
using CliWrap.Buffered;
using Microsoft.AspNetCore.SignalR.Client;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// Sessions only the right local user can use (issue 17, items 1 and 2): a cookie or token replayed from another local
/// user's socket gets 403; a session is a random id of its own with an expiry, not a value derived from the token; and
/// ending sign-ins (token --rotate, sessions --revoke-all) closes what is already open within a second. Each test has
/// its own dashboard: they change its token or its sessions.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SessionTests
{
    private static readonly TimeSpan ClosedWithin = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task CookieAndBearerReplayedAsNobody_Get403NamingTheUserWhileRootGets200()
    {
        await using var app = await StartAsync();
        var cookie = await SessionCookieAsync(app);

        var asRoot = await LocalUser.GetAsync(0, app.BaseAddress, "api/labs", $"Cookie: netdash_session={cookie}");
        var cookieAsNobody = await LocalUser.GetAsync(LocalUser.Nobody, app.BaseAddress, "api/labs", $"Cookie: netdash_session={cookie}");
        var bearerAsNobody = await LocalUser.GetAsync(LocalUser.Nobody, app.BaseAddress, "api/labs", $"Authorization: Bearer {app.Token}");
        var loginLinkAsNobody = await LocalUser.GetAsync(LocalUser.Nobody, app.BaseAddress, $"?token={app.Token}");

        Assert.Equal(200, asRoot.Status);
        Assert.Equal(403, cookieAsNobody.Status);
        Assert.Contains("local user nobody (uid 65534)", cookieAsNobody.Response);
        Assert.Contains("NetDashboard__LocalUsers=65534", cookieAsNobody.Response);
        Assert.Equal(403, bearerAsNobody.Status);
        Assert.Equal(403, loginLinkAsNobody.Status);
        Assert.DoesNotContain("Set-Cookie", loginLinkAsNobody.Response, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task LocalUsersNamesNobody_NobodyWithTheTokenGets200AndWithoutItStill401()
    {
        await using var app = await StartAsync(new() { ["NetDashboard__LocalUsers__0"] = "nobody" });

        var withToken = await LocalUser.GetAsync(LocalUser.Nobody, app.BaseAddress, "api/labs", $"Authorization: Bearer {app.Token}");
        var withoutToken = await LocalUser.GetAsync(LocalUser.Nobody, app.BaseAddress, "api/labs");

        Assert.Equal(200, withToken.Status);
        Assert.Equal(401, withoutToken.Status);
    }

    [Fact]
    public async Task LocalUsersNamesNoSuchUser_DashboardRefusesToStartNamingIt()
    {
        var runtime = Directory.CreateTempSubdirectory("netdash-lu-").FullName;
        var state = Directory.CreateTempSubdirectory("netdash-lu-state-").FullName;
        try
        {
            var result = await AppProcess.RunToRefusalAsync(new Dictionary<string, string>
            {
                ["NetDashboard__RuntimeRoot"] = runtime, ["NetDashboard__StateFolder"] = state, ["NetDashboard__StartupLab"] = "",
                ["NetDashboard__LocalUsers__0"] = "no-such-user-xyz",
            });

            Assert.Equal(2, result.ExitCode);
            Assert.Contains("NetDashboard:LocalUsers: 'no-such-user-xyz' is no user of this machine", result.StandardError);
        }
        finally
        {
            Directory.Delete(runtime, recursive: true);
            Directory.Delete(state, recursive: true);
        }
    }

    [Fact]
    public async Task SignInTwice_TwoRandomSessionsNeitherDerivedFromTheTokenBothListedAsHashesWithAnExpiry()
    {
        await using var app = await StartAsync();

        var first = await SessionCookieAsync(app);
        var second = await SessionCookieAsync(app);
        var file = await File.ReadAllLinesAsync(Path.Combine(app.StateFolder, "sessions"));

        Assert.NotEqual(first, second);
        Assert.True(first.Length >= 43, first);
        Assert.DoesNotContain(app.Token, first);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(app.StateFolder, "sessions")));
        Assert.Equal(3, file.Length);
        Assert.DoesNotContain(file, line => line.Contains(first) || line.Contains(second));
        var expiry = DateTimeOffset.FromUnixTimeSeconds(long.Parse(file[1].Split(' ')[1]));
        Assert.InRange(expiry - DateTimeOffset.UtcNow, TimeSpan.FromHours(11.9), TimeSpan.FromHours(12));
    }

    [Fact]
    public async Task SessionsRevokeAll_FromTheCli_EndsSessionsButTheTokenStillSignsIn()
    {
        await using var app = await StartAsync();
        var cookies = new CookieContainer();
        using var browser = app.CreateClient(withToken: false, new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false });
        using (await browser.GetAsync(app.LoginLink)) { }
        using (var before = await browser.GetAsync("api/session"))
            Assert.Equal(HttpStatusCode.NoContent, before.StatusCode);

        var listed = await CliAsync(app, "sessions");
        var revoke = await CliAsync(app, "sessions", "--revoke-all");

        Assert.Contains("1 session signed in", listed.StandardOutput);
        Assert.Equal(0, revoke.ExitCode);
        Assert.Contains("Ended 1 session", revoke.StandardOutput);
        using (var after = await browser.GetAsync("api/session"))
            Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        using (var bearer = app.CreateClient())
        using (var response = await bearer.GetAsync("api/labs"))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task TokenRotate_OpenHubStreamAndBlazorSocket_BothClosedWithinASecond()
    {
        await using var app = await StartAsync();
        await using var hub = await app.ConnectCaptureHubAsync();
        var hubClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.Closed += _ => { hubClosed.TrySetResult(); return Task.CompletedTask; };
        using var blazor = await OpenBlazorSocketAsync(app);
        var blazorClosed = WebSocketEnd.ReceiveUntilClosedAsync(blazor);

        var rotate = await CliAsync(app, "token", "--rotate");
        var rotated = DateTime.UtcNow;

        Assert.Equal(0, rotate.ExitCode);
        await hubClosed.Task.WaitAsync(ClosedWithin + TimeSpan.FromSeconds(0.5));
        await blazorClosed.WaitAsync(ClosedWithin + TimeSpan.FromSeconds(0.5));
        Assert.True(DateTime.UtcNow - rotated < ClosedWithin + TimeSpan.FromSeconds(0.5), $"closed {(DateTime.UtcNow - rotated).TotalMilliseconds:0} ms after");
        Assert.Equal(HubConnectionState.Disconnected, hub.State);
    }

    [Fact]
    public async Task SessionsRevokeAll_OpenBlazorSocketOfASession_ClosedWithinASecondAndItsReconnectRefused()
    {
        await using var app = await StartAsync();
        var cookie = await SessionCookieAsync(app);
        using var blazor = await OpenBlazorSocketAsync(app, cookie);
        var closed = WebSocketEnd.ReceiveUntilClosedAsync(blazor);

        await CliAsync(app, "sessions", "--revoke-all");

        await closed.WaitAsync(ClosedWithin + TimeSpan.FromSeconds(0.5));
        var reconnect = await Assert.ThrowsAsync<WebSocketException>(() => OpenBlazorSocketAsync(app, cookie));
        Assert.Contains("401", reconnect.Message);
    }

    [Fact]
    public async Task WrongTokens_TenInAMinute_TheEleventhAndEvenTheRightTokenGet429WithASentence()
    {
        await using var app = await StartAsync();
        using var wrong = app.CreateClient(withToken: false);
        wrong.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "not-this-dashboards-token");

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 11; i++)
        {
            using var response = await wrong.GetAsync("api/labs");
            statuses.Add(response.StatusCode);
        }
        using var right = app.CreateClient();
        using var rightResponse = await right.GetAsync("api/labs");
        using var noToken = app.CreateClient(withToken: false);
        using var noTokenResponse = await noToken.GetAsync("api/labs");

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, 10), statuses.Take(10));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[10]);
        Assert.Equal(HttpStatusCode.TooManyRequests, rightResponse.StatusCode);
        Assert.Contains("more than 10 wrong tokens from this address within a minute", await rightResponse.Content.ReadAsStringAsync());
        Assert.NotNull(rightResponse.Headers.RetryAfter);
        // A request that offers no token is not a guess: it gets the ordinary 401.
        Assert.Equal(HttpStatusCode.Unauthorized, noTokenResponse.StatusCode);
    }

    private static Task<AppProcess> StartAsync(Dictionary<string, string>? settings = null) =>
        AppProcess.StartInOwnFolderAsync(settings);

    private static Task<BufferedCommandResult> CliAsync(AppProcess app, params string[] args) =>
        DashboardCli.RunAsync(new Dictionary<string, string> { ["NetDashboard__StateFolder"] = app.StateFolder }, args);

    /// <summary>Signs in with the login link as a browser does; the session cookie's value.</summary>
    private static async Task<string> SessionCookieAsync(AppProcess app)
    {
        var cookies = new CookieContainer();
        using var browser = app.CreateClient(withToken: false, new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false });
        using var login = await browser.GetAsync(app.LoginLink);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return cookies.GetCookies(app.BaseAddress)["netdash_session"]?.Value ?? throw new Xunit.Sdk.XunitException("no session cookie set");
    }

    /// <summary>The WebSocket a page's circuit lives on (/_blazor), signed in with the Bearer token or a session cookie.</summary>
    private static async Task<ClientWebSocket> OpenBlazorSocketAsync(AppProcess app, string? cookie = null)
    {
        using var http = app.CreateClient(withToken: cookie is null);
        if (cookie is not null) http.DefaultRequestHeaders.Add("Cookie", $"netdash_session={cookie}");
        http.DefaultRequestHeaders.Add("Origin", app.BaseAddress.GetLeftPart(UriPartial.Authority));
        using var negotiate = await http.PostAsync("_blazor/negotiate?negotiateVersion=1", null);
        if (negotiate.StatusCode != HttpStatusCode.OK) throw new WebSocketException($"negotiate answered {(int)negotiate.StatusCode}");
        var token = System.Text.Json.JsonDocument.Parse(await negotiate.Content.ReadAsStringAsync()).RootElement.GetProperty("connectionToken").GetString();
        var socket = new ClientWebSocket();
        if (cookie is null) socket.Options.SetRequestHeader("Authorization", $"Bearer {app.Token}");
        else socket.Options.SetRequestHeader("Cookie", $"netdash_session={cookie}");
        socket.Options.SetRequestHeader("Origin", app.BaseAddress.GetLeftPart(UriPartial.Authority));
        var uri = new UriBuilder(new Uri(app.BaseAddress, $"_blazor?id={token}")) { Scheme = "ws" }.Uri;
        await socket.ConnectAsync(uri, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        return socket;
    }
}
