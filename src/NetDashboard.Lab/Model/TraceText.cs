using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Model;

/// <summary>A trace as the CLI prints it: the probe, each place with seen or not, the rewrites, the verdict and its fix.</summary>
public static class TraceText
{
    public static string Of(TraceReport report)
    {
        var text = new StringBuilder();
        var outcome = report.Replied ? "reply received" : report.Arrived ? "arrived, no reply" : report.NotSent ? "not sent" : "lost";
        text.AppendLine($"trace {report.From} → {report.To} ({report.Protocol}): {outcome}, {report.ElapsedMs} ms");
        text.AppendLine($"  {Printable.Escape(report.Probe)}{(report.ProbeExitCode is { } code ? $"   exit {code}" : "")}");
        if (report.ProbeProblem is { } problem) text.AppendLine($"  {Printable.Escape(problem)}");
        AppendHops(text, "request", report.Request);
        AppendHops(text, "reply", report.Reply);
        if (report.Verdict is { } verdict)
        {
            text.AppendLine($"why: {verdict.Sentence}");
            foreach (var evidence in verdict.Evidence ?? [])
                text.AppendLine($"  {evidence}");
            if (verdict.Fix is { } fix) text.AppendLine($"fix: {fix.Tutorial}");
        }
        return text.ToString();
    }

    public static string Json(TraceReport report) => JsonSerializer.Serialize(report, TraceJson.Default.TraceReport);

    private static void AppendHops(StringBuilder text, string title, IReadOnlyList<TraceHop> hops)
    {
        if (hops.Count == 0) return;
        text.AppendLine($"{title}:");
        foreach (var hop in hops)
        {
            var state = !hop.Exists ? "missing" : hop.Seen ? $"+{hop.OffsetMs:0.000} ms" : "not seen";
            var changes = hop.Changes.Count == 0 ? "" : $"   {string.Join(", ", hop.Changes)}";
            text.AppendLine($"  {hop.Station,-14} {state,-12} {Printable.Escape(hop.Packet ?? "")}{changes}");
        }
    }
}

/// <summary>The trace's JSON by generated code (the CLI is compiled ahead of time); the API's shape.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TraceReport))]
[JsonSerializable(typeof(TraceFix))]
internal sealed partial class TraceJson : JsonSerializerContext;
