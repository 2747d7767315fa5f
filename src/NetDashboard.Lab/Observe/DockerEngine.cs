using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace NetDashboard.Lab.Observe;

/// <summary>
/// Docker's own names for its containers, asked of the engine read-only: a dockerd among the observed namespaces'
/// processes is reached on its unix socket through its root as /proc shows it (/proc/PID/root/run/docker.sock: the
/// socket of a daemon in a private mount namespace too), and only GET requests are sent — the container list, then
/// each running container's State.Pid. A container's network namespace is the inode of /proc/PID/ns/net. Bounded:
/// <see cref="Budget"/> for all of an engine's answers, <see cref="MaxResponseBytes"/> per answer, <see cref="MaxContainers"/>.
/// An engine that is absent, refuses or answers wrong names nothing, and that is no error: the stack keeps its label
/// without names.
/// </summary>
public static partial class DockerEngine
{
    public const int MaxContainers = 200;
    public const int MaxResponseBytes = 1 << 20;
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);
    private const string DefaultSocket = "/run/docker.sock";

    /// <summary>A running container as its engine names it, and its first process (in the observer's pid namespace).</summary>
    public sealed record Container(string Id, string Name, int Pid);

    [GeneratedRegex("^[0-9a-f]{12,64}$")]
    private static partial Regex ContainerId();

    /// <summary>
    /// Each dockerd's socket as seen from here: the unix path of its -H/--host (the default /run/docker.sock when it
    /// names none, or only fd:// or tcp://), under /proc/PID/root. Only daemons in the observer's own pid namespace:
    /// the pids an engine in another one reports are not this /proc's.
    /// </summary>
    internal static IReadOnlyList<string> SocketsOf(IEnumerable<(int Pid, string CommandLine)> processes, Func<int, bool> inOurPidNamespace)
    {
        var sockets = new List<string>();
        foreach (var (pid, commandLine) in processes)
        {
            var words = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0 || Path.GetFileName(words[0]) != "dockerd" || !inOurPidNamespace(pid)) continue;
            var hosts = new List<string>();
            for (var i = 1; i < words.Length; i++)
            {
                if (words[i] is "-H" or "--host" && i + 1 < words.Length) hosts.Add(words[++i]);
                else if (words[i].StartsWith("--host=", StringComparison.Ordinal)) hosts.Add(words[i]["--host=".Length..]);
                else if (words[i].StartsWith("-H=", StringComparison.Ordinal)) hosts.Add(words[i]["-H=".Length..]);
            }
            var unix = hosts.Where(h => h.StartsWith("unix:///", StringComparison.Ordinal)).Select(h => h["unix://".Length..]).ToList();
            foreach (var path in unix.Count > 0 ? unix : [DefaultSocket])
            {
                if (!path.Split('/').Contains("..")) sockets.Add($"/proc/{pid}/root{path}");
            }
        }
        return sockets;
    }

    /// <summary>
    /// The container names of every engine among <paramref name="processes"/>, by the inode of the container's network
    /// namespace ("web", or "web, db" for containers that share one); a container in its engine's own namespace
    /// (--network host) is not named there. Empty when there is no engine or none answers.
    /// </summary>
    public static async Task<IReadOnlyDictionary<ulong, string>> NamesByNamespaceAsync(IEnumerable<(ulong Namespace, int Pid, string CommandLine)> processes,
        CancellationToken cancellationToken = default)
    {
        var list = processes.ToList();
        var ownPidNamespace = PidNamespaceOf("self");
        var names = new Dictionary<ulong, List<string>>();
        foreach (var socket in SocketsOf(list.Select(p => (p.Pid, p.CommandLine)), pid => ownPidNamespace is not null && PidNamespaceOf(pid.ToString(System.Globalization.CultureInfo.InvariantCulture)) == ownPidNamespace))
        {
            var enginePid = int.Parse(socket.Split('/')[2], System.Globalization.CultureInfo.InvariantCulture);
            var engineNamespace = list.First(p => p.Pid == enginePid).Namespace;
            foreach (var container in await ContainersAsync(socket, cancellationToken))
            {
                if (ProcNamespaces.InodeOfLink($"/proc/{container.Pid}/ns/net") is not { } inode || inode == engineNamespace) continue;
                if (!names.TryGetValue(inode, out var here)) names[inode] = here = [];
                if (!here.Contains(container.Name)) here.Add(container.Name);
            }
        }
        return names.ToDictionary(n => n.Key, n => string.Join(", ", n.Value));
    }

    /// <summary>
    /// The running containers an engine lists on <paramref name="socket"/>, each with its State.Pid (GET
    /// /containers/json, then GET /containers/ID/json); what it answered within the budget, nothing when it did not.
    /// </summary>
    public static async Task<IReadOnlyList<Container>> ContainersAsync(string socket, CancellationToken cancellationToken = default)
    {
        var found = new List<Container>();
        if (!File.Exists(socket)) return found;
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(Budget);
        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectCallback = async (_, token) =>
            {
                var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await unix.ConnectAsync(new UnixDomainSocketEndPoint(socket), token);
                    return new NetworkStream(unix, ownsSocket: true);
                }
                catch
                {
                    unix.Dispose();
                    throw;
                }
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = new Uri("http://docker/"), Timeout = Budget };
        try
        {
            using (var list = await GetAsync(client, "containers/json", budget.Token))
            {
                if (list is null || list.RootElement.ValueKind != JsonValueKind.Array) return found;
                var listed = list.RootElement.EnumerateArray().Take(MaxContainers)
                    .Select(c => (Id: StringOf(c, "Id"), Name: c.TryGetProperty("Names", out var n) && n.ValueKind == JsonValueKind.Array
                        ? n.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() : null).FirstOrDefault(x => !string.IsNullOrEmpty(x)) : null))
                    .Where(c => c.Id is not null && ContainerId().IsMatch(c.Id) && c.Name is not null)
                    .ToList();
                foreach (var (id, name) in listed)
                {
                    using var detail = await GetAsync(client, $"containers/{id}/json", budget.Token);
                    if (detail?.RootElement is { ValueKind: JsonValueKind.Object } root && root.TryGetProperty("State", out var state) && state.ValueKind == JsonValueKind.Object
                        && state.TryGetProperty("Pid", out var pid) && pid.ValueKind == JsonValueKind.Number && pid.TryGetInt32(out var p) && p > 0)
                        found.Add(new Container(id!, name!.TrimStart('/'), p));
                }
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException or OperationCanceledException or JsonException or InvalidOperationException)
        {
            // The engine is gone, refused, was too slow or answered something else: what it said so far stands.
        }
        return found;
    }

    /// <summary>A GET's JSON body, at most <see cref="MaxResponseBytes"/>; null for an answer other than 200 or a longer one.</summary>
    private static async Task<JsonDocument?> GetAsync(HttpClient client, string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode != System.Net.HttpStatusCode.OK || response.Content.Headers.ContentLength > MaxResponseBytes) return null;
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var text = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (text.Length + read > MaxResponseBytes) return null;
            text.Write(chunk, 0, read);
        }
        return JsonDocument.Parse(text.GetBuffer().AsMemory(0, (int)text.Length));
    }

    private static string? StringOf(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? PidNamespaceOf(string pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/ns/pid").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
