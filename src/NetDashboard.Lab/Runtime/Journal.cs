using NetDashboard.Lab.Model;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using NetDashboard.Lab.Host;

namespace NetDashboard.Lab.Runtime;

/// <summary>
/// A lab's journal: JSON lines in the lab's runtime folder, appended as commands run, so the CLI, the API and the
/// dashboard read the same history. It is bounded: an entry keeps at most 64 KiB of output (the whole, up to 1 MiB, goes
/// to a file of its own in outputs/), and nothing grows the lab's folder past its <see cref="LabFolderQuota"/>.
/// </summary>
public sealed partial class Journal(string path, LabFolderQuota? quota = null)
{
    /// <summary>The most output one entry keeps, as its JSON string (escapes included).</summary>
    public const int MaxOutputBytes = 64 * 1024;

    /// <summary>The most output a command's own file keeps.</summary>
    public const int MaxOutputFileBytes = 1024 * 1024;

    // Stored: what is not derived from the rest (CommandLine, TutorialLine, Succeeded), and a guest command once.
    private static readonly JsonTypeInfo<JournalEntry> LineJson = (JsonTypeInfo<JournalEntry>)new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        TypeInfoResolver = RuntimeJson.Default.WithAddedModifier(StoreOnce),
    }.GetTypeInfo(typeof(JournalEntry));

    private readonly LabFolderQuota _quota = quota ?? new LabFolderQuota();

    public string Path { get; } = path;

    private string Folder => System.IO.Path.GetDirectoryName(Path)!;

    /// <summary>The sentence an entry carries instead of an output the lab folder has no room for.</summary>
    public string OutputNotKept => $"{_quota.CapReached}; output of this command not kept";

    /// <summary>The remark that ends a journal once its lab folder is full.</summary>
    public string JournalFull => $"# {_quota.CapReached}: the journal keeps no more commands, and a script exported from it stops here";

    /// <summary>
    /// Appends the entry as the journal keeps it (see <see cref="Journal"/>) and returns that; null when the lab folder
    /// has no room left even for an entry without output (the journal then ends with a remark that says so).
    /// </summary>
    public JournalEntry? Append(JournalEntry entry)
    {
        // No lock: each caller makes a Journal of its own, and the CLI appends from another process; a line is one
        // O_APPEND write (RuntimeFile.Write).
        RuntimeFile.CreateFolder(Folder);
        return Store(entry);
    }

    private JournalEntry? Store(JournalEntry entry)
    {
        var room = _quota.RoomIn(Folder);
        var stored = entry;
        string? fileText = null;
        var kept = entry.StandardError.Length == 0 ? "" : HeadWithin(entry.StandardError, MaxOutputBytes);
        if (kept.Length < entry.StandardError.Length)
        {
            fileText = Utf8Head(entry.StandardError, MaxOutputFileBytes, out var cut)
                       + (cut ? $"\n[netdash: cut at {MaxOutputFileBytes >> 20} MiB; the rest was not kept]\n" : "");
            stored = entry with { StandardError = kept, OutputFile = $"{JournalEntry.OutputsFolder}/{Count() + 1}.txt" };
        }
        var line = Serialize(stored);
        // Output is kept only while it leaves room for entries without output: the history goes on when output stops.
        if (entry.StandardError.Length > 0
            && room - Encoding.UTF8.GetByteCount(line) - (fileText is null ? 0 : Encoding.UTF8.GetByteCount(fileText)) < LabFolderQuota.EntriesRoom)
        {
            stored = entry with { StandardError = OutputNotKept, OutputFile = null };
            fileText = null;
            line = Serialize(stored);
        }
        if (room - Encoding.UTF8.GetByteCount(line) < LabFolderQuota.RemarkRoom)
        {
            EndFull(entry.Namespace);
            return null;
        }
        if (fileText is not null)
        {
            RuntimeFile.CreateFolder(System.IO.Path.Combine(Folder, JournalEntry.OutputsFolder));
            RuntimeFile.Write(System.IO.Path.Combine(Folder, stored.OutputFile!), fileText, append: false);
        }
        RuntimeFile.Write(Path, line, append: true);
        return stored;
    }

    // Once: a journal that already ends with the remark is left as it is.
    private void EndFull(string ns)
    {
        var remark = JournalFull;
        if (ReadPage(0, 1).Entries is [{ Remark: true } last] && last.Tutorial == remark) return;
        RuntimeFile.Write(Path, Serialize(new JournalEntry
        {
            Time = DateTimeOffset.UtcNow,
            Who = "host",
            Namespace = ns,
            Argv = [],
            Tutorial = remark,
            Remark = true,
            ExitCode = 0,
        }), append: true);
    }

    /// <summary>True for what an entry's <see cref="JournalEntry.OutputFile"/> can be: "outputs/N.txt".</summary>
    public static bool IsOutputFile(string name) =>
        name.StartsWith(JournalEntry.OutputsFolder + "/", StringComparison.Ordinal) && name.EndsWith(".txt", StringComparison.Ordinal)
        && name[(JournalEntry.OutputsFolder.Length + 1)..^4] is { Length: > 0 and <= 9 } number && number.All(char.IsAsciiDigit);

    /// <summary>The whole output an entry's <see cref="JournalEntry.OutputFile"/> names, or null when there is no such file.</summary>
    public string? ReadOutput(string outputFile)
    {
        var file = System.IO.Path.Combine(Folder, outputFile);
        return IsOutputFile(outputFile) && File.Exists(file) ? File.ReadAllText(file) : null;
    }

    private static string Serialize(JournalEntry entry) => JsonSerializer.Serialize(entry, LineJson) + "\n";

    private static void StoreOnce(JsonTypeInfo info)
    {
        if (info.Type != typeof(JournalEntry)) return;
        foreach (var derived in info.Properties.Where(p => p.Name is "commandLine" or "tutorialLine" or "succeeded").ToList())
            info.Properties.Remove(derived);
        foreach (var tutorial in info.Properties.Where(p => p.Name == "tutorial"))
            tutorial.ShouldSerialize = (entry, _) => !((JournalEntry)entry).TutorialIsCommand;
    }

    // A line cut short (the file system filled up mid-write) is skipped, not a reason to lose the rest.
    internal static JournalEntry? Parse(ReadOnlySpan<byte> line)
    {
        try
        {
            return JsonSerializer.Deserialize(line, LineJson);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JournalEntry? Parse(string line) => Parse(Encoding.UTF8.GetBytes(line));

    /// <summary>The first characters of <paramref name="text"/> whose JSON string, escapes included, fits in <paramref name="maxBytes"/>.</summary>
    internal static string HeadWithin(string text, int maxBytes)
    {
        // Six bytes is the most one character takes (\u001b): short text fits without a look.
        if (text.Length <= maxBytes / 6) return text;
        var chars = Math.Min(text.Length, maxBytes);
        while (true)
        {
            chars = JournalEntry.WholeChars(text, chars);
            var encoded = JsonEncodedText.Encode(text.AsSpan(0, chars)).EncodedUtf8Bytes.Length;
            if (encoded <= maxBytes) return chars == text.Length ? text : text[..chars];
            chars = (int)((long)chars * maxBytes / encoded) - 1;
        }
    }

    private static string Utf8Head(string text, int maxBytes, out bool cut)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        cut = bytes.Length > maxBytes;
        if (!cut) return text;
        var end = maxBytes;
        // Back to the start of a character: continuation bytes are 10xxxxxx.
        while (end > 0 && (bytes[end] & 0xC0) == 0x80) end--;
        return Encoding.UTF8.GetString(bytes, 0, end);
    }
}
