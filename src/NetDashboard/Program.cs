using MudBlazor.Services;
using NetDashboard.Api;
using NetDashboard.Hubs;
using NetDashboard.Commands;
using NetDashboard.Components;
using NetDashboard.Configuration;
using NetDashboard.Services;

var root = RepositoryLayout.FindRoot();

if (LabCli.Handles(args))
{
    // The CLI shares the web app's configuration and services, without the web server.
    var configuration = new ConfigurationBuilder()
        .AddJsonFile(Path.Combine(root, "appsettings.json"), optional: true)
        .AddEnvironmentVariables()
        .Build();
#pragma warning disable ASP0000 // no web host here: this provider is the CLI's only one
    var services = new ServiceCollection()
        .AddLabServices(configuration)
        .BuildServiceProvider();
#pragma warning restore ASP0000
    return await LabCli.RunAsync(args, services);
}

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = root,
    WebRootPath = Path.Combine(root, "wwwroot"),
});
if (ListenAddresses.NotLoopback(builder.Configuration) is { Count: > 0 } exposed)
{
    Console.Error.WriteLine($"error: NetDashboard listens on loopback addresses only (it has no sign-in yet), not on {string.Join(", ", exposed)}. "
        + "Use --urls http://127.0.0.1:PORT, and an SSH tunnel to reach it from another machine.");
    return LabCli.BadInput;
}
// Serve package assets (MudBlazor) from the build output in every environment, not only Development.
builder.WebHost.UseStaticWebAssets();
builder.Services.AddLabServices(builder.Configuration);
builder.Services.AddHostedService<StartupLab>();
builder.Services.AddMudServices();
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddOpenApi();

var app = builder.Build();
if (!app.Environment.IsDevelopment())
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
app.UseLiveConnectionGuard();
app.UseWebSockets();
app.UseAntiforgery();
app.UseStaticFiles();
app.MapStaticAssets();
app.MapOpenApi();
app.MapLabApi();
app.MapConsoleRelay();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
await app.RunAsync();
return 0;
