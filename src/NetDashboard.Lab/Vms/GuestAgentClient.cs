using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Vms;

/// <summary>The output and exit code of a command run in a guest.</summary>
public sealed record GuestResult(int ExitCode, string Output, TimeSpan Duration)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>A guest command that could not run or did not finish: the guest is not ready, busy, or the command timed out.</summary>
public sealed class GuestCommandException(string message) : LabException(message);

/// <summary>
/// Talks to the built-in guest's command agent on its second serial port (protocol in guest/README.md):
/// NETDASH-RUN id base64 → NETDASH-BEGIN id, "| " output lines, NETDASH-END id code.
/// Each call connects, works and disconnects: QEMU's socket serves one client at a time, which also keeps
/// two processes from interleaving commands in one guest.
/// </summary>
public static class GuestAgentClient
{
    private const string OutputPrefix = "| ";

    /// <summary>True when the agent answers a ping within the timeout.</summary>
    public static async Task<bool> PingAsync(string socketPath, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await using var session = await Session.OpenAsync(socketPath, deadline.Token);
            var token = NewId();
            await session.SendAsync($"NETDASH-PING {token}", deadline.Token);
            while (await session.ReadLineAsync(deadline.Token) is { } line)
            {
                if (line.StartsWith($"NETDASH-PONG {token}", StringComparison.Ordinal)) return true;
            }
            return false;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return false;
        }
    }

    public static async Task<GuestResult> RunAsync(string socketPath, string command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        Session session;
        try
        {
            session = await Session.OpenAsync(socketPath, deadline.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new GuestCommandException($"the guest's command channel ({socketPath}) does not answer: {e.Message}");
        }
        await using (session)
        {
            var id = NewId();
            var output = new StringBuilder();
            try
            {
                await session.SendAsync($"NETDASH-RUN {id} {Convert.ToBase64String(Encoding.UTF8.GetBytes(command))}", deadline.Token);
                while (await session.ReadLineAsync(deadline.Token) is { } line)
                {
                    if (line.StartsWith(OutputPrefix, StringComparison.Ordinal))
                        output.AppendLine(line[OutputPrefix.Length..]);
                    else if (line.StartsWith($"NETDASH-END {id} ", StringComparison.Ordinal)
                             && int.TryParse(line[$"NETDASH-END {id} ".Length..], out var code))
                        return new GuestResult(code, output.ToString(), Stopwatch.GetElapsedTime(started));
                    else if (line.StartsWith($"NETDASH-ERROR {id} ", StringComparison.Ordinal))
                        throw new GuestCommandException($"the guest refused the command: {line[$"NETDASH-ERROR {id} ".Length..]}");
                }
                throw new GuestCommandException("the guest closed its command channel before the command finished");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await CancelAsync(session, id);
                throw new GuestCommandException($"`{command}` did not finish within {timeout.TotalSeconds:0.#} s and was stopped");
            }
        }
    }

    // Waits briefly for the cancelled command's END, so the agent is idle again for the next caller.
    private static async Task CancelAsync(Session session, string id)
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            await session.SendAsync($"NETDASH-CANCEL {id}", grace.Token);
            while (await session.ReadLineAsync(grace.Token) is { } line)
            {
                if (line.StartsWith($"NETDASH-END {id} ", StringComparison.Ordinal) || line.StartsWith($"NETDASH-ERROR {id} ", StringComparison.Ordinal))
                    return;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
        {
            // The command could not be confirmed stopped; the next caller will hear "busy" if it still runs.
        }
    }

    private static string NewId() => Guid.NewGuid().ToString("N")[..12];

    private sealed class Session : IAsyncDisposable
    {
        private readonly Socket _socket;
        private readonly NetworkStream _stream;
        private readonly StreamReader _reader;

        private Session(Socket socket)
        {
            _socket = socket;
            _stream = new NetworkStream(socket, ownsSocket: true);
            _reader = new StreamReader(_stream, Encoding.UTF8);
        }

        public static async Task<Session> OpenAsync(string path, CancellationToken cancellationToken)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
                return new Session(socket);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        public async Task SendAsync(string line, CancellationToken cancellationToken) =>
            await _stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), cancellationToken);

        public async Task<string?> ReadLineAsync(CancellationToken cancellationToken) =>
            (await _reader.ReadLineAsync(cancellationToken))?.TrimEnd('\r');

        public async ValueTask DisposeAsync()
        {
            _reader.Dispose();
            await _stream.DisposeAsync();
            _socket.Dispose();
        }
    }
}
