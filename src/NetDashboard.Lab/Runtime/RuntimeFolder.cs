using NetDashboard.Lab.Model;
using NetDashboard.Lab.Host;

namespace NetDashboard.Lab.Runtime;

/// <summary>
/// The runtime root and the folders in it are root's alone: made 0700, and before each use checked to be a folder
/// (not a symlink), owned by this user, closed to everyone else, and reached through parents no other user can
/// change (a parent another user may write could have the folder swapped for a link). A folder of ours with a looser
/// mode is tightened; anything else is refused with a sentence, and nothing is written there.
/// </summary>
public static class RuntimeFolder
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OthersMayWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    /// <summary>Makes the folder if it is missing (0700) and checks it and its parents; throws <see cref="RuntimeFolderException"/> when it cannot be trusted.</summary>
    public static string Ensure(string path)
    {
        if (Problem(path, create: true) is { } problem)
            throw new RuntimeFolderException(path, problem);
        return path;
    }

    /// <summary>Why the folder cannot be trusted (a sentence), or null when it can; with <paramref name="create"/>, a missing one is made.</summary>
    public static string? Problem(string path, bool create)
    {
        var full = Path.GetFullPath(path);
        if (ParentProblem(Path.GetDirectoryName(full)) is { } parent) return parent;
        if (UnixFile.StatusOf(full) is null)
        {
            if (!create) return null;
            try
            {
                Directory.CreateDirectory(full, OwnerOnly);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return e.Message;
            }
        }
        if (UnixFile.StatusOf(full) is not { } status) return $"{full} vanished while it was being made";
        if (status.Kind == FileKind.Symlink)
            return $"{full} is a symbolic link; a runtime folder must be a real folder (a link could point the lab's files anywhere)";
        if (status.Kind != FileKind.Directory) return $"{full} is {UnixFile.Describe(status.Kind)}, not a folder";
        if (status.Owner != UnixFile.EffectiveUser)
            return $"{full} belongs to {UserName(status.Owner)}, not to {UserName(UnixFile.EffectiveUser)}, who runs NetDashboard; that user could plant links in it. "
                   + "Use a folder of root's own (NetDashboard:RuntimeRoot)";
        if ((status.Mode & ~OwnerOnly & (UnixFileMode)0x1FF) != 0)
        {
            try
            {
                File.SetUnixFileMode(full, OwnerOnly);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return $"{full} is open to other users and could not be closed: {e.Message}";
            }
        }
        return null;
    }

    // Each parent up to /, symlinks resolved: owned by root or this user, and writable by no one else unless sticky
    // (as /tmp is: there only an entry's owner may rename or remove it).
    private static string? ParentProblem(string? parent)
    {
        if (parent is null) return null;
        var real = UnixFile.RealPath(parent);
        if (real is null) return null; // made by CreateDirectory below, as ours
        for (var folder = real; folder is not null; folder = Path.GetDirectoryName(folder))
        {
            if (UnixFile.StatusOf(folder) is not { } status) continue;
            var trusted = status.Owner == 0 || status.Owner == UnixFile.EffectiveUser;
            var othersMayReplace = (status.Mode & OthersMayWrite) != 0 && (status.Mode & UnixFileMode.StickyBit) == 0;
            if (!trusted)
                return $"its parent {folder} belongs to {UserName(status.Owner)}, who could replace the runtime folder; use a folder whose parents are root's (NetDashboard:RuntimeRoot)";
            if (othersMayReplace)
                return $"its parent {folder} may be written by other users, who could replace the runtime folder; use a folder whose parents are root's (NetDashboard:RuntimeRoot)";
        }
        return null;
    }

    private static string UserName(uint uid) => UserNames.NameOf(uid);
}
