using NetDashboard.Lab.Host;
using System.Text.Json;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Runtime;

/// <summary>
/// The runtime folder: one sub-folder per lab the app owns (record, lab file, journal,
/// web root, later VM sockets). A lab is the app's when its folder is here.
/// </summary>
public sealed class LabRuntimeStore(string root)
{
    // Indented: a person reads lab.json; generated code: the CLI is compiled ahead of time.
    private static readonly RuntimeJson Json = new(new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true });

    private readonly Lock _updates = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ((DateTime, long) Stamp, LabDefinition Definition)> _definitions = new();

    public string Root { get; } = root;

    public string FolderOf(string lab) => Path.Combine(Root, lab);
    public string DefinitionPathOf(string lab) => Path.Combine(FolderOf(lab), "lab.yaml");
    public string WebRootOf(string lab) => Path.Combine(FolderOf(lab), "www");
    public Journal JournalOf(string lab) => new(Path.Combine(FolderOf(lab), "journal.jsonl"));
    private string RecordPathOf(string lab) => Path.Combine(FolderOf(lab), "lab.json");

    public IReadOnlyList<string> ListLabs() =>
        Directory.Exists(Root)
            ? Directory.EnumerateDirectories(Root)
                .Select(Path.GetFileName)
                .OfType<string>()
                .Where(name => InputRules.CheckLabName(name) is null && File.Exists(RecordPathOf(name)))
                .Order(StringComparer.Ordinal)
                .ToList()
            : [];

    public LabRecord? Read(string lab)
    {
        var path = RecordPathOf(lab);
        return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), Json.LabRecord) : null;
    }

    /// <summary>
    /// The lab's folder, made owner-only (0700) in a runtime root that is root's alone (see <see cref="RuntimeFolder"/>):
    /// journals hold guest output, and the sockets inside drive the VMs' consoles, so no other local user may enter,
    /// and a link planted in the lab's place is refused, never followed.
    /// </summary>
    public string EnsureFolderOf(string lab)
    {
        RuntimeFolder.Ensure(Root);
        return RuntimeFolder.Ensure(FolderOf(lab));
    }

    public void Write(LabRecord record)
    {
        EnsureFolderOf(record.Name);
        RuntimeFile.Replace(RecordPathOf(record.Name), JsonSerializer.Serialize(record, Json.LabRecord));
    }

    /// <summary>Reads, changes and writes a lab's record as one step for this process.</summary>
    public LabRecord Update(string lab, Func<LabRecord, LabRecord> change)
    {
        lock (_updates)
        {
            var record = change(Read(lab) ?? new LabRecord { Name = lab, CreatedAt = DateTimeOffset.UtcNow });
            Write(record);
            return record;
        }
    }

    public VmPaths PathsOf(string lab, string vm) => new(Path.Combine(FolderOf(lab), "vms", vm));

    public void SaveDefinition(string lab, string yaml)
    {
        EnsureFolderOf(lab);
        RuntimeFile.Replace(DefinitionPathOf(lab), yaml);
        _definitions.TryRemove(lab, out _);
    }

    /// <summary>The lab file as saved, parsed again only when the file changed (pages read it on every kernel change).</summary>
    public LabDefinition? ReadDefinition(string lab)
    {
        var file = new FileInfo(DefinitionPathOf(lab));
        if (!file.Exists) return null;
        var stamp = (file.LastWriteTimeUtc, file.Length);
        if (_definitions.TryGetValue(lab, out var cached) && cached.Stamp == stamp)
            return cached.Definition;
        var definition = LabFileReader.LoadFile(file.FullName, lab);
        _definitions[lab] = (stamp, definition);
        return definition;
    }

    /// <summary>The lab file as saved, or null when the name is not a lab name, there is none, or it was edited into an invalid one.</summary>
    public LabDefinition? TryReadDefinition(string lab)
    {
        if (InputRules.CheckLabName(lab) is not null) return null;
        try
        {
            return ReadDefinition(lab);
        }
        catch (LabFileException)
        {
            return null;
        }
    }

    /// <summary>How long a change waits for another one on the same lab before it is answered "lab busy".</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(10);

    // How often the lock file is tried again while another process holds it.
    private static readonly TimeSpan LockRetry = TimeSpan.FromMilliseconds(100);

    // This process's changes to a lab queue here, holding no thread; only the one at the front tries the lock file and
    // the write probe (named by the process: two probing at once took each other for a folder that takes no writes).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _turns = new();

    /// <summary>
    /// Takes the lab's lock: its turn in this process, then an flock on its folder's "lock" file, shared by every process
    /// (the dashboard and the CLI), so two writers never interleave on one lab. Waits without holding a thread; throws
    /// <see cref="LabBusyException"/> after <see cref="LockTimeout"/>, and <see cref="RuntimeFolderException"/> at once
    /// when the folder takes no writes (read-only, full). Disposing the lock releases both.
    /// </summary>
    public async Task<IDisposable> LockAsync(string lab, CancellationToken cancellationToken = default)
    {
        EnsureFolderOf(lab);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var turn = _turns.GetOrAdd(lab, _ => new SemaphoreSlim(1, 1));
        if (!await turn.WaitAsync(LockTimeout, cancellationToken))
            throw new LabBusyException(lab, LockTimeout);
        try
        {
            while (true)
            {
                if (TryLockFile(lab) is { } file)
                    return new LabLock(turn, file);
                if (waited.Elapsed >= LockTimeout)
                    throw new LabBusyException(lab, LockTimeout);
                await Task.Delay(LockRetry, cancellationToken);
            }
        }
        catch
        {
            turn.Release();
            throw;
        }
    }

    // The lab's lock file, opened exclusively; null while another process (or another store) holds it.
    private FileStream? TryLockFile(string lab)
    {
        try
        {
            return new FileStream(Path.Combine(FolderOf(lab), "lock"), new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, UnixCreateMode = RuntimeFile.OwnerOnly,
            });
        }
        catch (IOException) when (Directory.Exists(FolderOf(lab)))
        {
            // Held by another process's change, which is waited for, or a folder that takes no writes at all (read-only,
            // full), which is said at once.
            return WriteProblem(FolderOf(lab)) is { } problem ? throw new RuntimeFolderException(FolderOf(lab), problem) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeFolderException(FolderOf(lab), e);
        }
    }

    // Why nothing can be written in the folder (a probe file is made and removed), or null when something can.
    private static Exception? WriteProblem(string folder)
    {
        var probe = Path.Combine(folder, $".write-probe-{Environment.ProcessId}");
        try
        {
            using (new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.None)) { }
            File.Delete(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e;
        }
    }

    // The file first: the next change of this process, let in by the turn, then finds the file free. Released once:
    // a second release of the turn would let two changes in.
    private sealed class LabLock(SemaphoreSlim turn, FileStream file) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            file.Dispose();
            turn.Release();
        }
    }

    /// <summary>Changes go only to labs this runtime folder owns; a foreign lab's namespaces are read, never changed.</summary>
    public ActionResult? RefuseIfNotOwned(string lab) => Read(lab) is not null ? null : ActionResult.NoSuchLab(lab) with
    {
        Message = $"there is no lab named '{lab}' in {Root} (a lab made by hand or by another runtime folder is only read, never changed)",
    };

    public void Delete(string lab)
    {
        _definitions.TryRemove(lab, out _);
        var folder = FolderOf(lab);
        if (Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
    }
}

/// <summary>Another change holds the lab's lock (another request, the CLI in another shell): nothing of this one ran.</summary>
public sealed class LabBusyException(string lab, TimeSpan waited)
    : LabException($"lab {lab} is busy: another change to it has been running for over {waited.TotalSeconds:0} s; try again when it has finished");

/// <summary>The runtime folder could not be written (a full or read-only file system, a permission): say where and why.</summary>
public sealed class RuntimeFolderException : LabException
{
    public RuntimeFolderException(string path, Exception cause)
        : base($"the runtime folder {path} could not be written: {cause.Message.TrimEnd('.')}. Free space there or make it writable (or set NetDashboard:RuntimeRoot to another folder) and try again")
    {
    }

    /// <summary>A folder that is not safe to use (see <see cref="RuntimeFolder"/>): <paramref name="why"/> is the sentence.</summary>
    public RuntimeFolderException(string path, string why)
        : base($"the runtime folder {path} is not used: {why.TrimEnd('.')}")
    {
    }
}

/// <summary>Files in the runtime folder: owner-only (0600) from the moment they exist, and a failed write is a sentence, not a crash.</summary>
public static class RuntimeFile
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Writes or appends text to an owner-only file; an append that fails is cut back, so no half line stays.</summary>
    public static void Write(string path, string text, bool append)
    {
        try
        {
            // Unbuffered: a write the disk refuses fails here, where it can be cut back, not in a later flush.
            using var stream = new FileStream(Host.UnixFile.OpenForWriting(path, append), FileAccess.Write, bufferSize: 0);
            var end = stream.Length;
            try
            {
                stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
            }
            catch (IOException)
            {
                // A full disk may take part of the text: the next append would be glued to that part and lost with it.
                stream.SetLength(end);
                throw;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeFolderException(path, e);
        }
    }

    /// <summary>Creates a folder of the runtime folder (and its parents) and returns its path.</summary>
    public static string CreateFolder(string path)
    {
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeFolderException(path, e);
        }
        // Inside a lab folder no one else may enter; checked all the same, so a link is never taken for the folder.
        return RuntimeFolder.Ensure(path);
    }

    /// <summary>Replaces a file whole: written beside it, then renamed over it, so a full disk never leaves half a record.</summary>
    public static void Replace(string path, string text)
    {
        var temp = path + ".tmp";
        try
        {
            Write(temp, text, append: false);
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or RuntimeFolderException)
        {
            File.Delete(temp);
            throw e as RuntimeFolderException ?? new RuntimeFolderException(path, e);
        }
    }
}
