using System.Net;
using System.Net.WebSockets;
using CliWrap;
using CliWrap.Buffered;

namespace NetDashboard.Integration.Tests;

[Trait("Category", "Integration")]
public sealed class SecurityTests(ApiServer server) : IClassFixture<ApiServer>
{
    [Theory]
    [InlineData("http://0.0.0.0:5099")]
    [InlineData("http://*:5099")]
    [InlineData("http://127.0.0.1:5099;http://192.168.1.1:5099")]
    public async Task Dashboard_NonLoopbackUrls_RefusesToStartWithExitTwo(string urls)
    {
        var run = await Cli.Wrap("dotnet")
            .WithArguments([Path.Combine(AppContext.BaseDirectory, "NetDashboard.dll"), "--urls", urls])
            .WithWorkingDirectory(TestLab.RepositoryRoot)
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("loopback addresses only", run.StandardError);
    }

    [Theory]
    [InlineData("http://evil.example")]
    [InlineData(null)]
    public async Task BlazorHub_WebSocketFromForeignOrNoOrigin_Refused403(string? origin)
    {
        using var socket = new ClientWebSocket();
        if (origin is not null)
            socket.Options.SetRequestHeader("Origin", origin);
        var uri = new Uri($"ws://{server.Http.BaseAddress!.Authority}/_blazor");

        var error = await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, CancellationToken.None));

        Assert.Contains("403", error.Message);
    }

    [Fact]
    public async Task Pages_AnyResponse_ForbidsFramingByOtherSites()
    {
        var response = await server.Http.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("SAMEORIGIN", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains(response.Headers.GetValues("Content-Security-Policy"), v => v.Contains("frame-ancestors 'self'", StringComparison.Ordinal));
    }
}
