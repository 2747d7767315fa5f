using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace NetDashboard.Lab.Host;

/// <summary>A path as lstat(2) sees it: what it is, who owns it, its permission bits (with setuid, setgid and sticky).</summary>
public readonly record struct PathStatus(FileKind Kind, uint Owner, UnixFileMode Mode);

/// <summary>What stat(2) says a path is.</summary>
public enum FileKind { Missing, Regular, Directory, CharacterDevice, BlockDevice, Fifo, Socket, Symlink, Other, Unreadable }

/// <summary>
/// Opening a file someone else named, safely: without blocking (a FIFO would hang open(2) forever) and checked to be
/// a regular file on the very descriptor that is then read, so nothing can be swapped between check and use.
/// .NET has no API for a file's type or O_NONBLOCK, hence libc.
/// </summary>
public static partial class UnixFile
{
    private const int ReadOnly = 0, NoControllingTty = 0x100, NonBlocking = 0x800, CloseOnExec = 0x80000;
    private const int NotPermitted = 1, NoSuchFile = 2, AccessDenied = 13;
    private const uint TypeMask = 0xF000;

    /// <summary>The kind of file at <paramref name="path"/>, following symlinks.</summary>
    public static FileKind KindOf(string path)
    {
        Span<byte> stat = stackalloc byte[StatSize];
        return Stat(path, ref MemoryMarshal.GetReference(stat)) == 0 ? KindOfMode(ModeOf(stat)) : FileKind.Missing;
    }

    /// <summary>The inode number of the file at <paramref name="path"/> (following symlinks), or null when it cannot be stat'ed.</summary>
    public static ulong? InodeOf(string path)
    {
        Span<byte> stat = stackalloc byte[StatSize];
        // st_ino follows the 8-byte st_dev on both x86-64 and the generic (arm64) layout.
        return Stat(path, ref MemoryMarshal.GetReference(stat)) == 0 ? BitConverter.ToUInt64(stat[8..]) : null;
    }

    /// <summary>Opens a regular file for reading, or returns the kind it is instead (the handle is then null).</summary>
    public static (SafeFileHandle? Handle, FileKind Kind) OpenRegular(string path)
    {
        var fd = Open(path, ReadOnly | NonBlocking | NoControllingTty | CloseOnExec);
        if (fd < 0)
            return (null, Marshal.GetLastPInvokeError() switch
            {
                NoSuchFile => FileKind.Missing,
                // Root without CAP_DAC_OVERRIDE, or a network share that squashes root, meets the file's mode bits.
                AccessDenied or NotPermitted => FileKind.Unreadable,
                _ => FileKind.Other,
            });
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        Span<byte> stat = stackalloc byte[StatSize];
        var kind = FStat(fd, ref MemoryMarshal.GetReference(stat)) == 0 ? KindOfMode(ModeOf(stat)) : FileKind.Other;
        if (kind == FileKind.Regular) return (handle, kind);
        handle.Dispose();
        return (null, kind);
    }

    /// <summary>The canonical absolute path (every symlink and "..", resolved), or null when it does not exist.</summary>
    public static string? RealPath(string path)
    {
        var resolved = RealPathNative(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero) return null;
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Marshal.FreeHGlobal(resolved);
        }
    }

    /// <summary>What lstat(2) says of a path itself (a symlink is not followed): its kind, owner and mode bits; null when missing.</summary>
    public static PathStatus? StatusOf(string path)
    {
        Span<byte> stat = stackalloc byte[StatSize];
        if (LStat(path, ref MemoryMarshal.GetReference(stat)) != 0) return null;
        var mode = ModeOf(stat);
        // st_uid follows st_mode on x86-64 (after st_nlink on the generic layout).
        var owner = BitConverter.ToUInt32(stat[(RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 28 : 24)..]);
        return new PathStatus(KindOfMode(mode), owner, (UnixFileMode)(mode & 0xFFF));
    }

    /// <summary>The effective user this process runs as.</summary>
    public static uint EffectiveUser => GetEffectiveUser();

    /// <summary>
    /// Opens a file for writing without following a symlink at its last component (O_NOFOLLOW), created 0600:
    /// a link planted where a runtime file goes is refused (ELOOP), never written through.
    /// </summary>
    public static SafeFileHandle OpenForWriting(string path, bool append)
    {
        const int WriteOnly = 1, Create = 0x40, Truncate = 0x200, Append = 0x400, NoFollow = 0x20000;
        var fd = OpenCreating(path, WriteOnly | Create | NoFollow | CloseOnExec | (append ? Append : Truncate), 0b110_000_000);
        if (fd >= 0) return new SafeFileHandle(fd, ownsHandle: true);
        var error = Marshal.GetLastPInvokeError();
        throw new IOException(error == 40 ? $"{path} is a symbolic link, which a runtime file is never written through" : Marshal.GetPInvokeErrorMessage(error), error);
    }

    /// <summary>"a FIFO", "a character device", … for messages.</summary>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Missing => "missing",
        FileKind.Regular => "a regular file",
        FileKind.Directory => "a folder",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Fifo => "a FIFO",
        FileKind.Socket => "a socket",
        FileKind.Symlink => "a symbolic link",
        FileKind.Unreadable => "not readable (permission denied)",
        _ => "not readable",
    };

    private static FileKind KindOfMode(uint mode) => (mode & TypeMask) switch
    {
        0x8000 => FileKind.Regular,
        0x4000 => FileKind.Directory,
        0x2000 => FileKind.CharacterDevice,
        0x6000 => FileKind.BlockDevice,
        0x1000 => FileKind.Fifo,
        0xC000 => FileKind.Socket,
        0xA000 => FileKind.Symlink,
        _ => FileKind.Other,
    };

    // Room for struct stat (144 bytes on x86-64, 128 on arm64), with margin.
    private const int StatSize = 256;

    // st_mode sits after st_dev, st_ino and st_nlink on x86-64, after st_dev and st_ino on the generic (arm64) layout.
    private static uint ModeOf(ReadOnlySpan<byte> stat) =>
        BitConverter.ToUInt32(stat[(RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16)..]);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenCreating(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "lstat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LStat(string path, ref byte buffer);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUser();

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr RealPathNative(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, ref byte buffer);

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int FStat(int fd, ref byte buffer);
}
