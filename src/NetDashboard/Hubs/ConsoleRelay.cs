using NetDashboard.Lab.Model;
using NetDashboard.Lab.Services;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace NetDashboard.Hubs;

/// <summary>
/// Relays a browser's WebSocket to a VM's console unix socket (VNC for noVNC, the serial port for xterm.js).
/// The browser never names a host or port: the route names the lab and the VM, which are looked up here.
/// A handshake without sign-in or from another origin never gets here (<see cref="Security.RequestGuard"/>).
/// When the VM is not running, or stops while a console is open, the WebSocket is closed with <see cref="VmDown"/>
/// and a reason ("VM stopped"), so the page can say so and connect again when the VM is back.
/// </summary>
public static class ConsoleRelay
{
    /// <summary>The close status (an application's own, 4000-4999) that means "the VM is down; try again later".</summary>
    public const WebSocketCloseStatus VmDown = (WebSocketCloseStatus)4000;

    private const string VmDownProtocol = "vm-down";
    private const int BufferSize = 64 * 1024;

    // Ctrl-L: the guest's shell (busybox ash's line editing) clears the screen and draws its prompt again, with
    // what was typed so far. A new viewer otherwise sees nothing until it presses Enter.
    private static readonly byte[] RedrawPrompt = [0x0c];

    public static IEndpointRouteBuilder MapConsoleRelay(this IEndpointRouteBuilder app)
    {
        app.Map("/labs/{lab}/vms/{vm}/vnc", (HttpContext context, string lab, string vm, LabService labs) =>
            RelayAsync(context, lab, vm, labs, paths => paths.Vnc, greeting: []));
        app.Map("/labs/{lab}/vms/{vm}/serial", (HttpContext context, string lab, string vm, LabService labs) =>
            RelayAsync(context, lab, vm, labs, paths => paths.Serial, RedrawPrompt));
        return app;
    }

    private static async Task RelayAsync(HttpContext context, string lab, string vm, LabService labs,
        Func<VmPaths, string> socketOf, byte[] greeting)
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
        var connected = true;
        try
        {
            await target.ConnectAsync(new UnixDomainSocketEndPoint(socketOf(labs.PathsOf(lab, vm))), context.RequestAborted);
            if (greeting.Length > 0)
                await target.SendAsync(greeting, SocketFlags.None, context.RequestAborted);
        }
        catch (SocketException)
        {
            // QEMU is not running: accepted all the same, so the browser can read why from the close.
            connected = false;
        }
        // The subprotocol says what the socket carries, among those the client offered: "binary", the console's bytes
        // (noVNC asks for it); "vm-down", nothing but the close that says why (the console page offers both, so it
        // knows at once whether it is live).
        var offered = context.WebSockets.WebSocketRequestedProtocols;
        var subProtocol = !connected && offered.Contains(VmDownProtocol) ? VmDownProtocol : offered.Contains("binary") ? "binary" : null;
        using var socket = await context.WebSockets.AcceptWebSocketAsync(subProtocol);
        var vmEnded = true;
        Task<bool>? toVm = null;
        if (connected)
        {
            toVm = PumpToSocketAsync(socket, target, context.RequestAborted);
            var toBrowser = PumpToWebSocketAsync(target, socket, context.RequestAborted);
            vmEnded = await await Task.WhenAny(toVm, toBrowser);
            // The other pump ends by the socket's shutdown, never by cancelling a WebSocket call: that aborts the
            // WebSocket, and the browser would get no close frame, so no reason.
            try
            {
                target.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
                // QEMU's end is already gone, and the read with it.
            }
            await toBrowser;
        }
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
        try
        {
            if (vmEnded)
                await socket.CloseOutputAsync(VmDown, DownReason(labs, lab, vm), context.RequestAborted);
            else
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "console closed", context.RequestAborted);
            // The browser answers the close; its answer ends the pump that reads from it.
            if (toVm is not null) await toVm.WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception e) when (e is WebSocketException or TimeoutException or OperationCanceledException)
        {
            // The browser went away first, or never answered.
        }
    }

    // QEMU closed the console, or was not there: it stopped, or exited without being stopped.
    private static string DownReason(LabService labs, string lab, string vm) =>
        labs.VmStatuses(lab).FirstOrDefault(s => s.Name == vm)?.State == VmState.Crashed ? "VM crashed" : "VM stopped";

    // Each pump says whether it ended because the VM's side did (QEMU closed the socket, a write to it failed: noVNC
    // keeps asking for frames, so the write can fail before the read sees the end), rather than the browser's.
    private static async Task<bool> PumpToSocketAsync(WebSocket from, Socket to, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize];
        try
        {
            while (true)
            {
                var received = await from.ReceiveAsync(buffer, cancellationToken);
                if (received.MessageType == WebSocketMessageType.Close) return false;
                await to.SendAsync(buffer.AsMemory(0, received.Count), SocketFlags.None, cancellationToken);
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            return false;
        }
    }

    private static async Task<bool> PumpToWebSocketAsync(Socket from, WebSocket to, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize];
        try
        {
            while (true)
            {
                var count = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (count == 0) return true;
                await to.SendAsync(buffer.AsMemory(0, count), WebSocketMessageType.Binary, true, cancellationToken);
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            return false;
        }
    }
}
