using System.Buffers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace NetDashboard.Lab.Vms;

/// <summary>The few QMP commands the supervisor needs, over the VM's QMP unix socket.</summary>
public static class QmpClient
{
    /// <summary>Asks QEMU to quit cleanly. Returns false when QMP could not be reached.</summary>
    public static async Task<bool> QuitAsync(string socketPath, CancellationToken cancellationToken)
    {
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            await ReadReplyAsync(reader, "QMP", cancellationToken);
            await SendAsync(stream, "qmp_capabilities", cancellationToken);
            await ReadReplyAsync(reader, "return", cancellationToken);
            await SendAsync(stream, "quit", cancellationToken);
            // Wait for QEMU's reply: closing at once often makes QEMU drop the command.
            using var replyWait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            replyWait.CancelAfter(TimeSpan.FromSeconds(2));
            try
            {
                await ReadReplyAsync(reader, "return", replyWait.Token);
            }
            catch (IOException)
            {
                // QEMU may close the connection as it exits, before or instead of replying.
            }
            return true;
        }
        catch (Exception e) when (e is SocketException or IOException or JsonException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// True when QEMU's main loop answers: QMP greets a client only once QEMU has finished starting (with -daemonize,
    /// after it told its launcher so). False when the socket is gone or nothing greets within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<bool> GreetsAsync(string socketPath, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(timeout);
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), wait.Token);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            await ReadReplyAsync(reader, "QMP", wait.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or IOException or JsonException
                                      || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    private static async Task SendAsync(Stream stream, string command, CancellationToken cancellationToken)
    {
        var line = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(line))
        {
            json.WriteStartObject();
            json.WriteString("execute", command);
            json.WriteEndObject();
        }
        line.Write("\n"u8);
        await stream.WriteAsync(line.WrittenMemory, cancellationToken);
    }

    // Events may arrive between replies; skip them until the wanted key shows up.
    private static async Task ReadReplyAsync(StreamReader reader, string key, CancellationToken cancellationToken)
    {
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.TryGetProperty(key, out _)) return;
            if (doc.RootElement.TryGetProperty("error", out var error))
                throw new IOException($"QMP refused: {error}");
        }
        throw new IOException("QMP closed the connection");
    }
}
