using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Playwright;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Model;

namespace NetDashboard.Bench.CaptureBench;

/// <summary>
/// Wire-to-row latency in Chromium: from a packet's kernel timestamp (libpcap's, CLOCK_REALTIME, µs) to the moment its
/// row is in the captures page's DOM (Date.now in the page, the same machine's clock).
///
/// The kernel timestamp is not read off the page (the row shows it relative to a zero the server picked, to the µs,
/// and its title only to the ms in local time) but from the hub: a stream of the same interface and filter joins the
/// pane's capture, so it carries the same rows, with <c>TimestampMicros</c>. A row is matched by its text, which for
/// an ICMP echo (id and seq) is unique within a run. As a check, each matched row's relative time must equal its kernel
/// timestamp minus one page zero, to the µs, for every row.
/// </summary>
internal static partial class WireToRow
{
    // Every .capture-row of the pane, first time each row text is in the DOM: epoch ms (timeOrigin + now, and Date.now
    // as a check), the row's relative time text, and the next animation frame (painted).
    private const string Probe = """
        (paneSelector) => {
          const rows = document.querySelector(paneSelector).querySelector('[data-testid="pane-rows"]');
          const seen = window.__capSeen = {};
          const scan = () => {
            let t = null, d = null;
            for (const row of rows.querySelectorAll('.capture-row')) {
              const info = (row.querySelector('.info') || row).textContent;
              if (info in seen) continue;
              if (t === null) { t = performance.timeOrigin + performance.now(); d = Date.now(); }
              const time = row.querySelector('.time');
              const e = seen[info] = { t, d, rel: time ? time.textContent : '', frame: null };
              requestAnimationFrame(() => { e.frame = performance.timeOrigin + performance.now(); });
            }
          };
          scan();
          new MutationObserver(scan).observe(rows, { childList: true, subtree: true, characterData: true });
        }
        """;

    public static async Task<int> RunAsync(Options options, CancellationToken stop)
    {
        var pane = options.Panes[0];
        var slash = pane.IndexOf('/');
        var (ns, iface) = (pane[..slash], pane[(slash + 1)..]);
        var paneSelector = $"[data-testid=\"pane-{pane}\"]";

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 }, BaseURL = options.Url.ToString() });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);

        // Sign in as a person does: the login link once, which sets the session cookie.
        await page.GotoAsync($"?token={Uri.EscapeDataString(options.Token)}");
        if (page.Url.Contains("/login", StringComparison.Ordinal))
            throw new InvalidOperationException($"the login link did not sign in (at {page.Url})");
        await page.GotoAsync($"labs/{Uri.EscapeDataString(options.Lab)}/captures?panes={Uri.EscapeDataString(pane)}");
        await page.WaitForSelectorAsync($"{paneSelector} [data-testid=\"pane-state\"]:has-text(\"capturing\")");
        if (options.Filter.Length > 0)
        {
            // MudTextField may put the test id on the input itself or on its wrapper.
            var input = page.Locator($"{paneSelector} input[data-testid=\"pane-filter\"], {paneSelector} [data-testid=\"pane-filter\"] input").First;
            await input.FillAsync(options.Filter);
            await input.PressAsync("Enter");
            if (!await WaitForCaptureAsync(options, pane, options.Filter, TimeSpan.FromSeconds(3), stop))
            {
                Console.WriteLine("  (Enter in the filter box did not open the filtered capture within 3 s; clicking Apply)");
                await page.Locator($"{paneSelector} button:has-text(\"Apply\")").ClickAsync();
                if (!await WaitForCaptureAsync(options, pane, options.Filter, TimeSpan.FromSeconds(15), stop))
                    throw new TimeoutException($"the pane's capture of {pane} with filter '{options.Filter}' did not start within 15 s");
            }
        }

        // The kernel timestamps: a hub stream of the same (interface, filter) shares the pane's capture and its rows.
        await using var hub = await HubStreams.ConnectAsync(options, stop);
        var hubRows = new List<PacketRow>();
        using var hubStop = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var hubReader = Task.Run(async () =>
        {
            try
            {
                await foreach (var batch in hub.StreamAsync<CaptureBatch>("Stream", options.Lab, ns, iface, options.Filter, hubStop.Token))
                    lock (hubRows) hubRows.AddRange(batch.Rows);
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);
        await Task.Delay(1500, stop);
        await page.EvaluateAsync(Probe, paneSelector);

        var pingStart = Program.EpochMs();
        var ping = await RunAsync(stop, "ip", "netns", "exec", new LabNamespaces(options.Lab).Pc,
            "ping", "-n", "-q", "-i", options.Interval.ToString(CultureInfo.InvariantCulture), "-c", options.Pings.ToString(CultureInfo.InvariantCulture),
            "203.0.113.5");
        Console.WriteLine($"  ping: {ping.Trim().Split('\n').LastOrDefault(l => l.Contains("received"))}");

        // Wait (at most 5 s) until every echo request the hub saw is in the DOM.
        List<PacketRow> requests = [];
        Dictionary<string, Seen> seen = [];
        for (var deadline = Program.EpochMs() + 5000; Program.EpochMs() < deadline; await Task.Delay(200, stop))
        {
            lock (hubRows)
                requests = hubRows.Where(r => r.Info.Contains("ICMP echo request", StringComparison.Ordinal) && r.TimestampMicros / 1000.0 >= pingStart - 50).ToList();
            seen = await SeenAsync(page);
            if (requests.Count >= options.Pings && requests.All(r => seen.TryGetValue(r.Info, out var s) && s.Frame is not null)) break;
        }
        await hubStop.CancelAsync();
        await hubReader;
        await context.CloseAsync();

        var latency = new List<double>();
        var painted = new List<double>();
        var clockGap = 0.0;
        var zeros = new HashSet<long>();
        foreach (var row in requests)
        {
            if (!seen.TryGetValue(row.Info, out var s)) continue;
            latency.Add(s.T - row.TimestampMicros / 1000.0);
            if (s.Frame is { } frame) painted.Add(frame - row.TimestampMicros / 1000.0);
            clockGap = Math.Max(clockGap, Math.Abs(s.T - s.D));
            if (decimal.TryParse(s.Rel, NumberStyles.Float, CultureInfo.InvariantCulture, out var rel))
                zeros.Add(row.TimestampMicros - (long)Math.Round(rel * 1_000_000m));
        }

        var notSeen = requests.Where(r => !seen.ContainsKey(r.Info)).Select(r => SeqOf().Match(r.Info).Groups[1].Value).ToList();
        Console.WriteLine($"  echo requests captured: {requests.Count} of {options.Pings}; rows in the DOM: {latency.Count}" +
                          $"{(notSeen.Count > 0 ? $" (never in the DOM: seq {string.Join(' ', notSeen)})" : "")}");
        if (latency.Count == 0)
        {
            Console.WriteLine("result n=0");
            return 1;
        }
        Console.WriteLine($"  wire → row in DOM (ms), in ping order: {string.Join(' ', latency.Select(v => Program.F(v, "0")))}");
        Console.WriteLine($"  check: the rows' relative times imply {zeros.Count} page zero(s) (1 = every row's kernel timestamp matches its text to the µs); " +
                          $"|timeOrigin+now − Date.now| ≤ {Program.F(clockGap)} ms");
        Console.WriteLine($"result n={latency.Count} of={options.Pings} p50={Program.F(Program.NearestRank(latency, 50))} p95={Program.F(Program.NearestRank(latency, 95))} " +
                          $"min={Program.F(latency.Min())} max={Program.F(latency.Max())} painted_p50={Program.F(painted.Count > 0 ? Program.NearestRank(painted, 50) : double.NaN)} " +
                          $"painted_p95={Program.F(painted.Count > 0 ? Program.NearestRank(painted, 95) : double.NaN)} zeros={zeros.Count}");
        return 0;
    }

    private static async Task<Dictionary<string, Seen>> SeenAsync(IPage page)
    {
        using var json = JsonDocument.Parse(await page.EvaluateAsync<string>("() => JSON.stringify(window.__capSeen)"));
        var seen = new Dictionary<string, Seen>();
        foreach (var p in json.RootElement.EnumerateObject())
        {
            var v = p.Value;
            seen[p.Name] = new Seen(v.GetProperty("t").GetDouble(), v.GetProperty("d").GetDouble(), v.GetProperty("rel").GetString() ?? "",
                v.GetProperty("frame").ValueKind == JsonValueKind.Number ? v.GetProperty("frame").GetDouble() : null);
        }
        return seen;
    }

    /// <summary>Whether the capture of (pane, filter) that the pane just opened runs within <paramref name="timeout"/>.</summary>
    private static async Task<bool> WaitForCaptureAsync(Options options, string pane, string filter, TimeSpan timeout, CancellationToken stop)
    {
        using var http = new HttpClient { BaseAddress = options.Url };
        http.DefaultRequestHeaders.Authorization = new("Bearer", options.Token);
        for (var deadline = Program.EpochMs() + timeout.TotalMilliseconds; Program.EpochMs() < deadline; await Task.Delay(200, stop))
        {
            var running = await http.GetFromJsonAsync<JsonElement>($"api/labs/{options.Lab}/captures", stop);
            foreach (var capture in running.EnumerateArray())
            {
                var state = capture.GetProperty("stats").GetProperty("state");
                if (capture.GetProperty("name").GetString() == pane && capture.GetProperty("filter").GetString() == filter
                    && (state.ValueKind == JsonValueKind.String ? state.GetString() == nameof(CaptureState.Running) : state.GetInt32() == (int)CaptureState.Running))
                    return true;
            }
        }
        return false;
    }

    private static async Task<string> RunAsync(CancellationToken stop, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        try
        {
            var output = await process.StandardOutput.ReadToEndAsync(stop);
            await process.WaitForExitAsync(stop);
            return output;
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
    }

    private sealed record Seen(double T, double D, string Rel, double? Frame);

    [System.Text.RegularExpressions.GeneratedRegex(@"\bseq (\d+)")]
    private static partial System.Text.RegularExpressions.Regex SeqOf();
}
