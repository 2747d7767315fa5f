namespace NetDashboard.Lab.Host;

/// <summary>Looks processes up by pid in /proc; a zombie counts as gone (it has exited, only its parent has not reaped it).</summary>
public static class ProcessTable
{
    public static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The state letter follows the command name, which is in parentheses and may itself hold spaces.
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// True when the pid still runs the program it was recorded for: after an exit the kernel may give the
    /// number to another process. <paramref name="program"/> is the first word of its command line;
    /// <paramref name="argument"/>, when given, must be one of its words: a path only that one process was
    /// started with tells it apart from another run of the same program.
    /// </summary>
    public static bool IsRunningAs(int pid, string program, string? argument = null)
    {
        if (!IsRunning(pid)) return false;
        try
        {
            var argv = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            return Path.GetFileName(argv[0]) == program && (argument is null || argv.Contains(argument));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Every pid running <paramref name="program"/> with <paramref name="argument"/> among its words.</summary>
    public static IEnumerable<int> AllRunningAs(string program, string argument)
    {
        foreach (var folder in Directory.EnumerateDirectories("/proc").Select(Path.GetFileName))
        {
            if (int.TryParse(folder, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid)
                && IsRunningAs(pid, program, argument))
                yield return pid;
        }
    }

    /// <summary>What the process's standard input is ("/dev/null", "pipe:[…]"), or null when it is gone or unreadable.</summary>
    public static string? StandardInputOf(int pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/fd/0").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
