using NetDashboard.Lab.Model;
using Microsoft.Extensions.Logging;
using SharpPcap;
using SharpPcap.LibPcap;

namespace NetDashboard.Lab.Capture;

// The handle's life: open it inside the namespace, watch it, reopen it when its interface comes back.
public sealed partial class LiveCapture
{
    private long _kernelDropsBefore; // kernel drops of handles already closed

    private async Task SuperviseAsync(CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var stopped = new TaskCompletionSource<CaptureStoppedEventStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
                LibPcapLiveDevice? device = null;
                // Taken before entering: should the name be given to a new namespace in between, the first check reopens.
                var namespaceId = NetworkNamespace.IdOf(Key.Namespace);
                try
                {
                    device = await NetworkNamespace.RunAsync(Key.Namespace, $"open {Key.DisplayName}", () => Open(stopped));
                    Start(device);
                    // Running before the first attempt is reported done: a caller that acquired it sees the truth.
                    _handles.Opened();
                    SetState(CaptureState.Running, null);
                    LogRunning(Key);
                }
                catch (Exception e) when (e is NamespaceMissingException or InterfaceMissingException)
                {
                    if (_stats.State != CaptureState.InterfaceGone)
                        LogGone(Key, e.Message);
                    SetState(CaptureState.InterfaceGone, e.Message);
                }
                catch (Exception e)
                {
                    LogFailed(Key, e);
                    SetState(CaptureState.Failed, e.Message);
                    return;
                }
                finally
                {
                    _firstAttempt.TrySetResult();
                }

                if (device is not null)
                    await WatchAsync(device, namespaceId, stopped.Task, stop);
                await Task.Delay(_options.RetryIntervalMs, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            _firstAttempt.TrySetResult();
        }
    }

    /// <summary>On the namespace's thread: a fresh device list (the cached Instance is the root namespace's), open, filter.</summary>
    private LibPcapLiveDevice Open(TaskCompletionSource<CaptureStoppedEventStatus> stopped)
    {
        var device = Find() ?? throw new InterfaceMissingException($"there is no interface {Key.Interface} in {Key.Namespace}");
        try
        {
            device.Open(new DeviceConfiguration
            {
                Snaplen = _options.Snaplen,
                BufferSize = _options.BufferSizeBytes,
                // This host's interfaces (observe mode) are watched, never put in promiscuous mode: that would change the host.
                Mode = _options.Promiscuous && !Key.IsThisHost ? DeviceModes.Promiscuous : DeviceModes.None,
                Immediate = _options.Immediate ? true : null,
                ReadTimeout = _options.ReadTimeoutMs,
            });
            if (Key.Filter.Length > 0)
                device.Filter = Key.Filter;
            _linkType = (int)device.LinkType;
            device.OnPacketArrival += OnPacketArrival;
            device.OnCaptureStopped += (_, status) => stopped.TrySetResult(status);
            return device;
        }
        catch (PcapException e) when (e.Error == PcapError.InterfaceNotUp)
        {
            // As QEMU leaves a new tap until something sets it up: wait for it like a missing one.
            device.Close();
            throw new InterfaceMissingException($"interface {Key.Interface} in {Key.Namespace} is down");
        }
        catch (PcapException) when (Find() is null)
        {
            device.Close();
            throw new InterfaceMissingException($"interface {Key.Interface} went away from {Key.Namespace} while opening");
        }
        catch
        {
            device.Close();
            throw;
        }
    }

    /// <summary>
    /// Starts the capture loop from our own namespace, not the opener's: its thread is born where its creator is, and
    /// the socket it reads is bound to the lab's namespace already.
    /// </summary>
    private static void Start(LibPcapLiveDevice device)
    {
        try
        {
            device.StartCapture();
        }
        catch
        {
            device.Close();
            throw;
        }
    }

    private LibPcapLiveDevice? Find() =>
        LibPcapLiveDeviceList.New().FirstOrDefault(d => d.Name == Key.Interface) is { Interface: { } found } ? new OwnThreadLiveDevice(found) : null;

    /// <summary>
    /// Runs while the handle captures: counts every second, closes the handle when it stops, when we stop, or when its
    /// namespace is no longer the one named (the lab was torn down: the handle alone would keep the dead namespace alive
    /// and capture from it, not from the lab made again).
    /// </summary>
    private async Task WatchAsync(LibPcapLiveDevice device, ulong? namespaceId, Task<CaptureStoppedEventStatus> stopped, CancellationToken stop)
    {
        long kernelDrops = 0;
        string? namespaceGone = null;
        var lastSeen = Interlocked.Read(ref _seen);
        var lastTime = DateTime.UtcNow;
        try
        {
            using var tick = new PeriodicTimer(TimeSpan.FromSeconds(1));
            var ticking = tick.WaitForNextTickAsync(stop).AsTask();
            while (true)
            {
                var first = await Task.WhenAny(stopped, ticking);
                if (first == stopped || stop.IsCancellationRequested)
                    break;
                if (NetworkNamespace.IdOf(Key.Namespace) != namespaceId)
                {
                    namespaceGone = $"namespace {Key.Namespace} was removed";
                    break;
                }
                ticking = tick.WaitForNextTickAsync(stop).AsTask();
                kernelDrops = KernelDrops(device) ?? kernelDrops;
                var seen = Interlocked.Read(ref _seen);
                var now = DateTime.UtcNow;
                _stats = _stats with
                {
                    PacketsSeen = seen,
                    KernelDrops = _kernelDropsBefore + kernelDrops,
                    RingDrops = _slots.Drops,
                    PacketsPerSecond = (seen - lastSeen) / Math.Max(0.001, (now - lastTime).TotalSeconds),
                };
                (lastSeen, lastTime) = (seen, now);
            }
        }
        finally
        {
            kernelDrops = KernelDrops(device) ?? kernelDrops;
            _kernelDropsBefore += kernelDrops;
            var reason = stopped.IsCompleted && !stop.IsCancellationRequested ? device.LastError : null;
            // Close waits for SharpPcap's capture loop, which polls in 500 ms steps: not on the caller's thread.
            await Task.Run(device.Close, CancellationToken.None);
            _handles.Closed();
            _stats = _stats with
            {
                PacketsSeen = Interlocked.Read(ref _seen),
                KernelDrops = _kernelDropsBefore,
                RingDrops = _slots.Drops,
                PacketsPerSecond = 0,
            };
            if (!stop.IsCancellationRequested)
            {
                var message = namespaceGone
                    ?? $"interface {Key.Interface} stopped capturing: {(string.IsNullOrWhiteSpace(reason) ? "no reason given" : reason)}";
                LogGone(Key, message);
                SetState(CaptureState.InterfaceGone, message);
            }
        }
    }

    private static long? KernelDrops(LibPcapLiveDevice device)
    {
        try
        {
            return device.Statistics is { } s ? s.DroppedPackets + s.InterfaceDroppedPackets : null;
        }
        catch (PcapException)
        {
            return null; // the interface is going away; the last count stands
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Capture {Key} is running")]
    private partial void LogRunning(CaptureKey key);

    [LoggerMessage(Level = LogLevel.Information, Message = "Capture {Key}: {Reason}; retrying until it is back")]
    private partial void LogGone(CaptureKey key, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Capture {Key} could not be opened")]
    private partial void LogFailed(CaptureKey key, Exception exception);
}

/// <summary>The interface is not in its namespace (yet, or any more): worth retrying.</summary>
internal sealed class InterfaceMissingException(string message) : Exception(message);
