using System.Net;

namespace NetDashboard.Integration.Tests;

/// <summary>`token --rotate` (another process) ends the sessions of the running dashboard. Its own app: it changes the token.</summary>
[Trait("Category", "Integration")]
public sealed class TokenRotationTests
{
    [Fact]
    public async Task TokenRotate_FromTheCli_EndsOldSessionsAndOldBearer()
    {
        var runtime = Directory.CreateTempSubdirectory("netdash-rot-").FullName;
        try
        {
            await using var app = await AppProcess.StartAsync(runtime);
            var cookies = new CookieContainer();
            using var browser = app.CreateClient(withToken: false, new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false });
            using (var login = await browser.GetAsync(app.LoginLink))
                Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
            using (var before = await browser.GetAsync("api/labs"))
                Assert.Equal(HttpStatusCode.OK, before.StatusCode);

            var rotate = await DashboardCli.RunAsync(new Dictionary<string, string> { ["NetDashboard__StateFolder"] = app.StateFolder }, "token", "--rotate");
            Assert.Equal(0, rotate.ExitCode);
            var newLink = rotate.StandardOutput.Split('\n')[0].Trim();
            Assert.DoesNotContain(app.Token, newLink);

            using (var oldSession = await browser.GetAsync("api/labs"))
                Assert.Equal(HttpStatusCode.Unauthorized, oldSession.StatusCode);
            using (var oldBearer = app.CreateClient())
            using (var response = await oldBearer.GetAsync("api/labs"))
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            using (var relogin = await browser.GetAsync(new Uri(newLink).PathAndQuery))
                Assert.Equal(HttpStatusCode.Redirect, relogin.StatusCode);
            using (var after = await browser.GetAsync("api/labs"))
                Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        }
        finally
        {
            Directory.Delete(runtime, recursive: true);
        }
    }
}
