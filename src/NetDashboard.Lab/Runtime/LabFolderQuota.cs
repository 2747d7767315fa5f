using NetDashboard.Lab.Model;
namespace NetDashboard.Lab.Runtime;

/// <summary>
/// The most one lab's runtime folder may hold (32 MiB by default): the runtime folder is usually RAM (/run), and a
/// guest that prints without end must not fill it. Writers ask before they grow the folder (the journal, a command's
/// output file); what QEMU writes itself (serial.log) is rotated and, over the cap, dropped by the VM supervisor.
/// </summary>
public sealed class LabFolderQuota(long maxBytes = LabFolderQuota.DefaultMaxBytes)
{
    public const long DefaultMaxBytes = LabSettings.DefaultLabFolderMaxBytes;

    /// <summary>Kept free for journal entries once outputs are no longer kept, so history goes on after output stops.</summary>
    public const long EntriesRoom = 1L << 20;

    /// <summary>Kept free for the one remark that says the journal stopped.</summary>
    public const long RemarkRoom = 16L << 10;

    public long MaxBytes { get; } = maxBytes >= 2 * EntriesRoom
        ? maxBytes
        : throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, $"a lab folder's cap is at least {2 * EntriesRoom >> 20} MiB");

    /// <summary>The sentence that starts every "not kept" note: "the lab folder reached its 32 MiB cap".</summary>
    public string CapReached => $"the lab folder reached its {MaxBytes >> 20} MiB cap";

    /// <summary>The bytes of the files in a lab's folder and below (links not followed; sockets count nothing).</summary>
    public static long UsedBytes(string labFolder)
    {
        var folder = new DirectoryInfo(labFolder);
        if (!folder.Exists) return 0;
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        long used = 0;
        foreach (var file in folder.EnumerateFiles("*", options))
        {
            try
            {
                used += file.Length;
            }
            catch (FileNotFoundException)
            {
                // Removed between the listing and the look.
            }
        }
        return used;
    }

    /// <summary>The bytes that may still be added to a lab's folder; negative when it is over its cap.</summary>
    public long RoomIn(string labFolder) => MaxBytes - UsedBytes(labFolder);
}
