using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Observe;

namespace NetDashboard.Lab.Tests;

/// <summary>
/// Docker's names in observe mode: where a dockerd's socket is looked for, how the label lists the containers, and that
/// the engine is asked only GET requests, within bounds, and that an engine that refuses, is silent or answers too much
/// names nothing (a fake engine on a unix socket of a temporary folder).
/// </summary>
public sealed class ObserveDockerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("netdash-engine-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock", "/proc/42/root/run/docker.sock")]
    [InlineData("dockerd", "/proc/42/root/run/docker.sock")]
    [InlineData("dockerd --data-root /x -H unix:///run/docker.sock --storage-driver vfs", "/proc/42/root/run/docker.sock")]
    [InlineData("dockerd --host=unix:///var/run/other.sock -H tcp://0.0.0.0:2375", "/proc/42/root/var/run/other.sock")]
    [InlineData("dockerd -H=unix:///srv/d.sock", "/proc/42/root/srv/d.sock")]
    [InlineData("dockerd -H unix:///../../etc/x.sock", "")]
    [InlineData("/usr/bin/containerd --config /run/docker/containerd/containerd.toml", "")]
    [InlineData("/bin/sh -c dockerd", "")]
    public void SocketsOf_DockerdCommandLines_ItsUnixSocketThroughItsRoot(string commandLine, string socket) =>
        Assert.Equal(socket == "" ? [] : [socket], DockerEngine.SocketsOf([(42, commandLine)], _ => true));

    [Fact]
    public void SocketsOf_DockerdInAnotherPidNamespace_NotAsked() =>
        Assert.Empty(DockerEngine.SocketsOf([(42, "/usr/sbin/dockerd -H fd://")], _ => false));

    [Fact]
    public void Recognize_ContainersNamedByTheEngine_LabelListsThemInTheVethsOrder()
    {
        var host = new ObservedNamespace(1, "netdash-x-host", true, [], [Link("docker0", "bridge"), Link("veth1a", "veth", "docker0", 2), Link("veth2b", "veth", "docker0", 3),
            Link("veth3c", "veth", "docker0", 4)], [], [], true, []);
        var web = Container(2, "web");
        var db = Container(3, "db");
        var unnamed = Container(4, null);

        var stack = Assert.Single(StackRecognizer.Recognize([host, web, db, unnamed], []));

        Assert.Equal("Docker: docker0, 3 containers (web, db)", stack.Label);
        Assert.Equal(["docker0", "veth1a", "veth2b", "veth3c"], stack.Links);
        Assert.Equal(("container web (net:[2])", "net:[4]", "netdash-x-host"), (web.Label, unnamed.Label, host.Label));
    }

    [Fact]
    public void Json_ContainerName_SerialisedOnlyWhenKnown()
    {
        var observed = new ObservedHost("netdash-x-host", DateTimeOffset.UnixEpoch, [Container(2, "web"), Container(4, null)], [], 1);

        var json = ObservedText.Json(observed);

        Assert.Single(json.Split("\"container\"")[1..]);
        Assert.Contains("\"container\": \"web\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContainersAsync_AnEngineThatAnswers_ItsRunningContainersAskedByGetOnly()
    {
        var socket = Path.Combine(_folder, "docker.sock");
        var requests = new List<string>();
        using var engine = FakeEngine(socket, requests, path => path switch
        {
            "/containers/json" => """[{"Id":"aaaaaaaaaaaa1","Names":["/web"]},{"Id":"bbbbbbbbbbbb2","Names":["/db"]},{"Id":"not an id","Names":["/odd"]},{"Id":"cccccccccccc3","Names":["/gone"]}]""",
            "/containers/aaaaaaaaaaaa1/json" => """{"Id":"aaaaaaaaaaaa1","State":{"Pid":101}}""",
            "/containers/bbbbbbbbbbbb2/json" => """{"Id":"bbbbbbbbbbbb2","State":{"Pid":202}}""",
            "/containers/cccccccccccc3/json" => """{"Id":"cccccccccccc3","State":{"Pid":0}}""",
            _ => null,
        });

        var containers = await DockerEngine.ContainersAsync(socket);

        Assert.Equal([new("aaaaaaaaaaaa1", "web", 101), new("bbbbbbbbbbbb2", "db", 202)], containers);
        Assert.Equal(["GET /containers/json", "GET /containers/aaaaaaaaaaaa1/json", "GET /containers/bbbbbbbbbbbb2/json", "GET /containers/cccccccccccc3/json"],
            requests);
    }

    [Fact]
    public async Task ContainersAsync_NoEngineOrOneThatRefusesOrAnswersTooMuch_NamesNothing()
    {
        var refusing = Path.Combine(_folder, "refusing.sock");
        var huge = Path.Combine(_folder, "huge.sock");
        using var refuses = FakeEngine(refusing, [], _ => null);
        using var floods = FakeEngine(huge, [], _ => $"[{{\"Id\":\"aaaaaaaaaaaa1\",\"Names\":[\"/{new string('x', DockerEngine.MaxResponseBytes)}\"]}}]");

        Assert.Empty(await DockerEngine.ContainersAsync(Path.Combine(_folder, "absent.sock")));
        Assert.Empty(await DockerEngine.ContainersAsync(refusing));
        Assert.Empty(await DockerEngine.ContainersAsync(huge));
    }

    [Fact]
    public async Task ContainersAsync_AnEngineThatNeverAnswers_GivenUpWithinItsBudget()
    {
        var socket = Path.Combine(_folder, "silent.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socket));
        listener.Listen(4);
        var clock = Stopwatch.StartNew();

        Assert.Empty(await DockerEngine.ContainersAsync(socket));
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, DockerEngine.Budget + TimeSpan.FromSeconds(2));
    }

    private static ObservedLink Link(string name, string kind, string? master = null, ulong? peerNamespace = null) =>
        new(0, name, kind, null, 1500, "UP", master, [], peerNamespace, peerNamespace is null ? null : "eth0");

    private static ObservedNamespace Container(ulong inode, string? name) =>
        new(inode, null, false, [], [Link("eth0", "veth", null, 1)], [], [], false, [], name);

    /// <summary>
    /// An HTTP/1.1 server on a unix socket, one request per connection: 200 with <paramref name="answer"/>'s body, 404
    /// when it gives none; each request line is recorded.
    /// </summary>
    private static Socket FakeEngine(string path, List<string> requests, Func<string, string?> answer)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(16);
        _ = Task.Run(async () =>
        {
            while (true)
            {
                Socket connection;
                try { connection = await listener.AcceptAsync(); }
                catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
                using (connection)
                {
                    var head = new StringBuilder();
                    var buffer = new byte[4096];
                    while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        var read = await connection.ReceiveAsync(buffer);
                        if (read == 0) break;
                        head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                    }
                    var line = head.ToString().Split("\r\n")[0].Split(' ');
                    if (line.Length < 2) continue;
                    lock (requests) requests.Add($"{line[0]} {line[1]}");
                    var body = answer(line[1]);
                    var bytes = Encoding.UTF8.GetBytes(body ?? "{\"message\":\"no\"}");
                    var status = body is null ? "404 Not Found" : "200 OK";
                    try
                    {
                        await connection.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {bytes.Length}\r\n\r\n"));
                        await connection.SendAsync(bytes);
                    }
                    catch (SocketException)
                    {
                        // The client gave up reading (an answer too long for it).
                    }
                }
            }
        });
        return listener;
    }
}
