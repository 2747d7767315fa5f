using System.Net.Sockets;
using System.Net.WebSockets;
using NetDashboard.Lab.Engine;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Hubs;

/// <summary>
/// Relays a browser's WebSocket to a VM's console unix socket (VNC for noVNC, the serial port for xterm.js).
/// The browser never names a host or port: the route names the lab and the VM, which are looked up here.
/// A handshake without sign-in or from another origin never gets here (<see cref="Security.RequestGuard"/>).
/// </summary>
public static class ConsoleRelay
{
    private const int BufferSize = 64 * 1024;

    public static IEndpointRouteBuilder MapConsoleRelay(this IEndpointRouteBuilder app)
    {
        app.Map("/labs/{lab}/vms/{vm}/vnc", (HttpContext context, string lab, string vm, LabService labs, LabRuntimeStore store) =>
            RelayAsync(context, lab, vm, labs, store, paths => paths.Vnc));
        app.Map("/labs/{lab}/vms/{vm}/serial", (HttpContext context, string lab, string vm, LabService labs, LabRuntimeStore store) =>
            RelayAsync(context, lab, vm, labs, store, paths => paths.Serial));
        return app;
    }

    private static async Task RelayAsync(HttpContext context, string lab, string vm, LabService labs, LabRuntimeStore store, Func<VmPaths, string> socketOf)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        if (labs.DefinitionOf(lab)?.Vm(vm) is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        using var target = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await target.ConnectAsync(new UnixDomainSocketEndPoint(socketOf(store.PathsOf(lab, vm))), context.RequestAborted);
        }
        catch (SocketException)
        {
            // The VM is not running (or another viewer holds its single serial connection).
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }
        // noVNC asks for the "binary" subprotocol; answer with it when asked.
        var subProtocol = context.WebSockets.WebSocketRequestedProtocols.Contains("binary") ? "binary" : null;
        using var socket = await context.WebSockets.AcceptWebSocketAsync(subProtocol);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var toVm = PumpToSocketAsync(socket, target, stop.Token);
        var toBrowser = PumpToWebSocketAsync(target, socket, stop.Token);
        await Task.WhenAny(toVm, toBrowser);
        await stop.CancelAsync();
        if (socket.State == WebSocketState.Open)
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "console closed", CancellationToken.None);
    }

    private static async Task PumpToSocketAsync(WebSocket from, Socket to, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize];
        try
        {
            while (true)
            {
                var received = await from.ReceiveAsync(buffer, cancellationToken);
                if (received.MessageType == WebSocketMessageType.Close) return;
                await to.SendAsync(buffer.AsMemory(0, received.Count), SocketFlags.None, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or SocketException)
        {
        }
    }

    private static async Task PumpToWebSocketAsync(Socket from, WebSocket to, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize];
        try
        {
            while (true)
            {
                var count = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (count == 0) return;
                await to.SendAsync(buffer.AsMemory(0, count), WebSocketMessageType.Binary, true, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or SocketException)
        {
        }
    }
}
