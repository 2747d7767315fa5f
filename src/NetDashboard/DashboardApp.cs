using NetDashboard.Lab.Services;
using NetDashboard.Lab.Model;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using NetDashboard.Api;
using NetDashboard.Components;
using NetDashboard.Configuration;
using NetDashboard.Hubs;
using NetDashboard.Security;
using NetDashboard.Services;

namespace NetDashboard;

/// <summary>The dashboard: the web host with the UI, the HTTP API, the hubs and the console relays.</summary>
public static class DashboardApp
{
    public static async Task<int> RunAsync(string[] args, string root)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = root,
            WebRootPath = Path.Combine(root, "wwwroot"),
        });
        // Serve package assets (MudBlazor) from the build output in every environment, not only Development.
        builder.WebHost.UseStaticWebAssets();
        // MapStaticAssets knows only what the build put in its manifest (MudBlazor, _framework); our own files live in the
        // repository's wwwroot (lib/ copied by setup.sh), outside the project. Its fallback for such files logged a
        // "not found in the built time manifest" warning per request; without it, UseStaticFiles serves them.
        builder.Configuration["DisableStaticAssetNotFoundRuntimeFallback"] = "true";
        builder.Services.AddLabServices(builder.Configuration);
        builder.Services.AddSingleton<StartupLabState>();
        builder.Services.AddHostedService<StartupLab>();
        builder.Services.AddHostedService<LabAdoptionHost>();
        builder.Services.AddHostedService<LabFolderUpkeep>();
        var configured = builder.Configuration.GetSection(DashboardOptions.Section).Get<DashboardOptions>() ?? new DashboardOptions();
        var (allowedUsers, userProblems) = LocalPeers.AllowedUids(configured.LocalUsers, Environment.GetEnvironmentVariable("SUDO_UID"));
        if (userProblems.Count > 0)
        {
            foreach (var problem in userProblems) Console.Error.WriteLine($"error: {problem}");
            return 2;
        }
        builder.Services.AddSingleton(new LocalPeers(allowedUsers));
        builder.Services.AddSingleton<LiveConnections>();
        builder.Services.AddSingleton(new WrongTokenLimit());
        builder.Services.AddSingleton(sp => new HubStreamCount(sp.GetRequiredService<IOptions<CaptureOptions>>().Value.MaxStreamsPerConnection));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LiveConnections>());
        builder.Services.AddMudServices();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddOpenApi();
        // States and kinds read as words in the API's JSON ("Running", not 1); a field the API does not know is an error, not ignored.
        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
            options.SerializerOptions.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow;
            options.SerializerOptions.MaxDepth = 16;
            // A number is a JSON number ("30" is refused, not read as 30), and a field given twice is refused, not read as its last value.
            options.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
            options.SerializerOptions.AllowDuplicateProperties = false;
        });
        // A bad body throws, so ApiErrors can say which field was wrong.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddProblemDetails();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = ApiErrors.MaxRequestBodyBytes);
        builder.Services.AddSignalR(options => options.MaximumReceiveMessageSize = 32 * 1024).AddMessagePackProtocol();

        var listenUrls = builder.Configuration["urls"];
        if (ListenUrls.Problem(listenUrls) is { } badUrls)
        {
            Console.Error.WriteLine($"error: {badUrls}");
            return 2;
        }

        var app = builder.Build();
        var runtimeRoot = app.Services.GetRequiredService<IOptions<DashboardOptions>>().Value.RuntimeRoot;
        // Before the lock file is made in it: a folder another user owns (or may replace) is refused, not used.
        if (LabComposition.RuntimeFolderProblem(runtimeRoot, create: true) is { } unsafeRoot)
        {
            Console.Error.WriteLine($"error: the runtime folder {runtimeRoot} is not used: {unsafeRoot}");
            return 2;
        }
        var (instance, refusal) = SingleInstance.TryTake(runtimeRoot);
        if (instance is null)
        {
            Console.Error.WriteLine($"error: {refusal}");
            return 1;
        }
        using var runtimeFolderLock = instance;
        app.UseApiErrors();
        if (!app.Environment.IsDevelopment())
            app.UseWhen(context => !ApiErrors.IsApiRequest(context), pages => pages.UseExceptionHandler("/Error", createScopeForErrors: true));
        app.UseRequestGuard();
        // An address no page answers gets the app's own not-found page (in the layout, with a way home), still a 404.
        app.UseWhen(IsPageRequest, pages => pages.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true));
        // Routing after it, so the re-executed request is routed again to /not-found (a branch of UseWhen does not reroute).
        app.UseRouting();
        app.UseWebSockets();
        app.UseAntiforgery();
        app.UseStaticFiles();
        app.MapStaticAssets();
        app.MapOpenApi();
        app.MapLogin();
        app.MapLabApi();
        app.MapCaptureApi();
        app.MapHostApi();
        app.MapHub<CaptureHub>(CaptureHub.Path);
        app.MapConsoleRelay();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

        // The login link, as Jupyter prints it: whoever runs the dashboard signs in by opening it.
        var token = app.Services.GetRequiredService<AccessToken>();
        _ = token.Current;
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var url = LoginUrl.Base(app.Urls, app.Configuration["urls"]);
            StateFiles.WriteWhole(LoginUrl.ServedFile(Path.GetDirectoryName(token.FilePath)!), url + "\n");
            Console.WriteLine($"NetDashboard is serving. Sign in by opening: {token.LoginLink(url)}");
            Console.WriteLine($"(the token is kept in {token.FilePath}; `./netdash token` prints this link again)");
        });
        try
        {
            await app.RunAsync();
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            // A port in use, an address this machine does not have: a sentence, not a crash.
            Console.Error.WriteLine($"error: the dashboard cannot listen on {listenUrls}: {e.Message}");
            return 1;
        }
        return 0;
    }

    // A browser asking for a page (it accepts HTML): the API, hubs, console relays, scripts and static files keep
    // their bare status codes.
    private static bool IsPageRequest(HttpContext context) =>
        HttpMethods.IsGet(context.Request.Method) && !ApiErrors.IsApiRequest(context)
        && context.Request.Headers.Accept.Any(accept => accept?.Contains("text/html", StringComparison.Ordinal) == true);
}
