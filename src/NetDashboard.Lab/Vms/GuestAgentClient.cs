using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Vms;

/// <summary>A guest command that could not run or did not finish: the guest is not ready, busy, or the command timed out.</summary>
public sealed class GuestCommandException(string message) : LabException(message);

/// <summary>
/// Talks to the built-in guest's command agent on its second serial port (protocol in guest/README.md):
/// NETDASH-RUN id base64 nonce → NETDASH-BEGIN id, "| " output lines, NETDASH-END id code nonce (see <see cref="AgentRun"/>).
/// Each call connects, works and disconnects: QEMU's socket serves one client at a time, which also keeps
/// two processes from interleaving commands in one guest.
/// </summary>
public static class GuestAgentClient
{
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
                if (line.Text.StartsWith($"NETDASH-PONG {token} ", StringComparison.Ordinal)) return true;
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
            var run = AgentRun.For(command, NewId());
            try
            {
                await session.SendAsync(run.RunRequest, deadline.Token);
                while (await session.ReadLineAsync(deadline.Token) is { } line)
                {
                    if (run.Hear(line) is { } exitCode)
                        return new GuestResult(exitCode, run.Output, Stopwatch.GetElapsedTime(started), run.OutputTruncated);
                }
                throw new GuestCommandException("the guest closed its command channel before the command finished");
            }
            catch (OperationCanceledException)
            {
                // Stopped in the guest too, whether the time ran out or the caller went away: nobody waits for it now.
                await CancelAsync(session, run);
                cancellationToken.ThrowIfCancellationRequested();
                throw new GuestCommandException($"`{command}` did not finish within {timeout.TotalSeconds:0.#} s and was stopped");
            }
        }
    }

    // Waits briefly for the cancelled command's END, so the agent is idle again for the next caller.
    private static async Task CancelAsync(Session session, AgentRun run)
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            await session.SendAsync(run.CancelRequest, grace.Token);
            while (await session.ReadLineAsync(grace.Token) is { } line)
            {
                if (run.EndsCancel(line))
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
        private readonly AgentLineReader _reader;

        private Session(Socket socket)
        {
            _socket = socket;
            _stream = new NetworkStream(socket, ownsSocket: true);
            _reader = new AgentLineReader(_stream, AgentRun.MaxLineBytes);
        }

        public static async Task<Session> OpenAsync(string path, CancellationToken cancellationToken)
        {
            while (true)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
                    return new Session(socket);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.TryAgain or SocketError.WouldBlock)
                {
                    // QEMU's backlog is full: another process (the CLI, the dashboard) talks to the agent; wait for it.
                    socket.Dispose();
                    await Task.Delay(50, cancellationToken);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }
        }

        public async Task SendAsync(string line, CancellationToken cancellationToken) =>
            await _stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), cancellationToken);

        public Task<AgentLine?> ReadLineAsync(CancellationToken cancellationToken) => _reader.ReadLineAsync(cancellationToken);

        public async ValueTask DisposeAsync()
        {
            await _stream.DisposeAsync();
            _socket.Dispose();
        }
    }
}
