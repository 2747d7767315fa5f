using NetDashboard.Lab.Runtime;
using NetDashboard.Lab.Host;

namespace NetDashboard.Lab.Tests;

/// <summary>
/// The runtime folder is root's alone (issue 17, finding 6): made 0700, checked before use, a link or a folder another
/// user owns (or may replace) refused with a sentence. Real files under a fresh temporary folder; chown needs root.
/// </summary>
public sealed class RuntimeFolderTests : IDisposable
{
    private const uint Nobody = 65534;
    private readonly string _base = Directory.CreateTempSubdirectory("netdash-rf-").FullName;

    [Fact]
    public void Ensure_Missing_MadeOwnedByThisUserAndClosedToOthers()
    {
        var folder = Path.Combine(_base, "runtime");

        RuntimeFolder.Ensure(folder);

        var status = UnixFile.StatusOf(folder)!.Value;
        Assert.Equal((FileKind.Directory, UnixFile.EffectiveUser, RuntimeFolder.OwnerOnly), (status.Kind, status.Owner, status.Mode));
    }

    [Fact]
    public void Ensure_OursButOpenToOthers_TightenedTo0700()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_base, "open")).FullName;
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);

        RuntimeFolder.Ensure(folder);

        Assert.Equal(RuntimeFolder.OwnerOnly, UnixFile.StatusOf(folder)!.Value.Mode);
    }

    [Fact]
    public void Ensure_ASymlinkToAFolder_RefusedAndTheTargetUntouched()
    {
        var target = Directory.CreateDirectory(Path.Combine(_base, "target")).FullName;
        File.SetUnixFileMode(target, (UnixFileMode)0b111_101_101);
        var link = Path.Combine(_base, "lab");
        File.CreateSymbolicLink(link, target);

        var refused = Assert.Throws<RuntimeFolderException>(() => RuntimeFolder.Ensure(link));

        Assert.Equal($"the runtime folder {link} is not used: {link} is a symbolic link; a runtime folder must be a real folder (a link could point the lab's files anywhere)", refused.Message);
        Assert.Equal((UnixFileMode)0b111_101_101, UnixFile.StatusOf(target)!.Value.Mode);
    }

    [Fact]
    public void Problem_FolderOwnedByNobody_NamesTheOwnerAndIsNotTouched()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_base, "foreign")).FullName;
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
        Chown(folder, Nobody);

        var problem = RuntimeFolder.Problem(folder, create: true);

        Assert.StartsWith($"{folder} belongs to nobody (uid 65534), not to root (uid 0), who runs NetDashboard", problem);
        Assert.Equal((UnixFileMode)0b111_101_101, UnixFile.StatusOf(folder)!.Value.Mode);
    }

    [Fact]
    public void Problem_ParentOwnedByNobody_RefusedEvenForAFolderOfOurOwn()
    {
        var parent = Directory.CreateDirectory(Path.Combine(_base, "nd")).FullName;
        var folder = Directory.CreateDirectory(Path.Combine(parent, "runtime")).FullName;
        Chown(parent, Nobody);

        var problem = RuntimeFolder.Problem(folder, create: true);

        Assert.Equal($"its parent {parent} belongs to nobody (uid 65534), who could replace the runtime folder; use a folder whose parents are root's (NetDashboard:RuntimeRoot)", problem);
    }

    [Fact]
    public void Problem_ParentWritableByOthersWithoutStickyBit_Refused_WithStickyBit_Accepted()
    {
        var parent = Directory.CreateDirectory(Path.Combine(_base, "shared")).FullName;
        var folder = Path.Combine(parent, "runtime");
        File.SetUnixFileMode(parent, (UnixFileMode)0b111_111_111);

        Assert.Equal($"its parent {parent} may be written by other users, who could replace the runtime folder; use a folder whose parents are root's (NetDashboard:RuntimeRoot)",
            RuntimeFolder.Problem(folder, create: true));
        Assert.False(Directory.Exists(folder));

        File.SetUnixFileMode(parent, (UnixFileMode)0b111_111_111 | UnixFileMode.StickyBit);
        Assert.Null(RuntimeFolder.Problem(folder, create: true));
        Assert.True(Directory.Exists(folder));
    }

    [Fact]
    public void Write_ALinkPlantedWhereARuntimeFileGoes_RefusedAndTheTargetKeepsItsBytes()
    {
        var target = Path.Combine(_base, "passwd-like");
        File.WriteAllText(target, "root:x:0:0\n");
        var record = Path.Combine(_base, "lab.json");
        File.CreateSymbolicLink(record, target);

        var refused = Assert.Throws<RuntimeFolderException>(() => RuntimeFile.Write(record, "{}", append: true));

        Assert.Contains($"{record} is a symbolic link, which a runtime file is never written through", refused.Message);
        Assert.Equal("root:x:0:0\n", File.ReadAllText(target));
    }

    [Fact]
    public void Write_NewFile_IsOwnerOnly()
    {
        var path = Path.Combine(_base, "journal.jsonl");

        RuntimeFile.Write(path, "one\n", append: true);
        RuntimeFile.Write(path, "two\n", append: true);

        Assert.Equal("one\ntwo\n", File.ReadAllText(path));
        Assert.Equal(RuntimeFile.OwnerOnly, File.GetUnixFileMode(path));
    }

    private static void Chown(string path, uint uid)
    {
        using var chown = System.Diagnostics.Process.Start("chown", [uid.ToString(System.Globalization.CultureInfo.InvariantCulture), path]);
        chown.WaitForExit();
        Assert.Equal(0, chown.ExitCode);
    }

    public void Dispose() => Directory.Delete(_base, recursive: true);
}
