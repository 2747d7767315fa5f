namespace NetDashboard.Security;

/// <summary>Files of the state folder (the token, the sessions): root's alone, each replaced whole.</summary>
internal static class StateFiles
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Makes the folder 0700 (and makes it so if it was not).</summary>
    public static void EnsureFolder(string folder)
    {
        Directory.CreateDirectory(folder, OwnerOnly);
        File.SetUnixFileMode(folder, OwnerOnly);
    }

    /// <summary>Writes <paramref name="text"/> under another name (0600), then renames: a reader sees the old file or the new one, never half.</summary>
    public static void WriteWhole(string path, string text)
    {
        EnsureFolder(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Environment.ProcessId}.new";
        File.Delete(temp);
        using (var stream = new FileStream(temp, new FileStreamOptions
               {
                   Mode = FileMode.CreateNew,
                   Access = FileAccess.Write,
                   UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
               }))
        {
            stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
        }
        File.Move(temp, path, overwrite: true);
    }
}
