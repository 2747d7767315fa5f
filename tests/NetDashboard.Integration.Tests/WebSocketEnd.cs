using System.Net.WebSockets;

namespace NetDashboard.Integration.Tests;

/// <summary>Waiting for the server to end a WebSocket, as a test that revokes a sign-in does.</summary>
public static class WebSocketEnd
{
    /// <summary>Completes when the server ends the socket: a close frame, or the connection cut.</summary>
    public static async Task ReceiveUntilClosedAsync(ClientWebSocket socket)
    {
        var buffer = new byte[4096];
        try
        {
            while ((await socket.ReceiveAsync(buffer, CancellationToken.None)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (WebSocketException)
        {
            // Cut without a close frame: closed all the same.
        }
    }
}
