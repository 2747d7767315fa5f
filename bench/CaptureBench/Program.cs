// Benchmark helper (not a test) run by bench/capture.sh against a running dashboard and an existing nat-pc lab.
//
//   stream  — hub clients: one SignalR connection (MessagePack) per pane, each streaming Stream(lab, ns, iface, "")
//             and counting rows and Missed; every 250 ms the counters and the capture's stats go to --status as JSON
//             (written whole, then renamed), which the script reads with jq. Runs until SIGTERM/SIGINT.
//   latency — wire-to-row in Chromium: the captures page with one pane, N pings from the pc, a MutationObserver
//             stamping (epoch ms) each new row's first appearance in the DOM, matched by its text to the row's kernel
//             timestamp as the hub gives it (a hub stream of the same interface and filter, i.e. the pane's own capture).
//
//   dotnet CaptureBench.dll stream  --url URL --token T --lab LAB --panes host/br0,host/ens160 --status FILE
//   dotnet CaptureBench.dll latency --url URL --token T --lab LAB --pane host/ens160 [--filter BPF] [--pings 50] [--interval 0.2]
using System.Globalization;

namespace NetDashboard.Bench.CaptureBench;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var options = Options.Parse(args);
        if (options is null)
        {
            Console.Error.WriteLine("usage: CaptureBench stream --url URL --token T --lab LAB --panes host/br0[,…] --status FILE");
            Console.Error.WriteLine("       CaptureBench latency --url URL --token T --lab LAB --pane host/ens160 [--filter BPF] [--pings 50] [--interval 0.2]");
            return 2;
        }
        using var stop = new CancellationTokenSource();
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        return options.Command switch
        {
            "stream" => await HubStreams.RunAsync(options, stop.Token),
            _ => await WireToRow.RunAsync(options, stop.Token),
        };
    }

    public static double EpochMs() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds;

    public static double NearestRank(IReadOnlyCollection<double> values, int percent)
    {
        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(percent / 100.0 * sorted.Count);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }

    public static string F(double value, string format = "0.0") => value.ToString(format, CultureInfo.InvariantCulture);
}

internal sealed record Options(string Command, Uri Url, string Token, string Lab, IReadOnlyList<string> Panes, string? Status, string Filter,
    int Pings, double Interval)
{
    public static Options? Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("stream" or "latency") || args.Length % 2 != 1) return null;
        string? url = null, token = null, lab = null, status = null, filter = "";
        List<string> panes = [];
        int pings = 50;
        double interval = 0.2;
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--url": url = value.EndsWith('/') ? value : value + "/"; break;
                case "--token": token = value; break;
                case "--lab": lab = value; break;
                case "--status": status = value; break;
                case "--filter": filter = value; break;
                case "--panes" or "--pane": panes = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(); break;
                case "--pings" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 1000: pings = n; break;
                case "--interval" when double.TryParse(value, CultureInfo.InvariantCulture, out var s) && s is >= 0.01 and <= 10: interval = s; break;
                default: return null;
            }
        }
        if (url is null || token is null || lab is null || panes.Count == 0 || panes.Any(p => !p.Contains('/'))) return null;
        if (args[0] == "stream" && status is null) return null;
        if (args[0] == "latency" && panes.Count != 1) return null;
        return new Options(args[0], new Uri(url), token, lab, panes, status, filter, pings, interval);
    }
}
