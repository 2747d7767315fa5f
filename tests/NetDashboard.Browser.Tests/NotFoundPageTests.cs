using Microsoft.Playwright;

namespace NetDashboard.Browser.Tests;

/// <summary>An address no page answers gets the dashboard's own page, in its layout, with a way home, and stays a 404.</summary>
[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium")]
public sealed class NotFoundPageTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    [Fact]
    public async Task UnknownAddress_SignedIn_NotFoundPageInTheLayoutWith404AndALinkHome()
    {
        var page = await server.NewPageAsync();

        var response = await page.GotoAsync("/nosuchpage");

        Assert.Equal(404, response!.Status);
        await Assertions.Expect(page.GetByTestId("not-found")).ToContainTextAsync("no page at /nosuchpage");
        await Assertions.Expect(page.GetByTestId("theme-toggle")).ToBeVisibleAsync();
        await DashboardServer.ScreenshotAsync(page, "not-found");
        await page.GetByTestId("not-found-home").ClickAsync();
        await page.WaitForURLAsync(server.BaseAddress.ToString());
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Labs", Level = 1 })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task UnknownApiAddress_Bearer_StaysABare404WithoutThePage()
    {
        using var http = server.App.CreateClient(withToken: true);

        using var response = await http.GetAsync("/api/nosuch");

        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("Back to the labs", await response.Content.ReadAsStringAsync());
    }
}
