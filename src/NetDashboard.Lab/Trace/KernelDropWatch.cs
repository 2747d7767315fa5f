using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace NetDashboard.Lab.Trace;

/// <summary>
/// The kernel's own reasons for dropping packets during a trace, read from a tracefs instance of our own: its buffer,
/// clock and filter are ours, so nothing else that traces on the machine is changed, and nothing of ours is left on
/// the machine's main trace. The instance lives from <see cref="TryStart"/> to <see cref="Stop"/> or
/// <see cref="Dispose"/>; one a killed dashboard left is removed by <see cref="RemoveLeftovers"/>.
/// </summary>
public sealed partial class KernelDropWatch : IDisposable
{
    private const string Tracing = "/sys/kernel/tracing";
    private const string Instances = Tracing + "/instances";
    /// <summary>How every instance of ours is named; a leftover is found by it.</summary>
    public const string Prefix = "netdash-trace-";
    private const int MaxTraceBytes = 4 << 20;
    private const int ClockRealtime = 0, ClockTai = 11;
    private const int NotPermitted = 1, AccessDenied = 13, Busy = 16, Exists = 17;
    private const int RemoveAttempts = 10;
    private const int Ipv4 = 0x0800;
    private static readonly string[] Events = ["skb/kfree_skb", "net/netif_receive_skb", "net/net_dev_queue"];

    private readonly string _directory;
    private readonly long _taiMinusUnixMicros;
    private IReadOnlyList<KernelSkbEvent>? _events;
    private bool _removed;

    private KernelDropWatch(string directory, long taiMinusUnixMicros)
    {
        _directory = directory;
        _taiMinusUnixMicros = taiMinusUnixMicros;
    }

    /// <summary>Whether <see cref="Stop"/> read only the first 4 MiB of the trace (the rest of the events are missing).</summary>
    public bool Truncated { get; private set; }

    [GeneratedRegex("^netdash-trace-[a-z0-9-]{1,40}$")]
    private static partial Regex InstanceName();

    // The format's field list: "field:enum skb_drop_reason reason;	offset:…".
    [GeneratedRegex(@"field:[^;]*\breason;")]
    private static partial Regex ReasonField();

    /// <summary>
    /// Makes the instance and starts recording drops (all but NOT_SPECIFIED, which says nothing), receives and queues.
    /// Returns null, with one sentence in <paramref name="unavailable"/>, when this process or kernel cannot; nothing is left then.
    /// </summary>
    /// <param name="instanceName">netdash-trace- and up to 40 of a-z, 0-9 and '-'.</param>
    public static KernelDropWatch? TryStart(string instanceName, out string? unavailable)
    {
        if (!InstanceName().IsMatch(instanceName))
            throw new ArgumentException($"'{instanceName}' is no trace instance name (netdash-trace- and up to 40 of a-z, 0-9 and '-')", nameof(instanceName));
        var directory = Path.Combine(Instances, instanceName);
        var made = false;
        try
        {
            var format = EventFormat();
            var notSpecified = NumberOf(format, "NOT_SPECIFIED")
                ?? throw new UnavailableException("the kernel's kfree_skb event names no NOT_SPECIFIED drop reason, so its drops cannot be filtered");
            if (MakeDirectory(directory, 0b111_101_101) != 0)
            {
                var error = Marshal.GetLastPInvokeError();
                throw new UnavailableException(error == Exists
                    ? $"a trace instance named {instanceName} already exists"
                    : $"the trace instance {instanceName} could not be made: {Refusal(error)}");
            }
            made = true;
            Write(directory, "buffer_size_kb", "512");
            Write(directory, "trace_clock", "tai");
            // IPv4 only (the probe's ethertype, 0x0800 as the event prints it): a socket's buffers freed as it closes
            // are not packets on the way, and would otherwise reuse an address a probe's path had.
            Write(directory, "events/skb/kfree_skb/filter", $"reason != {notSpecified} && protocol == {Ipv4}");
            foreach (var e in Events)
                Write(directory, $"events/{e}/enable", "1");
            // Measured once: the kernel's TAI offset changes only when a time daemon sets it, which does not happen mid-trace.
            var watch = new KernelDropWatch(directory, TaiMinusUnixMicros());
            unavailable = null;
            return watch;
        }
        catch (Exception e) when (e is UnavailableException or IOException or UnauthorizedAccessException)
        {
            unavailable = e switch
            {
                UnavailableException => e.Message,
                UnauthorizedAccessException => "reading the kernel's drop reasons needs root (tracefs refused access)",
                _ => $"the kernel's drop reasons cannot be traced: {e.Message}",
            };
            if (made)
                RemoveQuietly(directory);
            return null;
        }
    }

    /// <summary>Stops recording, reads what was recorded, and removes the instance. A second call returns the same events.</summary>
    /// <exception cref="IOException">The trace could not be read (the instance is removed all the same).</exception>
    public IReadOnlyList<KernelSkbEvent> Stop()
    {
        if (_events is not null) return _events;
        ObjectDisposedException.ThrowIf(_removed, this);
        try
        {
            Write(_directory, "tracing_on", "0");
            var (text, truncated) = ReadBounded(Path.Combine(_directory, "trace"));
            Truncated = truncated;
            _events = KernelSkbEvent.ParseAll(text, _taiMinusUnixMicros);
            return _events;
        }
        finally
        {
            // A trace is not failed by its cleanup: an instance that stays busy is a leftover, removed at the next start.
            RemoveQuietly(_directory);
            _removed = true;
        }
    }

    /// <summary>Removes the instance if <see cref="Stop"/> did not.</summary>
    public void Dispose()
    {
        if (!_removed)
            RemoveQuietly(_directory);
        _removed = true;
    }

    /// <summary>
    /// Removes every netdash-trace-* instance (a killed dashboard's) and no other, but those <paramref name="inUse"/>
    /// says a running process still owns; returns the names removed.
    /// </summary>
    public static IReadOnlyList<string> RemoveLeftovers(Func<string, bool>? inUse = null)
    {
        if (!Directory.Exists(Instances)) return [];
        var removed = new List<string>();
        foreach (var directory in Directory.EnumerateDirectories(Instances, Prefix + "*"))
        {
            if (inUse?.Invoke(Path.GetFileName(directory)) == true) continue;
            try
            {
                RemoveInstance(directory);
            }
            catch (DirectoryNotFoundException)
            {
                // Another start (a trace beside this one) removed the same leftover first: it is gone all the same.
                continue;
            }
            removed.Add(Path.GetFileName(directory));
        }
        return removed;
    }

    /// <summary>The number a <c>__print_symbolic</c> list in an event's format gives <paramref name="name"/>, or null.</summary>
    internal static int? NumberOf(string formatText, string name)
    {
        var match = Regex.Match(formatText, @"\{\s*(0x[0-9a-fA-F]+|\d+)\s*,\s*""" + Regex.Escape(name) + @"""\s*\}");
        if (!match.Success) return null;
        var number = match.Groups[1].Value;
        return number.StartsWith("0x", StringComparison.Ordinal)
            ? int.Parse(number.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)
            : int.Parse(number, CultureInfo.InvariantCulture);
    }

    /// <summary>Whether an event's format has the drop reason field (kernels since 5.17).</summary>
    internal static bool HasReason(string formatText) => ReasonField().IsMatch(formatText);

    /// <summary>The kfree_skb event's format, mounting tracefs first when it is not there.</summary>
    private static string EventFormat()
    {
        if (!Directory.Exists(Instances) && Mount("nodev", Tracing, "tracefs", 0, IntPtr.Zero) != 0)
            throw new UnavailableException($"tracefs cannot be mounted at {Tracing}: {Refusal(Marshal.GetLastPInvokeError())}");
        var path = Path.Combine(Tracing, "events/skb/kfree_skb/format");
        if (!File.Exists(path))
            throw new UnavailableException($"the kernel ({KernelRelease()}) has no skb:kfree_skb trace event");
        var format = File.ReadAllText(path);
        return HasReason(format) ? format : throw new UnavailableException($"the kernel ({KernelRelease()}) predates drop reasons (5.17)");
    }

    private static string KernelRelease() => File.ReadAllText("/proc/sys/kernel/osrelease").Trim();

    private static string Refusal(int error) => error is NotPermitted or AccessDenied
        ? "permission denied (reading the kernel's drop reasons needs root)"
        : Marshal.GetPInvokeErrorMessage(error);

    // A tracefs file is a control: written in place from its start, never created or truncated.
    private static void Write(string directory, string file, string value)
    {
        using var handle = File.OpenHandle(Path.Combine(directory, file), FileMode.Open, FileAccess.Write);
        RandomAccess.Write(handle, Encoding.ASCII.GetBytes(value), 0);
    }

    private static (string Text, bool Truncated) ReadBounded(string path)
    {
        // tracefs files report no size: read until the end or one byte past the bound.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        var buffer = new byte[MaxTraceBytes + 1];
        var length = 0;
        for (int read; length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0;)
            length += read;
        var truncated = length > MaxTraceBytes;
        var text = Encoding.UTF8.GetString(buffer, 0, Math.Min(length, MaxTraceBytes));
        // A cut trace ends mid-line: that line is dropped rather than read wrong.
        return (truncated ? text[..(text.LastIndexOf('\n') + 1)] : text, truncated);
    }

    // An instance goes by rmdir of its own directory (the kernel frees its files); its events are switched off first.
    private const int NoSuchEntry = 2;

    private static void RemoveInstance(string directory)
    {
        Write(directory, "events/enable", "0");
        // The kernel refuses (EBUSY) while it still holds a reference to the instance, which it lets go of within
        // milliseconds of the last file closing; another instance being read at the same moment delays it.
        for (var attempt = 1; RemoveDirectory(directory) != 0; attempt++)
        {
            var error = Marshal.GetLastPInvokeError();
            if (error == NoSuchEntry) throw new DirectoryNotFoundException($"the trace instance {directory} is gone");
            if (error != Busy || attempt == RemoveAttempts)
                throw new IOException($"the trace instance {directory} could not be removed: {Marshal.GetPInvokeErrorMessage(error)}");
            Thread.Sleep(20);
        }
    }

    // Cleanup after a failure or at Dispose must not hide the first error; what stays is removed by RemoveLeftovers.
    private static void RemoveQuietly(string directory)
    {
        try
        {
            RemoveInstance(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static long TaiMinusUnixMicros()
    {
        ClockGetTime(ClockRealtime, out var unix);
        ClockGetTime(ClockTai, out var tai);
        // The offset is whole seconds (the kernel keeps it so): rounding drops the time between the two reads.
        var seconds = Math.Round(((tai.Seconds - unix.Seconds) * 1_000_000_000.0 + (tai.Nanoseconds - unix.Nanoseconds)) / 1e9);
        return (long)seconds * 1_000_000;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mount(string source, string target, string type, nuint flags, IntPtr data);

    [LibraryImport("libc", EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MakeDirectory(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "rmdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RemoveDirectory(string path);

    /// <summary>A reason the watch cannot start, worded for the user.</summary>
    private sealed class UnavailableException(string message) : Exception(message);
}
