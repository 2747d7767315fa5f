using NetDashboard.Lab.Model;
using NetDashboard.Lab.Host;

namespace NetDashboard.Lab.Vms;

/// <summary>
/// The image folders, as libvirt's storage pools: a VM boots only a regular file inside one of them (by its name, or
/// an absolute path that stays inside once symlinks are resolved), never a device, FIFO, folder or a file elsewhere —
/// QEMU runs as root and would open whatever it is given. The format comes from the first bytes, read from the very
/// descriptor that was checked, without blocking and with a time limit; nothing of a file's content is ever quoted.
/// </summary>
public sealed class DiskImages(IReadOnlyList<string> folders)
{
    public const string DefaultFolder = LabSettings.DefaultImageFolder;
    private static readonly TimeSpan ReadLimit = TimeSpan.FromSeconds(2);
    private static ReadOnlySpan<byte> Qcow2Magic => [0x51, 0x46, 0x49, 0xFB];

    public IReadOnlyList<string> Folders { get; } = folders.Select(f => System.IO.Path.GetFullPath(f)).ToList();

    /// <summary>Every image in the folders (top level only), by name; the first folder wins a name found twice.</summary>
    public IReadOnlyList<DiskImageFile> List() =>
        Folders.Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
            .Select(path => Resolve(System.IO.Path.GetFileName(path)).Image)
            .OfType<DiskImageFile>()
            .DistinctBy(image => image.Name)
            .ToList();

    private static string Outside(string image, string folderList) =>
        $"{image} is not inside an image folder ({folderList}); copy the image there (NetDashboard:ImageFolders lists the folders)";

    /// <summary>The image a lab file's <c>image</c> value names, or why it cannot be booted.</summary>
    public (DiskImageFile? Image, string? Problem) Resolve(string image)
    {
        var folderList = string.Join(" or ", Folders);
        // A path outside the folders is refused before anything is looked up, so the answer tells nothing about it.
        if (image.Contains('/') && !Folders.Any(folder => System.IO.Path.GetFullPath(image).StartsWith(folder + "/", StringComparison.Ordinal)))
            return (null, Outside(image, folderList));
        var candidates = image.Contains('/')
            ? [image]
            : Folders.Select(folder => System.IO.Path.Combine(folder, image)).ToList();
        var found = candidates.FirstOrDefault(path => UnixFile.KindOf(path) != FileKind.Missing);
        if (found is null)
            return (null, image.Contains('/') ? $"{image} does not exist" : $"there is no image named '{image}' in {folderList}");
        var real = UnixFile.RealPath(found);
        // A folder that does not exist holds nothing (its null real path must not become "/", which holds everything).
        if (real is null || !Folders.Select(UnixFile.RealPath).OfType<string>().Any(folder => real.StartsWith(folder + "/", StringComparison.Ordinal)))
            return (null, Outside(image, folderList));
        var (handle, kind) = UnixFile.OpenRegular(real);
        using (handle)
        {
            if (handle is null)
                return (null, kind == FileKind.Unreadable
                    ? $"{image} cannot be read: permission denied; make it readable (chmod a+r {real}) or copy it into {folderList}"
                    : $"{image} is {UnixFile.Describe(kind)}, not a disk image file");
            var magic = new byte[4];
            var read = Task.Run(() => RandomAccess.Read(handle, magic, 0));
            if (!read.Wait(ReadLimit))
                return (null, $"{image} did not answer a read within {ReadLimit.TotalSeconds:0} s");
            var format = read.Result == 4 && magic.AsSpan().SequenceEqual(Qcow2Magic) ? "qcow2" : "raw";
            return (new DiskImageFile(System.IO.Path.GetFileName(real), real, format, RandomAccess.GetLength(handle)), null);
        }
    }
}
