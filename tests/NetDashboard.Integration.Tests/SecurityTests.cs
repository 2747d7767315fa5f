using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using CliWrap;
using CliWrap.Buffered;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// Sign-in, Host and Origin checks of the real app: what a hostile web page (DNS rebinding, cross-site posts) or a
/// local user without the token can reach. The app under test signs in only with its printed token.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SecurityTests(ApiServer server) : IClassFixture<ApiServer>
{
    private AppProcess App => server.App;

    [Theory]
    [InlineData("GET", "api/labs")]
    [InlineData("POST", "api/labs")]
    [InlineData("GET", "openapi/v1.json")]
    [InlineData("POST", "_blazor/negotiate?negotiateVersion=1")]
    [InlineData("GET", "labs/somelab/vms/vm1/vnc")]
    [InlineData("GET", "labs/somelab/vms/vm1/serial")]
    public async Task Request_WithoutToken_Gets401(string method, string path)
    {
        using var http = App.CreateClient(withToken: false);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Add("Origin", App.BaseAddress.GetLeftPart(UriPartial.Authority));

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Api_WithBearerToken_Gets200()
    {
        using var response = await server.Http.GetAsync("api/labs");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Api_WithWrongBearerToken_Gets401()
    {
        using var http = App.CreateClient(withToken: false);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", App.Token[..^1] + (App.Token[^1] == 'a' ? 'b' : 'a'));

        using var response = await http.GetAsync("api/labs");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Page_WithoutSession_RedirectsToLogin()
    {
        using var http = App.CreateClient(withToken: false, new HttpClientHandler { AllowAutoRedirect = false });

        using var response = await http.GetAsync("labs/x");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login?returnUrl=", response.Headers.Location!.OriginalString);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Request_WithForeignHost_Gets400WhateverItCarries(bool withToken)
    {
        using var http = App.CreateClient(withToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/labs") { Content = new StringContent("{\"name\":\"evil1\"}", Encoding.UTF8, "application/json") };
        request.Headers.Host = $"evil.example:{App.BaseAddress.Port}";
        request.Headers.Add("Origin", $"http://evil.example:{App.BaseAddress.Port}");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain(await TestLab.RootNamespacesAsync(), ns => ns.StartsWith("netdash-evil1-", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("text/plain", "{\"name\":\"evil2\"}")]
    [InlineData("application/x-www-form-urlencoded", "name=evil2")]
    [InlineData("application/json", "{\"name\":\"evil2\"}")]
    public async Task CrossOriginPost_WithSessionCookie_Gets403(string contentType, string body)
    {
        var (http, cookies) = await SignedInBrowserAsync();
        using (http)
        {
            Assert.NotEmpty(cookies.GetCookies(App.BaseAddress));
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/labs") { Content = new StringContent(body, Encoding.UTF8, contentType) };
            request.Headers.Add("Origin", "http://evil.example");

            using var response = await http.SendAsync(request);

            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
    }

    [Fact]
    public async Task BodylessVmPost_FromForeignOrigin_Gets403()
    {
        var (http, _) = await SignedInBrowserAsync();
        using (http)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/labs/somelab/vms/vm1/stop");
            request.Headers.Add("Origin", "null");

            using var response = await http.SendAsync(request);

            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
    }

    [Fact]
    public async Task SameOriginPost_WithSessionCookie_PassesTheGuard()
    {
        var (http, _) = await SignedInBrowserAsync();
        using (http)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/labs")
                { Content = new StringContent("{\"name\":\"Bad_Name\"}", Encoding.UTF8, "application/json") };
            request.Headers.Add("Origin", App.BaseAddress.GetLeftPart(UriPartial.Authority));

            using var response = await http.SendAsync(request);

            // Past sign-in and Origin, the lab service refuses the bad name: validation, not the guard, answered.
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("name", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task LoginLink_SetsHttpOnlyStrictCookie_AndDropsTheTokenFromTheAddress()
    {
        using var http = App.CreateClient(withToken: false, new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });

        using var response = await http.GetAsync(App.LoginLink);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.DoesNotContain("token", response.Headers.Location!.OriginalString);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("netdash_session=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(App.Token, cookie);
    }

    [Theory]
    [InlineData("http://evil.example")]
    [InlineData(null)]
    public async Task BlazorHub_WebSocketWithSessionFromForeignOrNoOrigin_Refused403(string? origin)
    {
        var (http, cookies) = await SignedInBrowserAsync();
        http.Dispose();
        using var socket = new ClientWebSocket();
        socket.Options.Cookies = cookies;
        if (origin is not null)
            socket.Options.SetRequestHeader("Origin", origin);
        var uri = new Uri($"ws://{App.BaseAddress.Authority}/_blazor");

        var error = await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, CancellationToken.None));

        Assert.Contains("403", error.Message);
    }

    [Fact]
    public async Task Responses_ForbidFramingSniffingAndForeignScripts()
    {
        using var http = App.CreateClient(withToken: false);

        using var response = await http.GetAsync("login");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("SAMEORIGIN", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", policy);
        Assert.Contains("connect-src 'self'", policy);
        Assert.Contains("frame-ancestors 'self'", policy);
        Assert.DoesNotContain("unsafe-eval", policy);
    }

    [Fact]
    public async Task TokenFile_IsReadableByRootOnly()
    {
        var file = Path.Combine(App.StateFolder, "token");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(App.Token, (await File.ReadAllTextAsync(file)).Trim());
        Assert.True(App.Token.Length >= 22, "at least 128 bits of base64url");
    }

    [Fact]
    public async Task TokenCommand_PrintsTheServedLoginLinkFirst()
    {
        var run = await CliAsync("token");

        Assert.Equal(0, run.ExitCode);
        var first = run.StandardOutput.Split('\n')[0].Trim();
        // The port the dashboard really serves (a free one here), not the configured default 5080.
        Assert.Equal($"{App.BaseAddress.GetLeftPart(UriPartial.Authority)}/?token={App.Token}", first);
    }

    [Fact]
    public async Task LoginForm_WrongToken_Gets401AndNoCookie()
    {
        using var http = App.CreateClient(withToken: false, new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, "login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = "not-the-token", ["returnUrl"] = "/" }),
        };
        request.Headers.Add("Origin", App.BaseAddress.GetLeftPart(UriPartial.Authority));

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task LoginLink_TokenNamedInUpperCase_SignsInOnceAndDropsItFromTheAddress()
    {
        using var http = App.CreateClient(withToken: false, new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });

        using var response = await http.GetAsync($"labs/x?TOKEN={App.Token}&tab=journal");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/labs/x?tab=journal", response.Headers.Location!.OriginalString);
        Assert.True(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task LoginLink_PathThatNamesAnotherHost_RedirectsHomeNotThere()
    {
        // Raw: HttpClient would read "//evil.example/" as another host.
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(App.BaseAddress.Host, App.BaseAddress.Port);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET //evil.example/?token={App.Token} HTTP/1.1\r\nHost: {App.BaseAddress.Authority}\r\nConnection: close\r\n\r\n"));
        var response = await new StreamReader(stream).ReadToEndAsync();

        Assert.StartsWith("HTTP/1.1 302", response);
        Assert.Contains("\r\nLocation: /\r\n", response);
    }

    [Theory]
    [InlineData("/\t/evil.com")]
    [InlineData("/\u000b")]
    [InlineData("//evil.com")]
    [InlineData("/\\evil.com")]
    [InlineData("https://evil.com")]
    public async Task LoginForm_ReturnUrlNotAPlainLocalPath_GoesHome(string returnUrl)
    {
        using var http = App.CreateClient(withToken: false, new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, "login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = App.Token, ["returnUrl"] = System.Text.RegularExpressions.Regex.Unescape(returnUrl) }),
        };
        request.Headers.Add("Origin", App.BaseAddress.GetLeftPart(UriPartial.Authority));

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task LoginForm_JsonBody_Gets400WithASentence()
    {
        using var http = App.CreateClient(withToken: false, new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, "login") { Content = new StringContent($"{{\"token\":\"{App.Token}\"}}", Encoding.UTF8, "application/json") };
        request.Headers.Add("Origin", App.BaseAddress.GetLeftPart(UriPartial.Authority));

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("application/x-www-form-urlencoded", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ForeignHost_Refusal_CarriesTheSecurityHeadersToo()
    {
        using var http = App.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/labs");
        request.Headers.Host = "evil.example";

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("SAMEORIGIN", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.True(response.Headers.Contains("Content-Security-Policy"));
    }

    private Task<BufferedCommandResult> CliAsync(params string[] args) =>
        DashboardCli.RunAsync(new Dictionary<string, string>
        {
            ["NetDashboard__StateFolder"] = App.StateFolder,
            ["NetDashboard__RuntimeRoot"] = server.RuntimeRoot,
        }, args);

    // A browser that opened the login link: it holds the session cookie and sends no Bearer token.
    private async Task<(HttpClient Http, CookieContainer Cookies)> SignedInBrowserAsync()
    {
        var cookies = new CookieContainer();
        var http = App.CreateClient(withToken: false, new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false });
        using var login = await http.GetAsync(App.LoginLink);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return (http, cookies);
    }
}
