using NetDashboard.Lab.Model;
using System.Net.Http.Json;
using CliWrap;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using NetDashboard.Lab.Capture;
using NetDashboard.Tests.Shared;

namespace NetDashboard.Integration.Tests.HostileInput;

/// <summary>
/// The hostile-input tests run one after another: they share one app and one lab, and time every refusal. They run
/// alone too: each checks that nothing appeared on the machine meanwhile (no namespace, no process), and another
/// test's namespaces made beside them were once counted as theirs.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostileInputCollection : ICollectionFixture<HostileInputLab>
{
    public const string Name = "Hostile input";
}

/// <summary>
/// The lab every hostile value is sent to (<see cref="HostileTargetLab"/>), brought up once; the real dashboard serves
/// it from the same runtime folder, and the CLI runs on that folder too. Needs root.
/// </summary>
public sealed class HostileInputLab : IAsyncLifetime
{
    private readonly string _runtimeRoot = Directory.CreateTempSubdirectory("netdash-hostile-").FullName;
    private readonly string _caseFolder = Directory.CreateTempSubdirectory("netdash-hostile-cases-").FullName;
    private AppProcess? _app;
    private HubConnection? _hub;
    private TimeSpan? _cliBaseline;

    public HostileInputLab()
    {
        Lab = new TestLab("hi", _runtimeRoot);
        Target = new HostileTarget(Lab.Name, HostileTargetLab.Vm, $"hn-{Guid.NewGuid().ToString("N")[..8]}", Lab.ImagesFolder, _caseFolder);
    }

    /// <summary>The target lab, with the in-process service the CLI's refusals are timed on.</summary>
    public TestLab Lab { get; }

    public HostileTarget Target { get; }

    public AppProcess App => _app ?? throw new InvalidOperationException("not started");

    public HttpClient Http { get; private set; } = null!;

    /// <summary>The CLI's settings: the app's runtime folder, guest image and image folder.</summary>
    public IReadOnlyDictionary<string, string> CliSettings => new Dictionary<string, string>
    {
        ["NetDashboard__RuntimeRoot"] = _runtimeRoot,
        ["NetDashboard__GuestImageFolder"] = TestLab.GuestImageUnderTest.Folder,
        ["NetDashboard__ImageFolders__0"] = Lab.ImagesFolder,
        ["NetDashboard__StateFolder"] = App.StateFolder,
    };

    /// <summary>A connection to the capture hub, as an outside client makes one (Bearer token, MessagePack).</summary>
    public async Task<HubConnection> HubAsync()
    {
        if (_hub is null)
        {
            _hub = new HubConnectionBuilder()
                .WithUrl(new Uri(App.BaseAddress, "hubs/captures"), options => options.Headers["Authorization"] = $"Bearer {App.Token}")
                .AddMessagePackProtocol()
                .Build();
            await _hub.StartAsync();
        }
        return _hub;
    }

    /// <summary>The CLI's wall time for `lab up --help` (the median of three runs): its start, services and parser, without a service call.</summary>
    public async Task<TimeSpan> CliBaselineAsync()
    {
        if (_cliBaseline is null)
        {
            // The first run pays for a cold start (disk cache, the runtime's first load); it is not counted.
            await DashboardCli.RunAsync(CliSettings, "lab", "up", "--help");
            var runs = new List<TimeSpan>();
            for (var i = 0; i < 3; i++)
                runs.Add((await DashboardCli.RunAsync(CliSettings, "lab", "up", "--help")).RunTime);
            _cliBaseline = runs.Order().ElementAt(1);
        }
        return _cliBaseline.Value;
    }

    public Task<LabFootprint> FootprintAsync() => LabFootprint.TakeAsync(Lab.Name, _runtimeRoot);

    /// <summary>
    /// What ran since <paramref name="before"/> for hostile <paramref name="value"/>; a lab it made by mistake is
    /// removed again, so one value that gets through does not change how the next one is judged.
    /// </summary>
    public async Task<IReadOnlyList<string>> ChangesSinceAsync(LabFootprint before, string value)
    {
        var changes = before.ChangesTo(await FootprintAsync(), value, Target.FreshLab);
        if (changes.Count > 0)
        {
            foreach (var stray in Lab.Engine.ListLabs(await TestLab.RootNamespacesAsync()).Concat(Lab.Store.ListLabs()).Distinct()
                         .Where(lab => lab != Lab.Name && (lab.StartsWith(Target.FreshLab, StringComparison.Ordinal) || Lab.Store.Read(lab) is not null)))
                await Lab.Engine.DownAsync(stray, foreign: true);
        }
        return changes;
    }

    public async Task InitializeAsync()
    {
        await HostileTargetLab.MakeImageFolderAsync(Lab.ImagesFolder);
        // Lab files the CLI must refuse without reading on: a FIFO (an open for reading blocks) and an endless device.
        await Cli.Wrap("mkfifo").WithArguments([Path.Combine(Target.CaseFolder, "pipe.yaml")]).ExecuteAsync();
        File.CreateSymbolicLink(Path.Combine(Target.CaseFolder, "zero.yaml"), "/dev/zero");
        await HostileTargetLab.BringUpAsync(Lab.Engine, Lab.Service, Lab.Name, TestLab.LabFile("nat-pc.yaml"));
        _app = await AppProcess.StartAsync(_runtimeRoot, new Dictionary<string, string> { ["NetDashboard__ImageFolders__0"] = Lab.ImagesFolder });
        Http = _app.CreateClient();
        await WarmUpAsync();
    }

    // Each endpoint once, with a value refused before anything else is looked at, so no refusal timed later pays for
    // the app's first call of that path (JIT, routing, the YAML loader, libpcap's compiler).
    private async Task WarmUpAsync()
    {
        var lab = Target.Lab;
        HttpRequestMessage[] requests =
        [
            new(HttpMethod.Post, "api/labs/Bad_Name/operations") { Content = JsonContent.Create(new { kind = "createBridge", bridge = "br9" }) },
            new(HttpMethod.Post, $"api/labs/{lab}/operations") { Content = new StringContent("not JSON", System.Text.Encoding.UTF8, "application/json") },
            // Every field of a lab file is checked, the name refused.
            new(HttpMethod.Post, "api/labs") { Content = JsonContent.Create(new { yaml = HostileLabFiles.Valid("Bad_Name") }) },
            new(HttpMethod.Post, $"api/labs/{lab}/vms/{Target.Vm}/exec") { Content = JsonContent.Create(new { command = "" }) },
            new(HttpMethod.Post, "api/labs/Bad_Name/vms/vm1/start"),
            new(HttpMethod.Delete, "api/labs/Bad_Name"),
            new(HttpMethod.Get, $"api/labs/{lab}/captures/nowhere/br0.pcapng?seconds=1&filter=port%20banana"),
            new(HttpMethod.Get, $"api/labs/{lab}/captures/host/br0/packets?limit=0"),
            new(HttpMethod.Get, $"api/labs/{lab}/captures.pcapng?panes="),
        ];
        foreach (var request in requests)
        {
            using (request)
            using (var response = await Http.SendAsync(request))
                await response.Content.ReadAsStringAsync();
        }
        try
        {
            await foreach (var _ in (await HubAsync()).StreamAsync<CaptureBatch>("Stream", "Bad_Name", "host", "br0", "port banana"))
            {
            }
        }
        catch (HubException)
        {
        }
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_hub is not null) await _hub.DisposeAsync();
            Http?.Dispose();
            if (_app is not null) await _app.DisposeAsync();
        }
        finally
        {
            await Lab.DisposeAsync();
            Directory.Delete(_runtimeRoot, recursive: true);
            Directory.Delete(_caseFolder, recursive: true);
        }
    }
}
