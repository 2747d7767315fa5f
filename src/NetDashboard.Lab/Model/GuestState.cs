using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Model;

/// <summary>A neighbour (ARP) entry as the guest holds it.</summary>
public sealed record GuestNeighbour(string Address, string? Mac, string State);

/// <summary>
/// What a built-in guest holds now, read through its agent: eth0's state and addresses, its routes and its ARP table.
/// A disk-image guest has no agent: <see cref="Known"/> is false and nothing else is claimed.
/// </summary>
public sealed record GuestState(
    bool Known,
    bool LinkUp,
    IReadOnlyList<InterfaceAddress> Addresses,
    IReadOnlyList<string> Routes,
    IReadOnlyList<GuestNeighbour> Neighbours,
    DateTimeOffset ReadAt)
{
    public static GuestState Unknown(DateTimeOffset at) => new(false, false, [], [], [], at);

    /// <summary>The one agent command that reads it all; sections are split by a marker line.</summary>
    public const string Command = "ip addr show dev eth0; echo @@; ip route show; echo @@; ip neigh show";

    /// <summary>Same addresses, routes and neighbours (the read time aside).</summary>
    public bool SameAs(GuestState? other) =>
        other is not null && Known == other.Known && LinkUp == other.LinkUp && Addresses.SequenceEqual(other.Addresses)
        && Routes.SequenceEqual(other.Routes) && Neighbours.SequenceEqual(other.Neighbours);

    /// <summary>Parses the output of <see cref="Command"/> (busybox ip); unknown lines are skipped, never fatal.</summary>
    public static GuestState Parse(string output, DateTimeOffset at)
    {
        var sections = output.Replace("\r", "", StringComparison.Ordinal).Split("@@\n");
        var addr = sections.ElementAtOrDefault(0) ?? "";
        var lines = addr.Split('\n');
        var flags = lines.FirstOrDefault(l => l.Contains("eth0:", StringComparison.Ordinal)) ?? "";
        var open = flags.IndexOf('<');
        var close = flags.IndexOf('>');
        var up = open >= 0 && close > open && flags[(open + 1)..close].Split(',').Contains("UP");
        var addresses = lines.Select(l => l.Trim())
            .Where(l => l.StartsWith("inet ", StringComparison.Ordinal))
            .Select(l => InterfaceAddress.TryParse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], out var a) ? a : null)
            .OfType<InterfaceAddress>()
            .ToList();
        var routes = (sections.ElementAtOrDefault(1) ?? "").Split('\n').Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            .Where(l => l.Length > 0).ToList();
        var neighbours = (sections.ElementAtOrDefault(2) ?? "").Split('\n')
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(w => w.Length >= 2)
            .Select(w => new GuestNeighbour(w[0], After(w, "lladdr"), w[^1]))
            .ToList();
        return new GuestState(true, up, addresses, routes, neighbours, at);
    }

    private static string? After(string[] words, string key) =>
        Array.IndexOf(words, key) is var i and >= 0 && i + 1 < words.Length ? words[i + 1] : null;
}

/// <summary>The output and exit code of a command run in a guest; <see cref="OutputTruncated"/> when only the first 1 MiB was kept.</summary>
public sealed record GuestResult(int ExitCode, string Output, TimeSpan Duration, bool OutputTruncated)
{
    /// <summary>What the UI and the CLI say of a truncated output.</summary>
    public const string TruncatedNote = "output truncated: only its first 1 MiB was kept";

    public bool Succeeded => ExitCode == 0;
}
