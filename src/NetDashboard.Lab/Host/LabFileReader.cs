using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Host;

/// <summary>Reads a lab file from disk, bounded and without following it into a device or a FIFO; <see cref="LabFileLoader"/> parses it.</summary>
public static class LabFileReader
{
    public static LabDefinition LoadFile(string path, string? nameOverride = null) =>
        LabFileLoader.Parse(ReadBounded(path), path, nameOverride);

    /// <summary>
    /// The file's text when it is a regular file of at most <see cref="LabFileLoader.Limits.FileBytes"/>: a device would never end
    /// and a FIFO never open. The refusal never quotes the file's content.
    /// </summary>
    public static string ReadBounded(string path)
    {
        var (handle, kind) = UnixFile.OpenRegular(path);
        using (handle)
        {
            if (handle is null)
                throw Refused(kind switch
                {
                    FileKind.Missing => "does not exist",
                    FileKind.Other => "cannot be read",
                    FileKind.Unreadable => "cannot be read: permission denied",
                    _ => $"is {UnixFile.Describe(kind)}, not a lab file",
                });
            var buffer = new byte[LabFileLoader.Limits.FileBytes + 1];
            int read;
            try
            {
                read = RandomAccess.Read(handle, buffer, 0);
                while (read < buffer.Length && RandomAccess.Read(handle, buffer.AsSpan(read), read) is > 0 and var more)
                    read += more;
            }
            catch (IOException)
            {
                throw Refused("cannot be read");
            }
            if (read > LabFileLoader.Limits.FileBytes)
                throw Refused($"is over {LabFileLoader.Limits.FileBytes / 1024} KiB; a lab file is at most that");
            return System.Text.Encoding.UTF8.GetString(buffer, 0, read);
        }

        LabFileException Refused(string reason) => new(path, [new LabFileProblem("file", $"{path} {reason}")]);
    }
}
