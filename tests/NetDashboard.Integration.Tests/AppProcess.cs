using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// The built dashboard as a user runs it: its own process on a free loopback port, with a runtime folder of
/// the caller's. On dispose it stops the process and removes any lab still in that folder (one a failed test
/// made through the UI or the API has nothing else to remove it).
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _runtimeRoot;

    private AppProcess(Process process, string runtimeRoot, Uri baseAddress)
    {
        _process = process;
        _runtimeRoot = runtimeRoot;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<AppProcess> StartAsync(string runtimeRoot)
    {
        var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}/");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = TestLab.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "NetDashboard.dll"));
        start.ArgumentList.Add($"--urls={baseAddress}");
        start.Environment["NetDashboard__RuntimeRoot"] = runtimeRoot;
        start.Environment["NetDashboard__GuestImageFolder"] = TestLab.GuestImageUnderTest.Folder;
        start.Environment["NetDashboard__StartupLab"] = "";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var app = new AppProcess(process, runtimeRoot, baseAddress);
        await app.WaitUntilServingAsync();
        return app;
    }

    private async Task WaitUntilServingAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"the dashboard exited with {_process.ExitCode} before serving");
            try
            {
                if ((await http.GetAsync("api/labs")).StatusCode == HttpStatusCode.OK) return;
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

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        var engine = new TestLab("cleanup", _runtimeRoot).Engine;
        foreach (var lab in engine.Store.ListLabs())
            await engine.DownAsync(lab);
    }
}
