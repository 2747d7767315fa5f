using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NetDashboard.Lab.Model;

/// <summary>An observed host as `netdash observe` prints it: the stacks, then each namespace's links, routes and rules.</summary>
public static class ObservedText
{
    public static string Of(ObservedHost host)
    {
        var text = new StringBuilder();
        text.AppendLine($"observed {host.Target}: {host.Namespaces.Count} namespace{(host.Namespaces.Count == 1 ? "" : "s")}, read in {host.ElapsedMs} ms (read-only)");
        if (host.Stacks.Count > 0)
        {
            text.AppendLine("stacks:");
            foreach (var stack in host.Stacks) text.AppendLine($"  {stack.Label}");
        }
        foreach (var ns in host.Namespaces)
        {
            text.AppendLine($"namespace {ns.Label}{(ns.IsTarget ? " (observed)" : "")}: forwarding {(ns.Forwarding ? "on" : "off")}"
                + (ns.Processes.Count == 0 ? "" : $"; processes: {string.Join(", ", ns.Processes)}"));
            foreach (var unread in ns.Unread ?? [])
                text.AppendLine($"  not read: {unread}");
            foreach (var link in ns.Links)
            {
                var joins = new List<string>();
                if (link.Master is { } master) joins.Add($"master {master}");
                if (link.PeerName is { } peer)
                    joins.Add($"peer {peer}{(link.PeerNamespace == ns.Inode ? "" : $" in {host.Find(link.PeerNamespace ?? 0)?.Label ?? $"net:[{link.PeerNamespace}]"}")}");
                if (link.Holder is { } holder) joins.Add($"held by {holder.Program} (pid {holder.Pid}{(holder.Guest is { } guest ? $", guest {guest}" : "")})");
                text.AppendLine($"  {link.Name,-16} {link.Kind,-8} {link.State,-10} {string.Join(" ", link.Addresses)}{(joins.Count == 0 ? "" : $"   {string.Join("; ", joins)}")}".TrimEnd());
            }
            foreach (var route in ns.Routes.Where(r => r.Type is not "local" and not "broadcast"))
                text.AppendLine($"  route {route.Text}");
            foreach (var rule in ns.Rules) text.AppendLine($"  rule {rule}");
        }
        return text.ToString();
    }

    public static string Json(ObservedHost host) => JsonSerializer.Serialize(host, ObservedJson.Default.ObservedHost);
}

/// <summary>The observed host's JSON by generated code (the CLI is compiled ahead of time); the API's shape.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ObservedHost))]
internal sealed partial class ObservedJson : JsonSerializerContext;
