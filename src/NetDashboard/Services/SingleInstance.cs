namespace NetDashboard.Services;

/// <summary>
/// One dashboard per runtime folder: two would each follow and change the same labs. The first holds an exclusive
/// lock on a file in the folder for its whole life (released by the kernel when it exits, even by kill -9); a second
/// is refused with the pid of the first, which it reads from a file beside the lock.
/// </summary>
public sealed class SingleInstance : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly FileStream _lock;

    private SingleInstance(FileStream held) => _lock = held;

    /// <summary>Takes the runtime folder (made and checked by <see cref="Lab.Services.LabComposition.RuntimeFolderProblem"/> first), or returns null and why (naming the pid that holds it).</summary>
    public static (SingleInstance? Held, string? Refusal) TryTake(string runtimeRoot)
    {
        var lockPath = Path.Combine(runtimeRoot, ".dashboard.lock");
        var pidPath = Path.Combine(runtimeRoot, ".dashboard.pid");
        try
        {
            // Root's alone (0600): a lock file others may open is a lock others may hold, and keep the dashboard from starting.
            var held = new FileStream(lockPath, new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, UnixCreateMode = OwnerOnly,
            });
            File.SetUnixFileMode(held.SafeFileHandle, OwnerOnly);
            File.WriteAllText(pidPath, $"{Environment.ProcessId}\n");
            return (new SingleInstance(held), null);
        }
        catch (IOException)
        {
            var pid = File.Exists(pidPath) ? File.ReadAllText(pidPath).Trim() : "unknown";
            return (null, $"another NetDashboard (pid {pid}) already runs on the runtime folder {runtimeRoot}; "
                          + "stop it first, or give this one another NetDashboard:RuntimeRoot");
        }
    }

    public void Dispose() => _lock.Dispose();
}
