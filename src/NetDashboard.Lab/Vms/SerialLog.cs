using NetDashboard.Lab.Model;
using NetDashboard.Lab.Runtime;
using System.Text;

namespace NetDashboard.Lab.Vms;

/// <summary>
/// A VM's serial log: QEMU appends what ttyS0 prints to serial.log itself (logappend=on, so it goes on writing at the
/// end of a file cut back to nothing). At 1 MiB the app copies it to serial.log.1 and empties it: a VM keeps at most
/// its last 2 MiB of serial output. Whatever NetDashboard process is around does it (<see cref="VmSupervisor.KeepFolderBounded"/>).
/// </summary>
public static class SerialLog
{
    public const long MaxBytes = 1L << 20;

    // READY comes early in the boot; only the head of a log is searched for it.
    private const int HeadBytes = 64 * 1024;
    private const int TailBytes = 16 * 1024;

    /// <summary>Copies serial.log to serial.log.1 and empties it once it holds <see cref="MaxBytes"/>; true when it did.</summary>
    public static bool Rotate(VmPaths paths)
    {
        if (!File.Exists(paths.SerialLog) || new FileInfo(paths.SerialLog).Length < MaxBytes) return false;
        try
        {
            // FileShare.None takes an flock: the dashboard and a CLI command never rotate one log at once.
            using var before = new FileStream(paths.SerialLogBefore, new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate, Access = FileAccess.Write, Share = FileShare.None, UnixCreateMode = RuntimeFile.OwnerOnly,
            });
            using var log = new FileStream(paths.SerialLog, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            if (log.Length < MaxBytes) return false;
            MarkReady(paths, log);
            before.SetLength(0);
            // Its last 1 MiB, read to its very end: what QEMU writes between that read and the cut is lost, a few bytes.
            log.Position = Math.Max(0, log.Length - MaxBytes);
            var buffer = new byte[64 * 1024];
            long copied = 0;
            int read;
            while (copied < MaxBytes && (read = log.Read(buffer, 0, (int)Math.Min(buffer.Length, MaxBytes - copied))) > 0)
            {
                before.Write(buffer, 0, read);
                copied += read;
            }
            log.SetLength(0);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Rotated by another process right now, or the VM's folder is going away: the next look tries again.
            return false;
        }
    }

    /// <summary>Drops the VM's serial output (both files emptied) and leaves a line in serial.log that says why.</summary>
    public static void Drop(VmPaths paths, string why)
    {
        try
        {
            if (File.Exists(paths.SerialLog))
            {
                using var log = new FileStream(paths.SerialLog, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
                MarkReady(paths, log);
                log.SetLength(0);
                log.Seek(0, SeekOrigin.End);
                log.Write(Encoding.UTF8.GetBytes($"\r\n[netdash: {why}]\r\n"));
            }
            File.Delete(paths.SerialLogBefore);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>True once the guest said NETDASH-READY on its console (also when that part of the log was rotated away).</summary>
    public static bool SaysReady(VmPaths paths)
    {
        if (File.Exists(paths.ReadyMark)) return true;
        if (!File.Exists(paths.SerialLog)) return false;
        using var log = new FileStream(paths.SerialLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return HeadSaysReady(log);
    }

    /// <summary>The last <paramref name="count"/> non-empty lines the console printed, from the end of both files.</summary>
    public static string LastLines(VmPaths paths, int count)
    {
        var tail = Tail(paths.SerialLog, TailBytes);
        if (tail.Length < TailBytes)
            tail = [.. Tail(paths.SerialLogBefore, TailBytes - tail.Length), .. tail];
        if (tail.Length == 0) return "(no serial output)";
        var lines = Encoding.UTF8.GetString(tail).Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).TakeLast(count);
        return string.Join('\n', lines);
    }

    private static byte[] Tail(string path, int bytes)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var start = Math.Max(0, file.Length - bytes);
            file.Position = start;
            var tail = new byte[file.Length - start];
            return tail[..file.ReadAtLeast(tail, tail.Length, throwOnEndOfStream: false)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Missing, or being rotated this very moment.
            return [];
        }
    }

    private static void MarkReady(VmPaths paths, FileStream log)
    {
        if (File.Exists(paths.ReadyMark) || !HeadSaysReady(log)) return;
        RuntimeFile.Write(paths.ReadyMark, "", append: false);
    }

    private static bool HeadSaysReady(FileStream log)
    {
        var head = new byte[HeadBytes];
        log.Position = 0;
        var length = log.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return head.AsSpan(0, length).IndexOf("NETDASH-READY"u8) >= 0;
    }
}
