// Benchmark (not a test) for the dashboard's performance goals, run by bench/ui-latency.sh against a running
// dashboard and an existing seed-nat lab:
//   (a) first render of /labs/LAB: navigation start → the graph holds every node (vm:vm2 and link:host:br0);
//   (b) kernel change → graph: `ip -n netdash-LAB-host link add brN type bridge` → data-nodes holds link:host:brN,
//       stamped in Chromium (MutationObserver, epoch ms) against epoch ms taken in .NET just before the ip command;
//       reference: the same change seen by `ip -n netdash-LAB-host monitor link`, in the same run.
//
// Every page needs sign-in: the browser opens the login link the app printed (--login) once, before any measurement.
//
//   dotnet UiLatency.dll --url http://127.0.0.1:PORT/ --login http://127.0.0.1:PORT/?token=… --lab NAME [--loads 5] [--changes 20] [--reads 10] [--markdown FILE]
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Bench.UiLatency;

internal static partial class Program
{
    private const string GraphSelector = "[data-testid=topology-graph]";

    // Runs before any script of the page: stamps (performance.now(), i.e. ms since navigation start) the first
    // graph update and the moment data-nodes first holds every node of seed-nat, plus the next animation frame.
    private const string FirstRenderProbe = """
        (() => {
          const r = window.__uilat = { firstUpdate: null, firstNodes: 0, full: null, fullFrame: null, nodes: 0 };
          const check = () => {
            const el = document.querySelector('[data-testid=topology-graph]');
            if (!el || !el.hasAttribute('data-nodes')) return;
            const now = performance.now();
            if (r.firstUpdate === null) r.firstUpdate = now;
            const nodes = el.getAttribute('data-nodes').split(' ');
            if (r.full === null && nodes.includes('vm:vm2') && nodes.includes('link:host:br0')) {
              r.full = now;
              r.nodes = nodes.length;
              requestAnimationFrame(() => { r.fullFrame = performance.now(); });
              observer.disconnect();
            }
          };
          const observer = new MutationObserver(check);
          observer.observe(document, { subtree: true, attributes: true, attributeFilter: ['data-nodes'] });
        })();
        """;

    // Installed on a loaded lab page: the first time each node id shows up in data-nodes, or leaves it, in epoch ms
    // (timeOrigin + performance.now(), sub-ms; Date.now() kept as a cross-check), plus the next animation frame.
    private const string ChangeProbe = """
        () => {
          const el = document.querySelector('[data-testid=topology-graph]');
          const ids = () => new Set((el.getAttribute('data-nodes') || '').split(' ').filter(s => s));
          let known = ids();
          const w = window.__uilatSeen = { added: {}, removed: {} };
          const stamp = (map, id) => {
            const e = { t: performance.timeOrigin + performance.now(), d: Date.now(), frame: null };
            map[id] = e;
            requestAnimationFrame(() => { e.frame = performance.timeOrigin + performance.now(); });
          };
          new MutationObserver(() => {
            const now = ids();
            for (const id of now) if (!known.has(id) && !(id in w.added)) stamp(w.added, id);
            for (const id of known) if (!now.has(id) && !(id in w.removed)) stamp(w.removed, id);
            known = now;
          }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-nodes'] });
        }
        """;

    private static double EpochMs() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds;

    public static async Task<int> Main(string[] args)
    {
        var options = Options.Parse(args);
        if (options is null)
        {
            Console.Error.WriteLine("usage: UiLatency --url http://127.0.0.1:PORT/ --login http://127.0.0.1:PORT/?token=… --lab NAME [--loads 5] [--changes 20] [--reads 10] [--markdown FILE]");
            return 2;
        }
        var ns = new LabNamespaces(options.Lab);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        // Sign in once, as a person does (the login link sets the session cookie), and give every later context that
        // cookie, so each measured load is still a fresh context, now signed in, and no extra page load is timed.
        string signedIn;
        {
            var context = await browser.NewContextAsync();
            var page = await context.NewPageAsync();
            await page.GotoAsync(options.Login);
            if (page.Url.Contains("/login", StringComparison.Ordinal))
                throw new InvalidOperationException($"the login link did not sign in (at {page.Url})");
            signedIn = await context.StorageStateAsync();
            await context.CloseAsync();
        }
        var newPage = async () =>
        {
            var context = await browser.NewContextAsync(new()
            {
                ViewportSize = new() { Width = 1400, Height = 1000 }, BaseURL = options.Url, StorageState = signedIn,
            });
            var page = await context.NewPageAsync();
            page.SetDefaultTimeout(30_000);
            return (context, page);
        };

        // ---- clocks: both sides read the same wall clock; check that they agree --------------------------------
        double clockSkew;
        {
            var (context, page) = await newPage();
            await page.GotoAsync("about:blank");
            var before = EpochMs();
            var inPage = await page.EvaluateAsync<double>("() => performance.timeOrigin + performance.now()");
            var after = EpochMs();
            clockSkew = inPage < before ? inPage - before : inPage > after ? inPage - after : 0;
            await context.CloseAsync();
        }
        Console.WriteLine($"clock check: browser epoch minus .NET epoch is {clockSkew:0.0} ms outside the round trip (0 = agree)");

        // ---- (a) first render ----------------------------------------------------------------------------------
        var loads = new List<LoadSample>();
        for (var i = 0; i <= options.Loads; i++)
        {
            var sample = await LoadOnceAsync(newPage, options.Lab);
            var label = i == 0 ? "warm-up (first page after the app started, not counted)" : $"load {i}";
            Console.WriteLine($"{label}: all nodes after {sample.Full:0} ms (html {sample.Html:0}, DOMContentLoaded {sample.DomContentLoaded:0}, " +
                              $"blazor negotiate done {Fmt(sample.Negotiated)}, cytoscape.min.js loaded {Fmt(sample.Cytoscape)}, topology-graph.js loaded {Fmt(sample.GraphModule)}, " +
                              $"first graph update {sample.FirstUpdate:0} with {sample.FirstNodes} nodes, next frame {Fmt(sample.FullFrame)}; {sample.Nodes} nodes)");
            if (i > 0) loads.Add(sample);
        }

        // ---- (b) kernel change → graph ---------------------------------------------------------------------------
        var changes = new List<ChangeSample>();
        var removals = new List<double>();
        var bridges = Enumerable.Range(1, options.Changes).Select(i => $"br{100 + i}").ToList();
        var created = new List<string>();
        var (changeContext, changePage) = await newPage();
        using var monitor = new LinkMonitor(ns.Host);
        try
        {
            await changePage.GotoAsync($"labs/{Uri.EscapeDataString(options.Lab)}");
            await changePage.WaitForFunctionAsync(
                "() => { const el = document.querySelector('[data-testid=topology-graph]'); const n = (el && el.getAttribute('data-nodes') || '').split(' '); return n.includes('vm:vm2') && n.includes('link:host:br0'); }",
                null, new() { PollingInterval = 50 });
            await changePage.EvaluateAsync(ChangeProbe);
            monitor.Start();
            await Task.Delay(1000);

            // Spread the changes over the app's 2 s poll and 100 ms redraw cycles rather than locking onto them.
            var random = new Random(8);
            foreach (var bridge in bridges)
            {
                await Task.Delay(500 + random.Next(500));
                var id = $"link:host:{bridge}";
                var t0 = EpochMs();
                await RunAsync("ip", "-n", ns.Host, "link", "add", bridge, "type", "bridge");
                var ipDone = EpochMs();
                created.Add(bridge);
                var seen = await WaitSeenAsync(changePage, "added", id);
                var monitorAt = await monitor.WaitForAsync(bridge, TimeSpan.FromSeconds(5));
                var sample = new ChangeSample(bridge, ipDone - t0, seen.T - t0, seen.D - t0, seen.Frame - t0, monitorAt is null ? null : monitorAt.Value - t0);
                changes.Add(sample);
                Console.WriteLine($"{bridge}: graph {sample.Graph:0.0} ms (Date.now {sample.GraphDateNow:0}, next frame {sample.GraphFrame:0.0}), " +
                                  $"ip monitor {Fmt(sample.Monitor, "0.0")} ms, ip command {sample.IpCommand:0.0} ms");
            }
        }
        finally
        {
            // Remove the bridges again; time until each leaves the graph, for information.
            foreach (var bridge in created)
            {
                var t0 = EpochMs();
                await RunAsync("ip", "-n", ns.Host, "link", "del", bridge);
                try
                {
                    var gone = await WaitSeenAsync(changePage, "removed", $"link:host:{bridge}");
                    removals.Add(gone.T - t0);
                }
                catch (PlaywrightException)
                {
                }
            }
            await changeContext.CloseAsync();
        }

        // ---- what one re-read of the kernel costs (what the app does after each ip monitor event) --------------
        var reader = new TopologyReader(new HostRunner());
        var reads = new List<double>();
        for (var i = 0; i < options.Reads; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await reader.ReadAsync(options.Lab);
            reads.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            await Task.Delay(200);
        }

        var report = Report(options, loads, changes, removals, reads, clockSkew);
        Console.WriteLine();
        Console.Write(report);
        if (options.Markdown is not null) await File.WriteAllTextAsync(options.Markdown, report);
        return 0;
    }

    private static async Task<LoadSample> LoadOnceAsync(Func<Task<(IBrowserContext, IPage)>> newPage, string lab)
    {
        var (context, page) = await newPage();
        try
        {
            await page.AddInitScriptAsync(FirstRenderProbe);
            await page.GotoAsync($"labs/{Uri.EscapeDataString(lab)}", new() { WaitUntil = WaitUntilState.Commit });
            await page.WaitForFunctionAsync("() => window.__uilat && window.__uilat.fullFrame !== null", null, new() { PollingInterval = 50 });
            var v = await page.EvaluateAsync<double[]>("""
                () => {
                  const nav = performance.getEntriesByType('navigation')[0];
                  const res = part => { const e = performance.getEntriesByType('resource').find(x => x.name.includes(part)); return e ? e.responseEnd : -1; };
                  const r = window.__uilat;
                  return [nav.responseEnd, nav.domContentLoadedEventEnd, res('_blazor/negotiate'), r.firstUpdate, r.full, r.fullFrame, r.nodes,
                          r.firstNodes, res('cytoscape'), res('topology-graph.js')];
                }
                """);
            return new LoadSample(v[0], v[1], v[2] < 0 ? null : v[2], v[3], v[4], v[5], (int)v[6], (int)v[7], v[8] < 0 ? null : v[8], v[9] < 0 ? null : v[9]);
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    private static async Task<SeenJson> WaitSeenAsync(IPage page, string kind, string id)
    {
        var handle = await page.WaitForFunctionAsync(
            "([kind, id]) => { const e = window.__uilatSeen[kind][id]; return e && e.frame !== null ? [e.t, e.d, e.frame] : null; }",
            new[] { kind, id }, new() { PollingInterval = 50, Timeout = 15_000 });
        var v = await handle.JsonValueAsync<double[]>();
        return new SeenJson(v[0], v[1], v[2]);
    }

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}");
    }

    private static string Report(Options options, List<LoadSample> loads, List<ChangeSample> changes, List<double> removals, List<double> reads, double clockSkew)
    {
        var s = new StringBuilder();
        var load = loads.Select(l => l.Full).ToList();
        var graph = changes.Select(c => c.Graph).ToList();
        var frame = changes.Select(c => c.GraphFrame).ToList();
        var monitor = changes.Where(c => c.Monitor is not null).Select(c => c.Monitor!.Value).ToList();
        var ip = changes.Select(c => c.IpCommand).ToList();
        var behind = changes.Where(c => c.Monitor is not null).Select(c => c.Graph - c.Monitor!.Value).ToList();
        s.AppendLine(CultureInfo.InvariantCulture, $"Dashboard UI latency, lab {options.Lab} (seed-nat), {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        s.AppendLine();
        s.AppendLine("| measure | n | median | p95 | max | goal |");
        s.AppendLine("|---|---:|---:|---:|---:|---|");
        Row(s, "(a) first render: navigation start → all nodes in data-nodes", load, "≤ 1000 ms (median)", p95: false);
        Row(s, "    same, + next animation frame", loads.Select(l => l.FullFrame).ToList(), "", p95: false);
        Row(s, "    navigation start → DOMContentLoaded", loads.Select(l => l.DomContentLoaded).ToList(), "", p95: false);
        Row(s, "    navigation start → Blazor negotiate done", loads.Where(l => l.Negotiated is not null).Select(l => l.Negotiated!.Value).ToList(), "", p95: false);
        Row(s, "    navigation start → first graph update (any nodes)", loads.Select(l => l.FirstUpdate).ToList(), "", p95: false);
        Row(s, "    navigation start → topology-graph.js loaded", loads.Where(l => l.GraphModule is not null).Select(l => l.GraphModule!.Value).ToList(), "", p95: false);
        Row(s, "(b) `ip link add brN` → link:host:brN in data-nodes", graph, "p95 ≤ 500 ms");
        Row(s, "    same, + next animation frame", frame, "");
        Row(s, "    reference: `ip link add brN` → `ip monitor link` prints it", monitor, "");
        Row(s, "    graph minus ip monitor, per change", behind, "");
        Row(s, "    the `ip link add` command itself (spawn → exit)", ip, "");
        Row(s, "    `ip link del brN` → gone from data-nodes (info)", removals, "");
        Row(s, "    one kernel re-read (TopologyReader.ReadAsync, in this process)", reads, "");
        s.AppendLine();
        var medianLoad = Median(load);
        var p95Graph = NearestRank(graph, 95);
        s.AppendLine(CultureInfo.InvariantCulture, $"(a) median of {load.Count} page loads: {medianLoad:0} ms — goal ≤ 1000 ms: {(medianLoad <= 1000 ? "met" : "MISSED")}");
        s.AppendLine(CultureInfo.InvariantCulture, $"(b) p95 of {graph.Count} changes: {p95Graph:0} ms — goal ≤ 500 ms: {(p95Graph <= 500 ? "met" : "MISSED")}");
        s.AppendLine(CultureInfo.InvariantCulture, $"Clock check: browser and .NET epoch clocks agree within {Math.Abs(clockSkew):0.0} ms beyond the round trip; max |timeOrigin+now − Date.now| per change {changes.Select(c => Math.Abs(c.Graph - c.GraphDateNow)).DefaultIfEmpty().Max():0.0} ms.");
        return s.ToString();
    }

    private static void Row(StringBuilder s, string name, List<double> values, string goal, bool p95 = true)
    {
        if (values.Count == 0)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"| {name} | 0 | – | – | – | {goal} |");
            return;
        }
        var p = p95 ? NearestRank(values, 95).ToString("0", CultureInfo.InvariantCulture) : "–";
        s.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {values.Count} | {Median(values):0} | {p} | {values.Max():0} | {goal} |");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static double NearestRank(List<double> values, int percent)
    {
        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(percent / 100.0 * sorted.Count);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }

    private static string Fmt(double? value, string format = "0") =>
        value is null ? "–" : value.Value.ToString(format, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\d+: ([^:@\s]+)[:@]")]
    internal static partial Regex LinkLine();

    private sealed record Options(string Url, string Login, string Lab, int Loads, int Changes, int Reads, string? Markdown)
    {
        public static Options? Parse(string[] args)
        {
            string? url = null, login = null, lab = null, markdown = null;
            int loads = 5, changes = 20, reads = 10;
            for (var i = 0; i + 1 < args.Length; i += 2)
            {
                var value = args[i + 1];
                switch (args[i])
                {
                    case "--url": url = value.EndsWith('/') ? value : value + "/"; break;
                    case "--login": login = value; break;
                    case "--lab": lab = value; break;
                    case "--markdown": markdown = value; break;
                    case "--loads" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n is > 0 and < 100: loads = n; break;
                    case "--changes" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n is > 0 and < 100: changes = n; break;
                    case "--reads" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n is >= 0 and < 1000: reads = n; break;
                    default: return null;
                }
            }
            if (args.Length % 2 != 0 || url is null || login is null || !login.Contains("?token=", StringComparison.Ordinal) || lab is null
                || InputRules.CheckLabName(lab) is not null) return null;
            return new Options(url, login, lab, loads, changes, reads, markdown);
        }
    }

    private sealed record LoadSample(double Html, double DomContentLoaded, double? Negotiated, double FirstUpdate, double Full, double FullFrame, int Nodes,
        int FirstNodes, double? Cytoscape, double? GraphModule);

    private sealed record ChangeSample(string Bridge, double IpCommand, double Graph, double GraphDateNow, double GraphFrame, double? Monitor);

    private sealed record SeenJson(double T, double D, double Frame);

    /// <summary>`ip -n NS monitor link`, each output line stamped (epoch ms) as it arrives.</summary>
    private sealed class LinkMonitor(string ns) : IDisposable
    {
        private readonly Dictionary<string, double> _firstSeen = [];
        private readonly Lock _gate = new();
        private Process? _process;
        private Thread? _thread;

        public void Start()
        {
            var start = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true };
            foreach (var argument in new[] { "-n", ns, "monitor", "link" }) start.ArgumentList.Add(argument);
            _process = Process.Start(start) ?? throw new InvalidOperationException("could not start ip monitor");
            var output = _process.StandardOutput;
            _thread = new Thread(() =>
            {
                while (output.ReadLine() is { } line)
                {
                    var at = EpochMs();
                    if (LinkLine().Match(line) is { Success: true } match)
                        lock (_gate) _firstSeen.TryAdd(match.Groups[1].Value, at);
                }
            }) { IsBackground = true, Name = "ip monitor reader" };
            _thread.Start();
        }

        public async Task<double?> WaitForAsync(string link, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                lock (_gate)
                    if (_firstSeen.TryGetValue(link, out var at)) return at;
                await Task.Delay(10);
            }
            return null;
        }

        public void Dispose()
        {
            if (_process is { HasExited: false })
            {
                _process.Kill();
                _process.WaitForExit(2000);
            }
            _process?.Dispose();
        }
    }
}
