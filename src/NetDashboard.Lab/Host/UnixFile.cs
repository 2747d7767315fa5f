using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace NetDashboard.Lab.Host;

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

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr RealPathNative(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, ref byte buffer);

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int FStat(int fd, ref byte buffer);
}
