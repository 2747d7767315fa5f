namespace NetDashboard.Services;

/// <summary>
/// One dashboard per runtime folder: two would each follow and change the same labs. The first holds an exclusive
/// lock on a file in the folder for its whole life (released by the kernel when it exits, even by kill -9); a second
/// is refused with the pid of the first, which it reads from a file beside the lock.
/// </summary>
public sealed class SingleInstance : IDisposable
{
    private readonly FileStream _lock;

    private SingleInstance(FileStream held) => _lock = held;

    /// <summary>Takes the runtime folder, or returns null and why (naming the pid that holds it).</summary>
    public static (SingleInstance? Held, string? Refusal) TryTake(string runtimeRoot)
    {
        Directory.CreateDirectory(runtimeRoot);
        var lockPath = Path.Combine(runtimeRoot, ".dashboard.lock");
        var pidPath = Path.Combine(runtimeRoot, ".dashboard.pid");
        try
        {
            var held = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
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
