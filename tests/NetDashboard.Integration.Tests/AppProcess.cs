using System.Diagnostics;
using CliWrap;
using CliWrap.Buffered;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// The built dashboard as a user runs it: its own process on a free loopback port, with a runtime folder of
/// the caller's and a state folder (its access token) of its own. It signs in as a user does: with the login link
/// it prints at start. On dispose it stops the process and removes any lab still in that folder (one a failed test
/// made through the UI or the API has nothing else to remove it).
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _runtimeRoot;
    private readonly TaskCompletionSource<string> _loginLink = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Text.StringBuilder _output = new();
    private bool _ownsRuntimeRoot;

    private AppProcess(Process process, string runtimeRoot, string stateFolder, Uri baseAddress)
    {
        _process = process;
        _runtimeRoot = runtimeRoot;
        StateFolder = stateFolder;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>The dashboard's process id.</summary>
    public int Pid => _process.Id;

    /// <summary>The runtime folder it was started with (NetDashboard__RuntimeRoot).</summary>
    public string RuntimeRoot => _runtimeRoot;

    /// <summary>The folder of the app's access token (set as NetDashboard__StateFolder for a CLI that should share it).</summary>
    public string StateFolder { get; }

    /// <summary>The login link the app printed at start, e.g. http://127.0.0.1:PORT/?token=….</summary>
    public string LoginLink => _loginLink.Task.IsCompleted ? _loginLink.Task.Result : throw new InvalidOperationException("no login link printed yet");

    /// <summary>The access token, taken from the printed login link.</summary>
    public string Token => LoginLink[(LoginLink.IndexOf("?token=", StringComparison.Ordinal) + "?token=".Length)..];

    /// <summary>What the app printed (stdout and stderr), for a test that checks its messages.</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>An HTTP client for the app: with the Bearer token as a script would, or signed out.</summary>
    public HttpClient CreateClient(bool withToken = true, HttpMessageHandler? handler = null)
    {
        var http = handler is null ? new HttpClient() : new HttpClient(handler);
        http.BaseAddress = BaseAddress;
        http.Timeout = TimeSpan.FromMinutes(3);
        if (withToken)
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        return http;
    }

    /// <summary>A client of the capture hub, signed in with the Bearer token, speaking MessagePack as outside clients do.</summary>
    public async Task<HubConnection> ConnectCaptureHubAsync()
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(BaseAddress, "hubs/captures"), options => options.Headers["Authorization"] = $"Bearer {Token}")
            .AddMessagePackProtocol()
            .Build();
        await connection.StartAsync();
        return connection;
    }

    /// <summary>SIGKILL, as a crash would: the dashboard gets no chance to clean up, and what it started keeps running.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    /// <summary>
    /// Runs the dashboard to its end, for a start it must refuse (another on the folder, a bad setting, an unsafe
    /// runtime folder): its exit code and what it wrote. Killed after 60 s should it start after all.
    /// </summary>
    public static Task<BufferedCommandResult> RunToRefusalAsync(IReadOnlyDictionary<string, string> settings) =>
        Cli.Wrap("dotnet")
            .WithArguments([Path.Combine(AppContext.BaseDirectory, "NetDashboard.dll"), "--urls", "http://127.0.0.1:0"])
            .WithWorkingDirectory(TestLab.RepositoryRoot)
            .WithEnvironmentVariables(env =>
            {
                foreach (var (key, value) in settings) env.Set(key, value);
            })
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);

    /// <summary>A dashboard with a runtime folder of its own, removed with it.</summary>
    public static async Task<AppProcess> StartInOwnFolderAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var runtime = Directory.CreateTempSubdirectory("netdash-app-").FullName;
        try
        {
            var app = await StartAsync(runtime, settings);
            app._ownsRuntimeRoot = true;
            return app;
        }
        catch
        {
            Directory.Delete(runtime, recursive: true);
            throw;
        }
    }

    public static async Task<AppProcess> StartAsync(string runtimeRoot, IReadOnlyDictionary<string, string>? settings = null)
    {
        var stateFolder = Directory.CreateTempSubdirectory("netdash-state-").FullName;
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
        // As setup.sh starts it: glibc's per-thread arenas (one per capture thread) otherwise grow RSS for ~40 lab cycles.
        start.Environment["MALLOC_ARENA_MAX"] = "2";
        start.Environment["NetDashboard__GuestImageFolder"] = TestLab.GuestImageUnderTest.Folder;
        start.Environment["NetDashboard__StartupLab"] = "";
        start.Environment["NetDashboard__StateFolder"] = stateFolder;
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            start.Environment[key] = value;
        var process = Process.Start(start)!;
        var app = new AppProcess(process, runtimeRoot, stateFolder, baseAddress);
        process.OutputDataReceived += (_, e) => app.Heard(e.Data);
        process.ErrorDataReceived += (_, e) => app.Heard(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await app.WaitUntilServingAsync();
        return app;
    }

    private void Heard(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
        const string marker = "Sign in by opening: ";
        var at = line.IndexOf(marker, StringComparison.Ordinal);
        if (at >= 0) _loginLink.TrySetResult(line[(at + marker.Length)..].Trim());
    }

    private async Task WaitUntilServingAsync()
    {
        await Task.WhenAny(_loginLink.Task, _process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        if (!_loginLink.Task.IsCompleted)
            throw new InvalidOperationException($"the dashboard printed no login link. Its output:\n{Output}");
        using var http = CreateClient();
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
        var cleanup = new TestLab("cleanup", _runtimeRoot);
        foreach (var lab in cleanup.Store.ListLabs())
            await cleanup.Engine.DownAsync(lab);
        Directory.Delete(StateFolder, recursive: true);
        if (_ownsRuntimeRoot) Directory.Delete(_runtimeRoot, recursive: true);
    }
}
