using CliWrap;
using CliWrap.Buffered;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// A tmpfs of a few hundred KiB on a fresh folder under /tmp: a file system to fill up without filling a real one.
/// Unmounted on dispose, whatever the test did.
/// </summary>
public sealed class SmallTmpfs : IAsyncDisposable
{
    private SmallTmpfs(string folder) => Folder = folder;

    public string Folder { get; }

    /// <summary>What a file of this file system may still take, in bytes.</summary>
    public long FreeBytes => new DriveInfo(Folder).AvailableFreeSpace;

    private string Filler => Path.Combine(Folder, "filler");

    public static async Task<SmallTmpfs> MountAsync(int kib)
    {
        var folder = Directory.CreateTempSubdirectory("netdash-full-").FullName;
        var mount = await Cli.Wrap("mount").WithArguments(["-t", "tmpfs", "-o", $"size={kib}k,mode=0700", "tmpfs", folder])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        if (mount.ExitCode == 0) return new SmallTmpfs(folder);
        Directory.Delete(folder);
        throw new InvalidOperationException($"mount -t tmpfs failed: {mount.StandardError}");
    }

    /// <summary>Fills the file system with one file, leaving <paramref name="kib"/> KiB free.</summary>
    public void FillLeaving(int kib) => File.WriteAllBytes(Filler, new byte[FreeBytes - kib * 1024L]);

    public void Free() => File.Delete(Filler);

    /// <summary>Remounts the file system read-only (<paramref name="readOnly"/>) or writable again.</summary>
    public Task RemountAsync(bool readOnly) =>
        Cli.Wrap("mount").WithArguments(["-o", readOnly ? "remount,ro" : "remount,rw", Folder]).ExecuteAsync();

    public async ValueTask DisposeAsync()
    {
        var umount = await Cli.Wrap("umount").WithArguments([Folder]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        // Busy: a process a failed test left still has a file or its working folder here. Detached now, gone when it exits.
        if (umount.ExitCode != 0)
            await Cli.Wrap("umount").WithArguments(["--lazy", Folder]).ExecuteAsync();
        Directory.Delete(Folder);
    }
}
