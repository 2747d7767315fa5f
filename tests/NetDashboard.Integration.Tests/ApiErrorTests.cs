using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// Every error of the API is problem+json, whatever the method and whatever went wrong: a body too large, a field it
/// does not know, a value of the wrong type, a method it does not serve, a lab busy with another change.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Requires", "root")]
public sealed class ApiErrorTests(ApiServer server) : IClassFixture<ApiServer>
{
    private HttpClient Http => server.Http;

    [Fact]
    public async Task CreateLab_BodyOverOneMebibyte_413ProblemNamingTheBody()
    {
        var yaml = "name: big\ndescription: " + new string('x', 2 * 1024 * 1024) + "\n";

        var response = await Http.PostAsJsonAsync("api/labs", new { yaml });
        using var problem = await ProblemOf(response);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("body", out _));
    }

    [Fact]
    public async Task CreateLab_UnknownField_400NamingIt()
    {
        var response = await Http.PostAsync("api/labs", Json("""{"file": "nat-pc.yaml", "name": "x1", "bogus": 1}"""));
        using var problem = await ProblemOf(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("bogus", out _), problem.RootElement.ToString());
    }

    [Fact]
    public async Task CreateLab_WrongType_400NamingTheField()
    {
        var response = await Http.PostAsync("api/labs", Json("""{"file": "nat-pc.yaml", "wait": "yes please"}"""));
        using var problem = await ProblemOf(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("wait", out _), problem.RootElement.ToString());
    }

    [Fact]
    public async Task CreateLab_NotJson_400Problem()
    {
        var response = await Http.PostAsync("api/labs", Json("{ this is not json"));
        using var problem = await ProblemOf(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("PUT", "api/labs", HttpStatusCode.MethodNotAllowed)]
    [InlineData("DELETE", "api/labs", HttpStatusCode.MethodNotAllowed)]
    [InlineData("PATCH", "api/labs/x1/operations", HttpStatusCode.MethodNotAllowed)]
    [InlineData("DELETE", "api/nothing-here", HttpStatusCode.NotFound)] // no route of any method has this path
    [InlineData("GET", "api/nothing-here", HttpStatusCode.NotFound)]
    public async Task AnyMethod_Error_IsProblemJson(string method, string path, HttpStatusCode expected)
    {
        var response = await Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        using var problem = await ProblemOf(response);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal((int)expected, problem.RootElement.GetProperty("status").GetInt32());
    }

    // Another change holding the lab (the CLI in another shell, a long apply) makes this one wait, then answer 409.
    [Fact]
    public async Task Operation_LabLockHeldElsewhere_409LabBusyAndNothingRan()
    {
        await using var lab = server.NewLab("busy");
        await lab.UpAsync("nat-pc.yaml");
        var journalBefore = lab.Store.JournalOf(lab.Name).ReadAll().Count;

        HttpResponseMessage response;
        using (await lab.Store.LockAsync(lab.Name))
            response = await Http.PostAsJsonAsync($"api/labs/{lab.Name}/operations", new { kind = "createBridge", bridge = "br7" });
        using var problem = await ProblemOf(response);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("busy", problem.RootElement.GetProperty("detail").GetString());
        Assert.Equal(journalBefore, lab.Store.JournalOf(lab.Name).ReadAll().Count);
    }

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    private static async Task<JsonDocument> ProblemOf(HttpResponseMessage response)
    {
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json",
            $"{(int)response.StatusCode} {response.Content.Headers.ContentType}: {await response.Content.ReadAsStringAsync()}");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }
}
